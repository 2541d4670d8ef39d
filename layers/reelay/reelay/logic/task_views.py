"""Reading a tenant's tasks: one task, or a page of them, never another tenant's."""

from __future__ import annotations

from reelay.deps import Deps
from reelay.models.api import ProductVideo, ProductVideoPage
from reelay.models.status import TaskStatus
from reelay.models.task import Task


class TaskNotFound(LookupError):
    pass


class BadCursor(ValueError):
    """The cursor did not come from this tenant's listing."""


def get_tenant_task(tenant_id: str, task_id: str, deps: Deps) -> Task:
    """The task if it belongs to the tenant; another tenant's task is as good as absent."""
    task = deps.tasks.get(task_id)
    if task is None or task.tenant_id != tenant_id:
        raise TaskNotFound(task_id)
    return task


def list_tenant_tasks(
    tenant_id: str,
    deps: Deps,
    *,
    status: TaskStatus | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> ProductVideoPage:
    from reelay.dal.tasks import InvalidCursor

    try:
        page = deps.tasks.list_by_tenant(tenant_id, status=status, limit=limit, cursor=cursor)
    except InvalidCursor as exc:
        raise BadCursor(str(exc)) from exc
    return ProductVideoPage(
        items=[ProductVideo.from_task(t) for t in page.items], next_cursor=page.next_cursor
    )
