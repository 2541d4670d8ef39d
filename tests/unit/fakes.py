"""In-memory stand-ins for the ports logic types against, so its decision tables run without I/O.

Each fake makes the same promises as the DynamoDB or HTTP implementation in `reelay.dal` and
`reelay.clients`: writes are conditional on exactly what the real condition expression checks,
every answer is a copy (a caller can never change the stored task by editing what it got back),
and values go through the same JSON round trip as they do on the way to the table or the queue.
A fake more lenient than the real thing would hide the bugs these tests exist to find.

Also here: the settings, clock and task builders the unit tests of `reelay.logic` start from.
TTL (`expires_at`) is not modelled: no logic reads it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import SecretStr

from reelay.config import Settings
from reelay.dal.cursors import decode_cursor, encode_cursor
from reelay.dal.keys import tenant_sk
from reelay.deps import Deps
from reelay.errors import ApiKeyInUse, TaskNotFound, TenantExists, TenantNotFound
from reelay.logic.task_lifecycle import waits_on_provider
from reelay.models.creatify_catalog import Persona
from reelay.models.credit_days import utc_day
from reelay.models.events import detail_type_of
from reelay.models.jobs import FIRST_JOB, QueueMessage
from reelay.models.status import TaskStatus
from reelay.models.task import Task, utc_now
from reelay.models.task_history import HISTORY_LIMIT, HistoryNote, note_for, review_entry, state_entry
from reelay.models.tenant import Tenant, TenantSummary
from reelay.models.tenant_profile import TenantProfile
from reelay.models.upstream import GenImageRequest, GenVideoRequest, ProductToVideo, ProviderStatus
from reelay.ports.creatify_errors import CreatifyError, CreatifyNotFound, CreatifyRejected
from reelay.ports.job_stores import JobSlot, PaidCall, Reservation, StartedRun
from reelay.ports.stores import ApplyResult, CreateResult, ReopenResult, TaskPage, TaskStore, Transition
from reelay.security.callback_tokens import CallbackSigner
from reelay.security.media_links import MediaLinkSigner

# Result fields a status step may carry; only the non-null ones are written (as in dal/tasks.py).
_UPDATE_FIELDS = {
    "provider_task_id",
    "generated_photo_url",
    "generated_video_url",
    "failed_reason",
    "motion_style",
    "video_prompt",
}
MAX_PAGE = 100


def _utc(moment: datetime) -> datetime:
    # The table stores UTC times; a naive datetime is taken to be UTC already (dal.keys.iso).
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _stored(task: Task) -> Task:
    """The task as it comes back from the table: through JSON, never the caller's object."""
    return Task.from_stored(task.as_json())


class Clock:
    """A settable "now" for writes that take no explicit time (the real stores use the wall clock)."""

    def __init__(self, now: datetime) -> None:
        self.now = _utc(now)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


# ------------------------------------------------------------------------------------ stores


