"""Shop products becoming tasks, each in one conditional write however much it must check.

A shop hook has 5 seconds, so everything the intake must make sure of is a condition of the
one write that creates the task: the task does not exist yet (one product, one video), the
delivery was not taken before (Shopify's webhook id), and, for an update, the product was
waiting for its first image (its marker is removed in the same transaction).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from reelay.clients.aws import aws_client
from reelay.dal import keys
from reelay.dal.attribute_values import to_attribute
from reelay.dal.expressions import is_condition_failure
from reelay.dal.tasks import TaskRepository
from reelay.dal.transactions import cancellation_reasons, write_transaction
from reelay.models.task import Task, utc_now
from reelay.ports.stores import IntakeResult

# Shopify retries a failed delivery for up to 48 hours; a delivery id is remembered well past that.
DELIVERY_MEMORY = timedelta(days=7)
# A product created without an image usually gets one within minutes; a year is plenty.
AWAITING_MEMORY = timedelta(days=365)


class ProductIntakeRepository:
    def __init__(self, tasks: TaskRepository, table_name: str, client: Any = None) -> None:
        self._tasks = tasks
        self._client = client if client is not None else aws_client("dynamodb")
        self._table = table_name

    def start_video(
        self,
        task: Task,
        *,
        stays_open: bool,
        delivery: tuple[str, str] | None,
        awaiting: tuple[str, str, str] | None = None,
    ) -> IntakeResult:
        writes: list[tuple[IntakeResult, dict[str, Any]]] = []
        if delivery is not None:
            writes.append((IntakeResult.DUPLICATE_DELIVERY, self._delivery_put(*delivery)))
        writes.append(
            (
                IntakeResult.PRODUCT_HAS_TASK,
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": self._tasks.item_for(task, stays_open),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            )
        )
        if awaiting is not None:
            writes.append(
                (
                    IntakeResult.NOT_AWAITING_IMAGE,
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": keys.awaiting_image_key(*awaiting),
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                )
            )
        return self._write(writes, IntakeResult.CREATED)

    def await_image(
        self, platform: str, shop: str, product_id: str, *, delivery: tuple[str, str] | None
    ) -> IntakeResult:
        marker = {
            **keys.awaiting_image_key(platform, shop, product_id),
            "entity": to_attribute(keys.ENTITY_AWAITING_IMAGE),
            "expires_at": to_attribute(int((utc_now() + AWAITING_MEMORY).timestamp())),
        }
        writes: list[tuple[IntakeResult, dict[str, Any]]] = []
        if delivery is not None:
            writes.append((IntakeResult.DUPLICATE_DELIVERY, self._delivery_put(*delivery)))
        writes.append((IntakeResult.AWAITING_IMAGE, {"Put": {"TableName": self._table, "Item": marker}}))
        return self._write(writes, IntakeResult.AWAITING_IMAGE)

    def _delivery_put(self, platform: str, delivery_id: str) -> dict[str, Any]:
        item = {
            **keys.hook_delivery_key(platform, delivery_id),
            "entity": to_attribute(keys.ENTITY_HOOK),
            "expires_at": to_attribute(int((utc_now() + DELIVERY_MEMORY).timestamp())),
        }
        return {
            "Put": {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}
        }

    def _write(self, writes: list[tuple[IntakeResult, dict[str, Any]]], done: IntakeResult) -> IntakeResult:
        if len(writes) == 1:
            ((refusal, write),) = writes
            ((kind, params),) = write.items()
            call = self._client.put_item if kind == "Put" else self._client.delete_item
            try:
                call(**params)
            except ClientError as exc:
                if is_condition_failure(exc):
                    return refusal
                raise
            return done
        try:
            write_transaction(self._client, [write for _, write in writes])
        except ClientError as exc:
            reasons = cancellation_reasons(exc)
            for (refusal, _), code in zip(writes, reasons, strict=False):
                if code == "ConditionalCheckFailed":
                    return refusal
            raise
        return done
