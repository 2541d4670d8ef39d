"""A task as an item of the table, and back: the only place that knows which attributes are not the task's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reelay.dal import keys
from reelay.dal.attribute_values import from_item
from reelay.models.task import Task

# Task attributes that are not Task fields (TTL, credit bookkeeping).
_NOT_TASK_FIELDS = keys.KEY_ATTRIBUTES | {"expires_at", "charged_jobs"}


def task_from_item(item: Mapping[str, Mapping[str, Any]]) -> Task:
    values = {k: v for k, v in from_item(item).items() if k not in _NOT_TASK_FIELDS}
    # Absent only on tasks stored before histories were recorded.
    values.setdefault("history_from_start", False)
    return Task.from_stored(values)


def task_from_stream_image(image: Mapping[str, Mapping[str, Any]] | None) -> Task | None:
    """The task in a DynamoDB stream record image, or None when the item is not a task (a claim, a tenant)."""
    if not image or image.get("entity", {}).get("S") != keys.ENTITY_TASK:
        return None
    return task_from_item(image)