class MemoryTasks:
    """Implements reelay.ports.stores.TaskStore in memory, with dal.tasks.TaskRepository's conditions."""

    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self._clock = clock
        self._tasks: dict[str, Task] = {}
        # The open-tasks index: task id -> its sort time (open_sk); absent when not open.
        self._open: dict[str, datetime] = {}
        # Jobs whose credits were counted (the item's `charged_jobs` set).
        self._charged: dict[str, set[str]] = {}

    # -- what tests may look at besides the Protocol

    def is_open(self, task_id: str) -> bool:
        return task_id in self._open

    def open_since(self, task_id: str) -> datetime | None:
        """The task's sort time on the reconciler's list (set on a step or a touch), or None."""
        return self._open.get(task_id)

    def _now(self, now: datetime | None) -> datetime:
        return _utc(now or self._clock())

    def _write(self, task_id: str, changes: dict[str, Any]) -> Task:
        """Set fields on a stored task (JSON values, as an UpdateItem SET would)."""
        values = self._tasks[task_id].as_json()
        values.update(changes)
        self._tasks[task_id] = Task.from_stored(values)
        return self._tasks[task_id]

    def _noted(self, task_id: str, note: HistoryNote | None) -> dict[str, Any]:
        """The history changes a write makes for `note`, as dal.history_writes.append_clauses."""
        current = self._tasks[task_id]
        if note is None:
            return {}
        if not note.keep:
            return {"history_dropped": current.history_dropped + 1}
        return {"history": [*current.history, note.entry]}

    def _current(self, task_id: str) -> Task:
        current = self._tasks.get(task_id)
        if current is None:
            raise TaskNotFound(task_id)
        return current

    # -- TaskStore

    def create(self, task: Task, *, stays_open: bool) -> CreateResult:
        existing = self._tasks.get(task.id)
        if existing is not None:
            return CreateResult(created=False, task=_stored(existing))
        self._tasks[task.id] = _stored(task)
        if stays_open:
            self._open[task.id] = _utc(task.updated_at)
        return CreateResult(created=True, task=_stored(task))

    def get(self, task_id: str) -> Task | None:
        task = self._tasks.get(task_id)
        return _stored(task) if task is not None else None

    def apply(self, task_id: str, step: Transition, now: datetime | None = None) -> ApplyResult:
        current = self._current(task_id)
        holds = (
            current.status in step.allowed_from
            and (step.assumes_auto_video is None or current.auto_video == step.assumes_auto_video)
            and (step.if_version is None or current.version == step.if_version)
            and (step.if_provider_task is None or current.provider_task_id == step.if_provider_task)
        )
        if not holds:  # an empty allowed_from never holds
            return ApplyResult(applied=False, task=_stored(current))
        now = self._now(now)
        changes = {k: v for k, v in step.update.stored().items() if k in _UPDATE_FIELDS}
        changes.update(
            status=step.update.status.value,
            updated_at=now.isoformat(),
            version=current.version + 1,
        )
        if step.by is not None:
            changes.update(
                self._noted(task_id, HistoryNote(entry=state_entry(step.update.status, step.by, now)))
            )
        updated = self._write(task_id, changes)
        if step.stays_open:
            self._open[task_id] = step.open_since or now
        else:
            self._open.pop(task_id, None)
        return ApplyResult(applied=True, task=_stored(updated))

    def attach_provider_task(
        self,
        task_id: str,
        provider_task_id: str,
        *,
        credits_spent: int = 0,
        job: str | None = None,
        history: HistoryNote | None = None,
    ) -> bool:
        current = self._current(task_id)
        charged = self._charged.setdefault(task_id, set())
        holds = current.provider_task_id in (None, provider_task_id) and (job is None or job not in charged)
        if not holds:
            # Failed only because this job was already counted: the id is recorded all the same.
            return current.provider_task_id == provider_task_id
        self._write(
            task_id,
            {
                "provider_task_id": provider_task_id,
                "credits_spent": current.credits_spent + credits_spent,
                **self._noted(task_id, history),
            },
        )
        if job is not None:
            charged.add(job)
        return True

    def record_call(
        self,
        task_id: str,
        provider_task_id: str,
        step: Transition,
        *,
        credits_spent: int = 0,
        job: str | None = None,
        history: HistoryNote | None = None,
        now: datetime | None = None,
    ) -> ApplyResult | None:
        current = self._current(task_id)
        attaches = current.provider_task_id in (None, provider_task_id) and (
            job is None or job not in self._charged.get(task_id, set())
        )
        steps = (
            current.status in step.allowed_from
            and (step.assumes_auto_video is None or current.auto_video == step.assumes_auto_video)
            and (step.if_version is None or current.version == step.if_version)
            and (step.if_provider_task is None or current.provider_task_id == step.if_provider_task)
        )
        if not (attaches and steps):
            return None  # dal.tasks conditions the one write on both
        self.attach_provider_task(
            task_id, provider_task_id, credits_spent=credits_spent, job=job, history=history
        )
        return self.apply(task_id, step, now)

    def reopen_for_video(
        self,
        task_id: str,
        *,
        at_status: TaskStatus,
        stays_open: bool,
        motion_style: str | None = None,
        video_prompt: str | None = None,
        now: datetime | None = None,
    ) -> ReopenResult:
        current = self._current(task_id)
        if current.status is not at_status or current.auto_video is not False or current.regenerated_as:
            return ReopenResult(reopened=False, task=_stored(current))
        now = self._now(now)
        changes: dict[str, Any] = {
            "auto_video": True,
            "updated_at": now.isoformat(),
            "version": current.version + 1,
        }
        options = {"motion_style": motion_style, "video_prompt": video_prompt}
        changes.update({k: str(v) for k, v in options.items() if v is not None})
        changes.update(self._noted(task_id, HistoryNote(entry=review_entry("approved", now))))
        updated = self._write(task_id, changes)
        if stays_open:
            self._open[task_id] = now
        return ReopenResult(reopened=True, task=_stored(updated))

    def link_regeneration(self, task_id: str, new_task_id: str) -> Task:
        current = self._current(task_id)
        if current.regenerated_as is not None:
            return _stored(current)
        entry = review_entry("regenerated", self._now(None), regenerated_as=new_task_id)
        updated = self._write(
            task_id,
            {
                "regenerated_as": new_task_id,
                "publication": None,
                **self._noted(task_id, HistoryNote(entry=entry)),
            },
        )
        self._open.pop(task_id, None)
        return _stored(updated)

    def touch_open(self, task: Task, now: datetime | None = None, history: HistoryNote | None = None) -> bool:
        now = self._now(now)
        current = self._tasks.get(task.id)
        since = self._open.get(task.id)
        if current is None or since is None or not since < now or current.status is not task.status:
            return False
        self._open[task.id] = now
        if history is not None:
            self._write(task.id, self._noted(task.id, history))
        return True

    def list_by_tenant(
        self,
        tenant_id: str,
        status: TaskStatus | None = None,
        limit: int = 20,
        cursor: str | None = None,
        external: dict[str, str] | None = None,
    ) -> TaskPage:
        limit = max(1, min(MAX_PAGE, limit))
        after = decode_cursor(cursor, tenant_id)["tenant_sk"]["S"] if cursor else None
        keyed = sorted(
            ((tenant_sk(t.created_at, t.id), t) for t in self._tasks.values() if t.tenant_id == tenant_id),
            key=lambda pair: pair[0],
            reverse=True,  # newest first
        )
        matching = [
            (sk, t)
            for sk, t in keyed
            if (after is None or sk < after)
            and (status is None or t.status is TaskStatus(status))
            and all(getattr(t.external_ref, name) == value for name, value in (external or {}).items())
        ]
        page = matching[:limit]
        more = len(matching) > limit
        return TaskPage(
            items=[_stored(t) for _, t in page],
            next_cursor=encode_cursor(tenant_id, page[-1][0]) if more else None,
        )

    def iter_open_unchanged(self, tenant_id: str, changed_before: datetime, limit: int = 100) -> list[Task]:
        changed_before = _utc(changed_before)
        found = [
            _stored(self._tasks[task_id])
            for task_id in self._open
            if self._tasks[task_id].tenant_id == tenant_id
            and _utc(self._tasks[task_id].updated_at) < changed_before
        ]
        return sorted(found, key=lambda task: (task.updated_at, task.id))[: max(0, limit)]

    def iter_open(self, stale_before: datetime, limit: int = 100) -> Iterator[Task]:
        stale_before = _utc(stale_before)
        # Read once, like a page of the index: writes made while iterating are not seen.
        due = sorted((since, task_id) for task_id, since in self._open.items() if since < stale_before)
        snapshot = [_stored(self._tasks[task_id]) for _, task_id in due[:limit]]
        yield from snapshot


