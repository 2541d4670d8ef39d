"""A task's history for its owner: the stored entries read, and what is derived rather than stored.

Entries are written by the writes that make each change (see `reelay.models.task_history`);
the submission, each step's `from` and a failure's reason are derived here.
"""

from __future__ import annotations

from reelay.deps import Deps
from reelay.logic.task_views import get_tenant_task
from reelay.models.history_view import HistoryEntry, StateChange, TaskHistory, read_entry
from reelay.models.status import TaskStatus
from reelay.models.task import Task
from reelay.models.task_history import Actor


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
                entry = entry.replace(reason=task.failed_reason)
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
