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


def event_id(task_id: str, status: TaskStatus | str) -> str:
    """Deterministic per (task, status), so every copy of one event carries the same id."""
    return f"evt_{task_id}_{TaskStatus(status).value}"


def event_detail(task: Task, media: dict[str, Any] | None = None) -> dict[str, Any]:
    """The webhook body (Creatify's fields, then `media` when given) plus Reelay's own fields."""
    detail = webhook_payload(task)
    if media is not None:
        detail["media"] = media
    detail["tenant_id"] = task.tenant_id
    detail["external_ref"] = task.external_ref.model_dump(mode="json")
    detail["event_id"] = event_id(task.id, task.status)
    return detail