class MemoryClaims:
    """Implements reelay.ports.job_stores.ClaimStore in memory, with dal.claims' conditions."""

    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self._clock = clock
        self._claims: dict[tuple[str, str], datetime] = {}

    def claim(self, task_id: str, job: str, *, now: datetime | None = None) -> bool:
        if (task_id, job) in self._claims:
            return False
        self._claims[(task_id, job)] = _utc(now or self._clock())
        return True

    def claimed_at(self, task_id: str, job: str) -> datetime | None:
        return self._claims.get((task_id, job))

    def retake(self, task_id: str, job: str, claimed_at: datetime, *, now: datetime | None = None) -> bool:
        if self._claims.get((task_id, job)) != _utc(claimed_at):
            return False  # retaken or released since it was read
        self._claims[(task_id, job)] = _utc(now or self._clock())
        return True

    def release(self, task_id: str, job: str) -> None:
        self._claims.pop((task_id, job), None)


class MemoryJobSlots:
    """Implements reelay.ports.job_stores.JobSlotStore in memory, with dal.job_slots' conditions.

    A start that pays takes the claim in `claims` and reserves in `budgets` as the one
    transaction of dal.job_slots does: all of it or, when refused, what one write at a time gets.
    """

    def __init__(
        self,
        clock: Callable[[], datetime] = utc_now,
        claims: MemoryClaims | None = None,
        budgets: MemoryBudgets | None = None,
    ) -> None:
        self._clock = clock
        self._claims = claims if claims is not None else MemoryClaims(clock)
        self._budgets = budgets if budgets is not None else MemoryBudgets(clock)
        self.slots: dict[tuple[str, str], JobSlot] = {}

    def first(self, task_id: str, job: str, job_id: str, *, due_at: datetime) -> bool:
        """Tests' seeding: a slot whose job was queued at `due_at` (the stack writes none until a
        run starts; see reelay.logic.dispatch)."""
        slot = self.slots.get((task_id, job))
        if slot is None:
            self.slots[(task_id, job)] = JobSlot(job_id, _utc(due_at), 0, False)
            return True
        return slot.job_id == job_id

    def start(
        self,
        task_id: str,
        job: str,
        job_id: str,
        *,
        now: datetime,
        lease_until: datetime,
        paying: PaidCall | None = None,
    ) -> StartedRun | None:
        slot = self.slots.get((task_id, job))
        if slot is None:
            if job_id != FIRST_JOB:
                return None
            slot = JobSlot(job_id, _utc(now), 0, False)
        elif (
            slot.job_id != job_id
            or slot.done
            or (slot.running_until is not None and slot.running_until >= _utc(now))
        ):
            return None
        slot = dataclasses.replace(slot, running_until=_utc(lease_until))
        took = paying is not None and self._claims.claim(task_id, job, now=now)
        reservation = None
        if took:
            slot = dataclasses.replace(slot, settles_at=None)  # a new claim: no earlier call to wait for
            assert paying is not None
            if (task_id, job) not in self._budgets.reservations:
                reservation = self._budgets.reserve(
                    paying.tenant_id, task_id, job, paying.credits, limit=paying.limit, now=now
                )
        self.slots[(task_id, job)] = slot
        return StartedRun(
            claimed_at=self._claims.claimed_at(task_id, job),
            took_claim=took,
            reservation=reservation,
            settles_at=slot.settles_at,
        )

    def put_back(
        self,
        task_id: str,
        job: str,
        *,
        replacing: str,
        job_id: str,
        due_at: datetime,
        retries: int,
        settles_at: datetime | None = None,
    ) -> bool:
        slot = self.slots.get((task_id, job))
        if slot is None or slot.job_id != replacing:
            return False
        settles = _utc(settles_at) if settles_at is not None else None
        self.slots[(task_id, job)] = JobSlot(job_id, _utc(due_at), retries, False, None, settles)
        return True

    def take_over(
        self,
        task_id: str,
        job: str,
        job_id: str,
        *,
        now: datetime,
        lost_before: datetime,
        queued_at: datetime | None = None,
    ) -> JobSlot | None:
        slot = self.slots.get((task_id, job))
        if slot is None and queued_at is not None and not queued_at < _utc(lost_before):
            return None
        if slot is not None and not (
            slot.due_at < _utc(lost_before) and (slot.running_until is None or slot.running_until < _utc(now))
        ):
            return None
        retries = slot.retries if slot else 0
        settles = slot.settles_at if slot else None
        self.slots[(task_id, job)] = JobSlot(job_id, _utc(now), retries, False, None, settles)
        return self.slots[(task_id, job)]

    def let_go(self, task_id: str, job: str, job_id: str) -> None:
        slot = self.slots.get((task_id, job))
        if slot is not None and slot.job_id == job_id:
            self.slots[(task_id, job)] = dataclasses.replace(slot, running_until=None)

    def finish(self, task_id: str, job: str, job_id: str) -> None:
        slot = self.slots.get((task_id, job))
        if slot is not None and slot.job_id == job_id:
            self.slots[(task_id, job)] = dataclasses.replace(slot, done=True, running_until=None)

    def get(self, task_id: str, job: str) -> JobSlot | None:
        return self.slots.get((task_id, job))


