"""Reading task images out of DynamoDB stream records (the outbox's input)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from reelay.dal.task_items import task_from_stream_image
from reelay.models.task import Task

logger = Logger(child=True)


@dataclass(frozen=True)
class TaskImages:
    old: Task | None
    new: Task | None


def task_images(record: Mapping[str, Any]) -> TaskImages | None:
    """Old and new task of a record; None for other items, or for an image no code can read.

    An unreadable image will never become readable by retrying, so it is logged and passed
    over rather than failed: one poison record must not hold back the shard. The record is the
    stream's dict as Lambda passes it (Powertools' DynamoDBRecord would import every Powertools
    event class for two keys).
    """
    raw = record.get("dynamodb") or {}
    try:
        old = task_from_stream_image(raw.get("OldImage"))
        new = task_from_stream_image(raw.get("NewImage"))
    except (ValueError, KeyError) as exc:  # reelay.models.records.InvalidRecord included
        logger.error(
            "unreadable task image in stream record; skipped",
            extra={"event_id": record.get("eventID"), "error": str(exc)[:500]},
        )
        return None
    if old is None and new is None:
        return None
    return TaskImages(old=old, new=new)
