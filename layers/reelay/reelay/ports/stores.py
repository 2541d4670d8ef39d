"""The stores logic reads and writes: tasks, deliveries, history, shops, tenants.

A provider job's own stores (claim, slot, credits) are in `job_stores`. Each Protocol says
what a store does, not how: `reelay.dal` implements them on DynamoDB,
the unit tests in memory. Every write is conditional and reports whether it happened, so
logic can repeat any step safely; a store never decides what should happen to a task, it
makes what logic decided happen at most once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

# Only in annotations: a function that loads these ports for one store (the authorizer's tenants,
# the stream's slots) does not pay for building every model module at its cold start.
if TYPE_CHECKING:
    from reelay.models.connection import ShopConnection
    from reelay.models.status import TaskStatus
    from reelay.models.task import StatusUpdate, Task
    from reelay.models.task_history import HistoryNote
    from reelay.models.tenant import Tenant, TenantSummary
    from reelay.models.tenant_profile import TenantProfile


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
    # When set, the write holds only while the task records this Creatify task: news applied
    # without reading the task first (a callback) must be about the Creatify task it follows.
    if_provider_task: str | None = None
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
        """attach_provider_task and apply(step) in one write when both hold; None (nothing
        written) otherwise, and the caller makes them one at a time."""
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


class DeliveryLog(Protocol):
    def record(
        self,
        task_id: str,
        attempts: int,
        last: dict[str, Any],
        replay: int = 0,
        history: dict[str, Any] | None = None,
    ) -> bool:
        """Record the attempts and last answer of a task's webhook; never winds the count back.

        A later replay's record replaces an earlier one's (or the original delivery's, replay 0).
        The `history` entry is appended in the same write, only when the write happens, and
        counted as dropped instead once the history is full (no read beforehand).
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


class TenantReader(Protocol):
    """Tenant profiles as the workers read them (reelay.dal.tenant_cache)."""

    def get(self, tenant_id: str) -> TenantProfile | None: ...


class TenantStore(Protocol):
    def create(self, tenant: Tenant) -> None: ...

    def get(self, tenant_id: str) -> Tenant | None: ...

    def profile(self, tenant_id: str) -> TenantProfile | None:
        """What the workers need of the tenant (signing secrets, budget), built without pydantic."""
        ...

    def find_by_api_key_hash(self, api_key_hash: str, now: datetime | None = None) -> Tenant | None:
        """The tenant of a key valid at `now` (a rotated-out key until its overlap ends)."""
        ...

    def tenant_id_for_api_key_hash(self, api_key_hash: str, now: datetime | None = None) -> str | None:
        """find_by_api_key_hash's tenant id, from the key's own lookup alone (the authorizer's one read)."""
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