@dataclasses.dataclass(frozen=True)
class HeldCredits:
    tenant_id: str
    day: date
    credits: int


class MemoryBudgets:
    """Implements reelay.ports.job_stores.CreditBudgetStore in memory, with dal.credit_budgets' conditions."""

    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self._clock = clock
        self._used: dict[tuple[str, date], int] = {}
        self.reservations: dict[tuple[str, str], HeldCredits] = {}

    def reserve(
        self,
        tenant_id: str,
        task_id: str,
        job: str,
        credits: int,
        *,
        limit: int | None,
        now: datetime | None = None,
    ) -> Reservation:
        if (task_id, job) in self.reservations:
            return Reservation.ALREADY_HELD
        day = utc_day(_utc(now or self._clock()))
        used = self._used.get((tenant_id, day))
        # `attribute_not_exists(used) OR used <= limit - credits`; no room at all when credits > limit.
        if limit is not None and (credits > limit or (used is not None and used > limit - credits)):
            return Reservation.OVER_BUDGET
        self._used[(tenant_id, day)] = (used or 0) + credits
        self.reservations[(task_id, job)] = HeldCredits(tenant_id, day, credits)
        return Reservation.RESERVED

    def release(self, task_id: str, job: str) -> bool:
        held = self.reservations.pop((task_id, job), None)
        if held is None:
            return False
        used = self._used.get((held.tenant_id, held.day), 0)
        if used < held.credits:
            return False  # never below zero (the real count would be gone by TTL)
        self._used[(held.tenant_id, held.day)] = used - held.credits
        return True

    def used(self, tenant_id: str, day: date) -> int:
        return self._used.get((tenant_id, day), 0)


