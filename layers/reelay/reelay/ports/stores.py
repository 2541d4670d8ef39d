"""The stores logic reads and writes: tasks, provider-job claims, delivery records, tenants.

Each Protocol says what a store does, not how: `reelay.dal` implements them on DynamoDB,
the unit tests in memory. Every write is conditional and reports whether it happened, so
logic can repeat any step safely; a store never decides what should happen to a task, it
makes what logic decided happen at most once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from reelay.models.status import TaskStatus
from reelay.models.task import StatusUpdate, Task
from reelay.models.tenant import Tenant


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
        self, task_id: str, provider_task_id: str, *, credits_spent: int = 0, job: str | None = None
    ) -> bool:
        """Record Creatify's task id (never replaced) and the call's credits (once per job)."""
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

    def touch_open(self, task: Task, now: datetime | None = None) -> bool:
        """Mark an open task as just checked, so the reconciler waits a full interval for it again."""
        ...

    def list_by_tenant(
        self, tenant_id: str, status: TaskStatus | None = None, limit: int = 20, cursor: str | None = None
    ) -> TaskPage: ...

    def iter_open(self, stale_before: datetime, limit: int = 100) -> Iterator[Task]:
        """Open tasks with no news since `stale_before`, oldest first."""
        ...


class ClaimStore(Protocol):
    """Claims on provider jobs, taken before Creatify is paid, so no job is ever paid twice."""

    def claim(self, task_id: str, job: str, *, now: datetime | None = None) -> bool: ...

    def claimed_at(self, task_id: str, job: str) -> datetime | None: ...

    def retake(
        self, task_id: str, job: str, claimed_at: datetime, *, now: datetime | None = None
    ) -> bool: ...

    def release(self, task_id: str, job: str) -> None: ...


class DeliveryLog(Protocol):
    def record(self, task_id: str, attempts: int, last: dict[str, Any]) -> bool:
        """Record the attempts and last answer of a task's webhook; never winds the count back."""
        ...


class TenantStore(Protocol):
    def create(self, tenant: Tenant) -> None: ...

    def get(self, tenant_id: str) -> Tenant | None: ...

    def find_by_api_key_hash(self, api_key_hash: str) -> Tenant | None: ...
