"""A task's history: reading it for its owner, and recording the provider outcomes no other write carries.

Most entries are written by the write that makes the change (see `reelay.models.task_history`);
this module adds the worker's unhappy outcomes (a retry, a check, a refusal), each in a write of
its own, since none of them writes the task otherwise. The submission and each step's `from`
are derived here rather than stored.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools import Logger

from reelay.deps import Deps
from reelay.errors import TaskNotFound
from reelay.logic.provider_jobs import JobOutcome, JobResult
from reelay.logic.task_views import get_tenant_task
from reelay.models.jobs import ProviderJob
from reelay.models.status import TaskStatus
from reelay.models.task import Task
from reelay.models.task_history import (
    Actor,
    CallOutcome,
    HistoryEntry,
    StateChange,
    TaskHistory,
    call_entry,
    read_entry,
)

logger = Logger(child=True)

# Outcomes whose only record is this module's write; submitted and recovered are recorded by the
# write of the provider id, and a skipped job did nothing.
_NOTED = {
    JobResult.RETRY_SCHEDULED: CallOutcome.RETRY_SCHEDULED,
    JobResult.CHECK_SCHEDULED: CallOutcome.CHECK_SCHEDULED,
    JobResult.FAILED: CallOutcome.FAILED,
}


def record_job_outcome(job: ProviderJob, outcome: JobOutcome, deps: Deps) -> bool:
    """Note an unhappy provider outcome in the task's history; True when an entry was appended."""
    noted = _NOTED.get(outcome.result)
    if noted is None:
        return False
    retry = job.retries + 1 if noted is CallOutcome.RETRY_SCHEDULED else None
    entry = call_entry(job.kind.value, noted, datetime.now(UTC), reason=outcome.detail, retry=retry)
    try:
        return deps.history.note(job.task_id, entry)
    except TaskNotFound:
        return False


def task_history(tenant_id: str, task_id: str, deps: Deps) -> TaskHistory:
    """The tenant's task's history, oldest first; TaskNotFound for another tenant's task."""
    return history_of(get_tenant_task(tenant_id, task_id, deps))


def history_of(task: Task) -> TaskHistory:
    entries: list[HistoryEntry] = [_submission(task)]
    # Each step starts where the one before it ended; the first recorded step of a task created
    # before histories were kept starts somewhere unknown.
    status: TaskStatus | None = TaskStatus.INITIALIZING if task.history_from_start else None
    for stored in task.history:
        entry = read_entry(stored, status)
        if entry is None:
            continue
        if isinstance(entry, StateChange):
            status = entry.to_status
            if status is TaskStatus.FAILED:
                entry.reason = task.failed_reason
        entries.append(entry)
    return TaskHistory(task_id=task.id, status=task.status, entries=entries, dropped=task.history_dropped)


def _submission(task: Task) -> StateChange:
    """The task's first entry, derived: when it was created and by what."""
    if task.regen_source_id:
        by = f"{Actor.REVIEW.value} (regenerates {task.regen_source_id})"
    elif task.external_ref.source == "api":
        by = Actor.API.value
    else:
        by = f"{Actor.SHOP.value} ({task.external_ref.source})"
    return StateChange(at=task.created_at, from_status=None, to_status=TaskStatus.INITIALIZING, by=by)