class MemoryDeliveries:
    """Implements reelay.ports.stores.DeliveryLog on the tasks of a MemoryTasks, like dal.deliveries."""

    def __init__(self, tasks: MemoryTasks) -> None:
        self._tasks = tasks
        # The item's `delivery_replay`: which replay the stored record belongs to (absent: none yet).
        self._replay_seen: dict[str, int] = {}

    def record(
        self,
        task_id: str,
        attempts: int,
        last: dict[str, Any],
        replay: int = 0,
        history: dict[str, Any] | None = None,
    ) -> bool:
        current = self._tasks._current(task_id)
        seen = self._replay_seen.get(task_id)
        behind = current.delivery_attempts > attempts
        if replay:
            newer = seen is None or seen < replay or (seen == replay and not behind)
        else:
            newer = seen is None and not behind  # a late duplicate never winds the count back
        if not newer:
            return False
        if replay:
            self._replay_seen[task_id] = replay
        changes = {"delivery_attempts": attempts, "last_delivery": dict(last)}
        note = note_for(current.history, history) if history is not None else None
        self._tasks._write(task_id, {**changes, **self._tasks._noted(task_id, note)})
        return True

    def request_replay(self, task_id: str) -> int:
        current = self._tasks._current(task_id)
        updated = self._tasks._write(task_id, {"delivery_replays": current.delivery_replays + 1})
        return updated.delivery_replays


class MemoryHistory:
    """Implements reelay.ports.stores.HistoryLog on the tasks of a MemoryTasks, like dal.history_writes."""

    def __init__(self, tasks: MemoryTasks) -> None:
        self._tasks = tasks

    def note(self, task_id: str, entry: dict[str, Any]) -> bool:
        keep = len(self._tasks._current(task_id).history) < HISTORY_LIMIT
        self._tasks._write(task_id, self._tasks._noted(task_id, HistoryNote(entry=entry, keep=keep)))
        return keep


