"""What downstream consumers receive: EventBridge detail, SNS message and webhook body."""

from __future__ import annotations

from typing import Any

from reelay.models.status import TaskStatus
from reelay.models.task import Task, webhook_payload

EVENT_SOURCE = "reelay"

DETAIL_TYPES: dict[TaskStatus, str] = {
    TaskStatus.VIDEO_GENERATED: "Product Video Generated",
    TaskStatus.FAILED: "Product Video Failed",
    TaskStatus.IMAGE_GENERATED: "Product Video Image Generated",
}


# The publication's own events: the task's status stays Creatify's, these announce the shop side.
PUBLICATION_DETAIL_TYPES: dict[str, str] = {
    "published": "Product Video Published",
    "failed": "Product Video Publish Failed",
}
_PUBLICATION_EVENT_SUFFIX = {"published": "published", "failed": "publish_failed"}


def event_id(task_id: str, status: TaskStatus | str) -> str:
    """Deterministic per (task, status), so every copy of one event carries the same id."""
    return f"evt_{task_id}_{TaskStatus(status).value}"


def event_detail(task: Task, media: dict[str, Any] | None = None) -> dict[str, Any]:
    """The webhook body (Creatify's fields, then `media` when given) plus Reelay's own fields."""
    detail = webhook_payload(task)
    if media is not None:
        detail["media"] = media
    detail["tenant_id"] = task.tenant_id
    detail["external_ref"] = task.external_ref.as_json()
    detail["event_id"] = event_id(task.id, task.status)
    return detail


def publication_event_id(task_id: str, state: str) -> str:
    """Deterministic per (task, publication outcome): evt_<task>_published, evt_<task>_publish_failed."""
    return f"evt_{task_id}_{_PUBLICATION_EVENT_SUFFIX[state]}"


def publication_event_detail(task: Task, media: dict[str, Any] | None = None) -> dict[str, Any]:
    """The task payload (with `media`) and its publication: what `Product Video Published` /
    `... Publish Failed` carry."""
    if task.publication is None:
        raise ValueError(f"task {task.id} has no publication to announce")
    detail = event_detail(task, media)
    state = task.publication.state.value
    detail["publication"] = task.publication.as_json()
    detail["event_id"] = publication_event_id(task.id, state)
    detail["detail_type"] = PUBLICATION_DETAIL_TYPES[state]
    return detail


def detail_type_of(detail: dict[str, Any]) -> str:
    """The EventBridge detail type of an event detail: a publication's own, else the status's."""
    return detail.get("detail_type") or DETAIL_TYPES[TaskStatus(detail["status"])]
