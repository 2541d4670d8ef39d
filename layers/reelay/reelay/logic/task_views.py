"""Reading a tenant's tasks: one task, or a page of them, never another tenant's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reelay.deps import Deps
from reelay.errors import TaskNotFound
from reelay.logic.media_view import media_object
from reelay.models.status import TaskStatus
from reelay.models.task import Task

# The API's views are built only by a listing; a reader of one task (the review actions the
# reconciler shares) does not load the API's models.
if TYPE_CHECKING:
    from reelay.models.api import ProductVideoPage


def get_tenant_task(tenant_id: str, task_id: str, deps: Deps) -> Task:
    """The task if it belongs to the tenant; another tenant's task is as good as absent (TaskNotFound)."""
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
    external: dict[str, str] | None = None,
) -> ProductVideoPage:
    """A page of the tenant's tasks, newest first; InvalidCursor for a cursor not issued to it.

    `external` keeps only tasks whose external_ref has these values (source, shop, product_id).
    """
    wanted = {name: value for name, value in (external or {}).items() if value is not None}
    page = deps.tasks.list_by_tenant(
        tenant_id, status=status, limit=limit, cursor=cursor, external=wanted or None
    )
    from reelay.models.api import ProductVideo, ProductVideoPage

    return ProductVideoPage(
        items=[ProductVideo.from_task(t, media_object(t, deps)) for t in page.items],
        next_cursor=page.next_cursor,
    )