class MemoryTenants:
    """Implements reelay.ports.stores.TenantStore in memory, with dal.tenants.TenantRepository's rules:
    a taken id or API key is refused, a rotated-out key works until its overlap ends, a revoked
    key at once stops, and a change made on a stale read is refused."""

    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self._clock = clock
        self._tenants: dict[str, Tenant] = {}
        # The API-key lookups: hash -> (tenant id, valid until or None).
        self._keys: dict[str, tuple[str, datetime | None]] = {}

    def create(self, tenant: Tenant) -> None:
        if tenant.tenant_id in self._tenants:
            raise TenantExists(tenant.tenant_id)
        if tenant.api_key_hash in self._keys:
            raise ApiKeyInUse()
        self._tenants[tenant.tenant_id] = tenant.model_copy(deep=True)
        self._keys[tenant.api_key_hash] = (tenant.tenant_id, None)

    def get(self, tenant_id: str) -> Tenant | None:
        tenant = self._tenants.get(tenant_id)
        return tenant.model_copy(deep=True) if tenant is not None else None

    def profile(self, tenant_id: str) -> TenantProfile | None:
        tenant = self._tenants.get(tenant_id)
        return tenant.profile() if tenant is not None else None

    def find_by_api_key_hash(self, api_key_hash: str, now: datetime | None = None) -> Tenant | None:
        tenant_id = self.tenant_id_for_api_key_hash(api_key_hash, now)
        return self.get(tenant_id) if tenant_id is not None else None

    def tenant_id_for_api_key_hash(self, api_key_hash: str, now: datetime | None = None) -> str | None:
        found = self._keys.get(api_key_hash)
        if found is None or (found[1] is not None and found[1] <= _utc(now or self._clock())):
            return None
        return found[0]

    def list(self) -> list[TenantSummary]:
        ordered = sorted(self._tenants.values(), key=lambda t: (_utc(t.created_at), t.tenant_id))
        return [TenantSummary(tenant_id=t.tenant_id, name=t.name, created_at=t.created_at) for t in ordered]

    def _current(self, tenant_id: str) -> Tenant:
        if tenant_id not in self._tenants:
            raise TenantNotFound(tenant_id)
        return self._tenants[tenant_id]

    def rotate_api_key(self, tenant_id: str, new_hash: str, valid_until: datetime) -> Tenant:
        tenant = self._current(tenant_id)
        if new_hash in self._keys:
            raise ApiKeyInUse()
        if tenant.previous_api_key_hash:
            self._keys.pop(tenant.previous_api_key_hash, None)
        changes: dict[str, Any] = {
            "api_key_hash": new_hash,
            "api_key_revoked_at": None,
            "previous_api_key_hash": None,
            "previous_api_key_expires_at": None,
        }
        if tenant.api_key_revoked_at is None and _utc(valid_until) > _utc(self._clock()):
            self._keys[tenant.api_key_hash] = (tenant_id, _utc(valid_until))
            changes.update(previous_api_key_hash=tenant.api_key_hash, previous_api_key_expires_at=valid_until)
        else:
            self._keys.pop(tenant.api_key_hash, None)
        self._keys[new_hash] = (tenant_id, None)
        self._tenants[tenant_id] = tenant.model_copy(update=changes)
        return self.get(tenant_id)  # type: ignore[return-value]

    def revoke_api_keys(self, tenant_id: str, *, previous_only: bool, now: datetime | None = None) -> Tenant:
        tenant = self._current(tenant_id)
        changes: dict[str, Any] = {"previous_api_key_hash": None, "previous_api_key_expires_at": None}
        if tenant.previous_api_key_hash:
            self._keys.pop(tenant.previous_api_key_hash, None)
        if not previous_only and tenant.api_key_revoked_at is None:
            self._keys.pop(tenant.api_key_hash, None)
            changes["api_key_revoked_at"] = _utc(now or self._clock())
        self._tenants[tenant_id] = tenant.model_copy(update=changes)
        return self.get(tenant_id)  # type: ignore[return-value]

    def roll_webhook_secret(self, tenant_id: str, new_secret: str, valid_until: datetime) -> Tenant:
        tenant = self._current(tenant_id)
        changes: dict[str, Any] = {
            "webhook_secret": SecretStr(new_secret),
            "previous_webhook_secret": None,
            "previous_webhook_secret_expires_at": None,
        }
        if _utc(valid_until) > _utc(self._clock()):
            changes["previous_webhook_secret"] = tenant.webhook_secret
            changes["previous_webhook_secret_expires_at"] = valid_until
        self._tenants[tenant_id] = tenant.model_copy(update=changes)
        return self.get(tenant_id)  # type: ignore[return-value]

    def set_daily_credit_budget(self, tenant_id: str, credits: int | None) -> Tenant:
        if tenant_id not in self._tenants:
            raise TenantNotFound(tenant_id)
        updated = self._tenants[tenant_id].model_copy(update={"daily_credit_budget": credits}, deep=True)
        self._tenants[tenant_id] = Tenant.model_validate(updated.model_dump())
        return updated.model_copy(deep=True)


# ---------------------------------------------------------------------------------- services


class RecordingQueue:
    """Implements reelay.ports.services.JobQueue: keeps each (job, delay) sent, as read back off SQS.

    The delay is kept as logic asked for it; the real queue clamps it to SQS's 0..900 seconds.
    """

    def __init__(self) -> None:
        self.sent: list[tuple[QueueMessage, int]] = []

    def send(self, job: QueueMessage, delay_seconds: int = 0) -> None:
        # Through JSON like a message body, so a job that would not survive the queue fails here.
        self.sent.append((type(job).from_json(job.to_json()), delay_seconds))

    @property
    def jobs(self) -> list[QueueMessage]:
        return [job for job, _ in self.sent]


