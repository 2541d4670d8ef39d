"""The stores logic reads and writes: tasks, provider-job claims, credit budgets, deliveries, tenants.

Each Protocol says what a store does, not how: `reelay.dal` implements them on DynamoDB,
the unit tests in memory. Every write is conditional and reports whether it happened, so
logic can repeat any step safely; a store never decides what should happen to a task, it
makes what logic decided happen at most once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from reelay.models.connection import ShopConnection
from reelay.models.status import TaskStatus
from reelay.models.task import StatusUpdate, Task
from reelay.models.task_history import HistoryNote
from reelay.models.tenant import Tenant, TenantSummary


@dataclass(frozen=True)
class Transition:
    """A forward step logic decided on, for a store to make in one conditional write."""

    update: StatusUpdate
    # The statuses the task may be at for the step to apply (the status machine's answer).
    allowed_from: frozenset[TaskStatus]
    # Whether the task still waits on Creatify after the step (the reconciler's list).
    stays_open: bool
    # The auto_video the decision assumed, when the decision depended on it; the write is then
    # conditioned on it, so a video approved meanwhile is never closed by a stale decision.
    assumes_auto_video: bool | None = None
    # When set, the write holds only while the task is still at this version: nothing moved it
    # since it was read (a decision made on that copy, such as a timeout, must not outlive it).
    if_version: int | None = None
    # With stays_open: when the reconciler's quiet time starts (default: the write's own time).
    # A preview with a review deadline is put on the list so it comes up when the deadline passes.
    open_since: datetime | None = None
    # Who made the step (worker, callback, reconciler, review): recorded in the task's history
    # by the same write. None records nothing.
    by: str | None = None


@dataclass(frozen=True)
class CreateResult:
    created: bool
    task: Task  # the stored task: the new one, or the one an earlier identical request created


@dataclass(frozen=True)
class ApplyResult:
    applied: bool
    task: Task  # after the update when applied; the unchanged current task when not


@dataclass(frozen=True)
class ReopenResult:
    reopened: bool
    task: Task  # when not reopened, its status (and auto_video) say why


@dataclass(frozen=True)
class TaskPage:
    items: list[Task]
    next_cursor: str | None


class TaskStore(Protocol):
    def create(self, task: Task, *, stays_open: bool) -> CreateResult:
        """Store a new task; if its id exists (a retried request), return the stored one."""
        ...

    def get(self, task_id: str) -> Task | None: ...

    def apply(self, task_id: str, step: Transition, now: datetime | None = None) -> ApplyResult:
        """Make `step` if the task is at one of its statuses; TaskNotFound if there is no task."""
        ...

    def attach_provider_task(
        self,
        task_id: str,
        provider_task_id: str,
        *,
        credits_spent: int = 0,
        job: str | None = None,
        history: HistoryNote | None = None,
    ) -> bool:
        """Record Creatify's task id (never replaced) and the call's credits (once per job).

        `history` is appended in the same write, only when the write happens.
        """
        ...

    def link_regeneration(self, task_id: str, new_task_id: str) -> Task:
        """Record the task that regenerates this one's preview; this one then waits for nobody.

        Idempotent for the same new task; the stored task says which one won a race.
        """
        ...

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
        """Turn auto_video on for a task at `at_status` whose video was not yet asked for."""
        ...

    def touch_open(self, task: Task, now: datetime | None = None, history: HistoryNote | None = None) -> bool:
        """Mark an open task as just checked, so the reconciler waits a full interval for it again."""
        ...

    def list_by_tenant(
        self,
        tenant_id: str,
        status: TaskStatus | None = None,
        limit: int = 20,
        cursor: str | None = None,
        external: dict[str, str] | None = None,
    ) -> TaskPage:
        """Newest first; `external` filters on external_ref fields (source, shop, product_id)."""
        ...

    def iter_open(self, stale_before: datetime, limit: int = 100) -> Iterator[Task]:
        """Open tasks with no news since `stale_before`, oldest first."""
        ...

    def iter_open_unchanged(self, tenant_id: str, changed_before: datetime, limit: int = 100) -> list[Task]:
        """The tenant's open tasks last changed before `changed_before`, oldest change first.

        Unlike iter_open, a reconciler's check (which changes nothing) does not count as news.
        """
        ...


class ClaimStore(Protocol):
    """Claims on provider jobs, taken before Creatify is paid, so no job is ever paid twice."""

    def claim(self, task_id: str, job: str, *, now: datetime | None = None) -> bool: ...

    def claimed_at(self, task_id: str, job: str) -> datetime | None: ...

    def retake(
        self, task_id: str, job: str, claimed_at: datetime, *, now: datetime | None = None
    ) -> bool: ...

    def release(self, task_id: str, job: str) -> None: ...


@dataclass(frozen=True)
class JobSlot:
    """The one provider job of a kind a task has queued or running (see `JobSlotStore`)."""

    job_id: str  # the message that owns the slot; any other message for it is stale
    due_at: datetime  # when that message became (or becomes) visible in the queue
    retries: int  # safe-to-retry failures so far; a job put back keeps the count
    done: bool  # the job ran to an end (called, recovered, failed or had nothing to do)
    running_until: datetime | None = None  # a run holds it until then (a crashed run's lease ends)
    # An unanswered call may still take effect at Creatify until then; after it, a look-up
    # that finds nothing is final.
    settles_at: datetime | None = None


@dataclass(frozen=True)
class PaidCall:
    """What a run that means to pay Creatify asks of its start: the claim and the call's credits."""

    tenant_id: str
    credits: int
    limit: int | None  # the tenant's daily budget; None: unlimited (usage is counted all the same)