class RecordingPublisher:
    """Implements reelay.ports.services.EventPublisher: keeps each event put and message published."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.detail_types: list[str] = []
        self.messages: list[dict[str, Any]] = []

    def put_event(self, detail: dict[str, Any]) -> None:
        # The real publisher names the event by its status; a status with no event type fails there too.
        self.detail_types.append(detail_type_of(detail))
        self.events.append(_through_json(detail))

    def publish_message(self, detail: dict[str, Any]) -> None:
        # The SNS message attributes the real publisher sets; SNS refuses a missing or empty one.
        attributes = (detail["status"], detail["type"], detail["tenant_id"], detail["external_ref"]["source"])
        if not all(attributes):
            raise ValueError(f"SNS would refuse an empty message attribute: {attributes}")
        self.messages.append(_through_json(detail))


def _through_json(detail: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(detail))


class ScriptedCreatify:
    """Implements reelay.ports.services.CreatifyApi over a dict of Creatify tasks the test controls.

    Answers like Creatify (and the simulator): gen_image makes a new task at `initializing`,
    gen_video is refused (400) unless the task is at image_generated, an unknown id is a 404.
    `fail_next` makes the next call of a method raise a typed error, optionally after the call
    took effect (an answer lost on the way back). Every call is kept in `calls`.
    """

    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self._clock = clock
        self.tasks: dict[str, ProductToVideo] = {}
        self.calls: list[tuple[str, Any]] = []
        self.credits = 100.0
        self._failures: dict[str, list[tuple[CreatifyError, bool]]] = {}
        self._made = 0

    # -- scripting

    def fail_next(self, method: str, error: CreatifyError, *, took_effect: bool = False) -> None:
        self._failures.setdefault(method, []).append((error, took_effect))

    def count(self, method: str) -> int:
        return sum(1 for name, _ in self.calls if name == method)

    def add(self, status: ProviderStatus, **fields: Any) -> str:
        """A task that exists at Creatify (made by an earlier call); returns its id."""
        self._made += 1
        provider_id = str(fields.pop("id", UUID(int=self._made)))
        now = self._clock()
        self.tasks[provider_id] = ProductToVideo.from_answer(
            {
                "id": provider_id,
                "product_url": "https://cdn.example.com/p.png",
                "status": status,
                "created_at": now,
                "updated_at": now,
                **fields,
            }
        )
        return provider_id

    def move(self, provider_id: str, status: ProviderStatus, **fields: Any) -> None:
        """Creatify's own progress on a task (its renderer finishing a stage)."""
        values = self.tasks[provider_id].as_json()
        values.update(status=status, updated_at=self._clock(), **fields)
        self.tasks[provider_id] = ProductToVideo.from_answer(values)

    def _call(self, method: str, argument: Any) -> bool:
        """Record the call; raise a scripted failure now, or say one is due after the effect."""
        self.calls.append((method, argument))
        queued = self._failures.get(method)
        if not queued:
            return False
        error, took_effect = queued[0]
        if not took_effect:
            queued.pop(0)
            raise error
        return True

    def _raise_after_effect(self, method: str) -> None:
        error, _ = self._failures[method].pop(0)
        raise error

    def _known(self, task_id: str) -> ProductToVideo:
        task = self.tasks.get(str(UUID(str(task_id))))
        if task is None:
            raise CreatifyNotFound(404, "Not found.")
        return task

    # -- CreatifyApi

    def gen_image(self, body: GenImageRequest) -> ProductToVideo:
        fail_after = self._call("gen_image", body)
        fields = body.stored()  # override_avatar kept, as Creatify keeps what it was sent
        provider_id = self.add(ProviderStatus.INITIALIZING, **fields)
        if fail_after:
            self._raise_after_effect("gen_image")
        return _copy(self.tasks[provider_id])

    def gen_video(self, task_id: str, body: GenVideoRequest | None = None) -> ProductToVideo:
        fail_after = self._call("gen_video", task_id)
        task = self._known(task_id)
        if task.status is not ProviderStatus.IMAGE_GENERATED:
            raise CreatifyRejected(
                400,
                "Video can only be generated from a task in status image_generated "
                f"(current: {task.status.value}).",
            )
        changes = (body or GenVideoRequest()).stored()
        self.move(str(task.id), ProviderStatus.VIDEO_GENERATING, **changes)
        if fail_after:
            self._raise_after_effect("gen_video")
        return _copy(self.tasks[str(task.id)])

    def get(self, task_id: str) -> ProductToVideo:
        self._call("get", task_id)
        return _copy(self._known(task_id))

    def list(self, ids: Iterable[str] | None = None) -> list[ProductToVideo]:
        wanted = None if ids is None else [*dict.fromkeys(str(UUID(str(i))) for i in ids)]
        if wanted == []:
            return []  # the real client makes no request for no ids
        self._call("list", wanted)
        if wanted is None:
            return [_copy(t) for t in self.tasks.values()]
        return [_copy(self.tasks[i]) for i in wanted if i in self.tasks]

    def personas(
        self, *, age_range: Sequence[str] | None = None, gender: Sequence[str] | None = None
    ) -> list[Persona]:
        self._call("personas", (age_range, gender))
        return []

    def remaining_credits(self) -> float:
        self._call("remaining_credits", None)
        return self.credits