@dataclass(frozen=True)
class StartedRun:
    """What a run holds once its start was written (see `JobSlotStore.start`)."""

    claimed_at: datetime | None  # when the job's claim was taken; None when nobody holds it
    took_claim: bool = False  # this start took the claim: the run may call Creatify
    # What the credits came to when this start reserved them with the claim (None: not reserved).
    reservation: Reservation | None = None
    # An unanswered call under the claim may still take effect at Creatify until then.
    settles_at: datetime | None = None


class JobSlotStore(Protocol):
    """At most one provider job per (task, job kind) queued or running, whoever puts one back.

    Every message names the slot it was queued for (`job_id`); a put-back replaces the slot's
    owner, so a duplicate or stale message finds it is not the owner and ends without effect.
    """

    def first(self, task_id: str, job: str, job_id: str, *, due_at: datetime) -> bool:
        """Record the task's first job of this kind; False when another job owns the slot."""
        ...

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
        """Run the job if it owns the slot and no other run holds it; None to drop the message.

        With `paying`, the same write also takes the job's claim if nobody holds it and
        reserves its credits on the tenant's day (see `PaidCall`): the run learns from the
        answer whether it may call Creatify.
        """
        ...

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
        """Hand the slot from the running job to the one it puts back; False if it was not the owner."""
        ...

    def take_over(
        self, task_id: str, job: str, job_id: str, *, now: datetime, lost_before: datetime
    ) -> JobSlot | None:
        """The reconciler's put-back: only when no job is in the slot, or its job was due before
        `lost_before` and no run holds it. Keeps the retry count; None when the slot is busy."""
        ...

    def let_go(self, task_id: str, job: str, job_id: str) -> None:
        """A run that broke off (an exception): the redelivered message may run the job again."""
        ...

    def finish(self, task_id: str, job: str, job_id: str) -> None:
        """The owner ran to an end: the slot is done (unless another job owns it by now)."""
        ...

    def get(self, task_id: str, job: str) -> JobSlot | None: ...


class Reservation(StrEnum):
    RESERVED = "reserved"  # counted now, within the limit
    ALREADY_HELD = "already_held"  # the job holds a reservation already (a retaken claim): not counted again
    OVER_BUDGET = "over_budget"  # the day's count plus these credits would pass the limit: nothing written


class CreditBudgetStore(Protocol):
    """Credits reserved per tenant and UTC day, at most one reservation per (task, job).

    A reservation is counted on the day it is made and given back to that day; the count is
    never negative and never passes the limit, however many workers reserve at once.
    """

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
        """Count `credits` for the job on `now`'s day if the day stays within `limit` (None: no limit)."""
        ...

    def release(self, task_id: str, job: str) -> bool:
        """Give the job's reservation back to its day; False when it holds none (released already)."""
        ...

    def used(self, tenant_id: str, day: date) -> int:
        """Credits reserved and not given back on `day` (UTC)."""
        ...