def _copy(remote: ProductToVideo) -> ProductToVideo:
    # As a real answer: read back from its JSON.
    return ProductToVideo.from_answer(remote.as_json())


# ---------------------------------------------------------------------------------- builders

TENANT = "acme"
PRODUCT_URL = "https://cdn.example.com/p.png"
WEBHOOK_URL = "https://hooks.example.com/reelay"
# Long enough for CallbackSigner (at least 16 bytes).
CALLBACK_SECRET = "unit-test-callback-secret"


def unit_settings(**changes: Any) -> Settings:
    """Settings for logic under test: no AWS names (building a real client fails loudly), no callbacks."""
    base = Settings(
        table_name="",
        provider_queue_url="",
        delivery_queue_url="",
        event_bus_name="",
        topic_arn="",
        creatify_base_url="https://api.creatify.invalid",
        creatify_secret_name="",
        callback_secret_arn="",
        shop_secrets_key_id="",
        public_base_url="none",
        reconcile_after_seconds=120,
        provider_timeout_seconds=3600,
        retention_days=90,
        creatify_read_timeout_seconds=20.0,
        allow_loopback_webhooks=False,
    )
    return dataclasses.replace(base, **changes)


def a_task(task_id: str = "task-1", status: TaskStatus = TaskStatus.INITIALIZING, **fields: Any) -> Task:
    values: dict[str, Any] = {"tenant_id": TENANT, "product_url": PRODUCT_URL, **fields}
    return Task(id=task_id, status=status, **values)


@dataclasses.dataclass
class FakeRuntime:
    """Everything logic reaches, in memory, sharing one clock; `deps()` hands it to logic."""

    clock: Clock
    tasks: MemoryTasks
    claims: MemoryClaims
    job_slots: MemoryJobSlots
    deliveries: MemoryDeliveries
    history: MemoryHistory
    tenants: MemoryTenants
    creatify: ScriptedCreatify
    provider_queue: RecordingQueue
    delivery_queue: RecordingQueue
    publisher: RecordingPublisher
    budgets: MemoryBudgets
    media_queue: RecordingQueue = dataclasses.field(default_factory=RecordingQueue)

    @classmethod
    def at(cls, now: datetime) -> FakeRuntime:
        clock = Clock(now)
        tasks = MemoryTasks(clock)
        claims, budgets = MemoryClaims(clock), MemoryBudgets(clock)
        return cls(
            clock=clock,
            tasks=tasks,
            claims=claims,
            job_slots=MemoryJobSlots(clock, claims, budgets),
            deliveries=MemoryDeliveries(tasks),
            history=MemoryHistory(tasks),
            tenants=MemoryTenants(clock),
            creatify=ScriptedCreatify(clock),
            provider_queue=RecordingQueue(),
            delivery_queue=RecordingQueue(),
            publisher=RecordingPublisher(),
            budgets=budgets,
        )

    def deps(
        self, *, signed_callbacks: bool = False, tasks: TaskStore | None = None, **settings_changes: Any
    ) -> Deps:
        """Deps over these fakes; `signed_callbacks` sets a public URL and a real CallbackSigner.

        `tasks` puts another store (say, a wrapper of `self.tasks`) in front of logic.
        """
        overrides: dict[str, Any] = {}
        if signed_callbacks:
            settings_changes.setdefault("public_base_url", "https://api.example.com/prod")
            overrides["callback_signer"] = CallbackSigner(CALLBACK_SECRET)
        return Deps(
            config=unit_settings(**settings_changes),
            tasks=tasks if tasks is not None else self.tasks,
            claims=self.claims,
            job_slots=self.job_slots,
            deliveries=self.deliveries,
            history=self.history,
            tenants=self.tenants,
            creatify=self.creatify,
            provider_queue=self.provider_queue,
            delivery_queue=self.delivery_queue,
            publisher=self.publisher,
            budgets=self.budgets,
            media_queue=self.media_queue,
            media_links=MediaLinkSigner(CALLBACK_SECRET),
            **overrides,
        )

    def seed(self, task: Task) -> Task:
        """Store a task as submit would, on the reconciler's list when its row waits on Creatify."""
        return self.tasks.create(task, stays_open=waits_on_provider(task.status, task.auto_video)).task