class DeliveryLog(Protocol):
    def record(
        self,
        task_id: str,
        attempts: int,
        last: dict[str, Any],
        replay: int = 0,
        history: HistoryNote | None = None,
    ) -> bool:
        """Record the attempts and last answer of a task's webhook; never winds the count back.

        A later replay's record replaces an earlier one's (or the original delivery's, replay 0).
        `history` is appended in the same write, only when the write happens.
        """
        ...

    def request_replay(self, task_id: str) -> int:
        """Count one more replay of the task's delivery and answer its number (1 for the first)."""
        ...


class HistoryLog(Protocol):
    def note(self, task_id: str, entry: dict[str, Any]) -> bool:
        """Append a history entry in a write of its own, while the history has room (True)."""
        ...


class IntakeResult(StrEnum):
    CREATED = "created"  # the product's task was written
    AWAITING_IMAGE = "awaiting_image"  # a product without an image, remembered for its first one
    DUPLICATE_DELIVERY = "duplicate_delivery"  # this delivery was taken before
    PRODUCT_HAS_TASK = "product_has_task"  # one product, one video
    NOT_AWAITING_IMAGE = "not_awaiting_image"  # an update to a product that was not waiting for an image


class ProductIntake(Protocol):
    """Shop products becoming tasks: each call is one conditional write, whatever it checks."""

    def start_video(
        self,
        task: Task,
        *,
        stays_open: bool,
        delivery: tuple[str, str] | None,
        awaiting: tuple[str, str, str] | None = None,
    ) -> IntakeResult:
        """Create the product's task unless it has one or `delivery` (platform, id) was taken.

        With `awaiting` (platform, shop, product id), only if that product was remembered as
        waiting for its first image, and it is waiting no more.
        """
        ...

    def await_image(
        self, platform: str, shop: str, product_id: str, *, delivery: tuple[str, str] | None
    ) -> IntakeResult:
        """Remember a product created without an image, so its first image starts its video."""
        ...


class ConnectionStore(Protocol):
    def create(self, connection: ShopConnection) -> None:
        """Store a new connection; ShopAlreadyConnected if any tenant has connected the shop."""
        ...

    def get(self, connection_id: str) -> ShopConnection | None: ...

    def find_by_shop(self, platform: str, shop: str) -> ShopConnection | None: ...

    def list_by_tenant(self, tenant_id: str) -> list[ShopConnection]: ...

    def update(self, tenant_id: str, connection_id: str, changes: dict[str, Any]) -> ShopConnection:
        """Set the given attributes; ConnectionNotFound unless the tenant has this connection."""
        ...

    def delete(self, tenant_id: str, connection_id: str) -> bool:
        """Remove the connection and its shop lookup; False when there was none of the tenant's."""
        ...


class TenantStore(Protocol):
    def create(self, tenant: Tenant) -> None: ...

    def get(self, tenant_id: str) -> Tenant | None: ...

    def find_by_api_key_hash(self, api_key_hash: str, now: datetime | None = None) -> Tenant | None:
        """The tenant of a key valid at `now` (a rotated-out key until its overlap ends)."""
        ...

    def list(self) -> list[TenantSummary]:
        """Every tenant, oldest first, without keys or secrets."""
        ...

    def rotate_api_key(self, tenant_id: str, new_hash: str, valid_until: datetime) -> Tenant:
        """Make `new_hash` the key; the current one stays valid until `valid_until`.

        A key still in an earlier rotation's overlap stops at once. TenantNotFound,
        ApiKeyInUse, or TenantChangedMeanwhile when another change came first.
        """
        ...

    def revoke_api_keys(self, tenant_id: str, *, previous_only: bool, now: datetime | None = None) -> Tenant:
        """Invalidate every key of the tenant at once (only the rotated-out one with `previous_only`)."""
        ...

    def roll_webhook_secret(self, tenant_id: str, new_secret: str, valid_until: datetime) -> Tenant:
        """Sign with `new_secret`, and with the current secret too until `valid_until`."""
        ...

    def set_daily_credit_budget(self, tenant_id: str, credits: int | None) -> Tenant:
        """Set the tenant's own daily budget (None: the stack's default); TenantNotFound if none."""
        ...
