"""Webhook delivery records: how many attempts a task's webhook took and what the last one got.

The record lives on the task item (`delivery_attempts`, `last_delivery`, and each attempt in
the task's `history`), so the API shows it with the task; a late duplicate of an earlier
attempt never winds the count back.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from reelay.clients.aws import aws_client
from reelay.dal import keys
from reelay.dal.expressions import Expression, is_condition_failure
from reelay.dal.history_writes import append_clauses, history_full, room_clause
from reelay.errors import TaskNotFound
from reelay.models.task_history import HistoryNote


class DeliveryRecords:
    """Delivery records on the tasks of the DynamoDB table `table_name`."""

    def __init__(self, table_name: str, client: Any = None) -> None:
        self._client = client if client is not None else aws_client("dynamodb")
        self._table = table_name

    def record(
        self,
        task_id: str,
        attempts: int,
        last: dict[str, Any],
        replay: int = 0,
        history: dict[str, Any] | None = None,
    ) -> bool:
        """Record webhook delivery attempts and the last answer on the task, and the attempt's history.

        A replay's attempts count from 1 again: a later replay's record replaces an earlier
        one's, and within one replay (or the original delivery, replay 0) the count never goes
        back. False (nothing written) when a newer record is already there. Raises TaskNotFound
        if the task does not exist. The entry is appended while the history has room; a write
        refused for a full history only is made again with the entry counted as dropped.
        """
        note = HistoryNote(entry=history) if history is not None else None
        try:
            self._write(task_id, attempts, last, replay, note)
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            item = exc.response.get("Item")
            if not item:
                raise TaskNotFound(task_id) from None
            if note is None or not history_full(item):
                return False
            try:
                self._write(task_id, attempts, last, replay, HistoryNote(entry=note.entry, keep=False))
            except ClientError as again:
                if not is_condition_failure(again):
                    raise
                return False
        return True

    def _write(
        self, task_id: str, attempts: int, last: dict[str, Any], replay: int, note: HistoryNote | None
    ) -> None:
        e = Expression()
        count = e.name("delivery_attempts")
        attempts_value = e.value(attempts)
        seen = e.name("delivery_replay")
        expression = f"SET {count} = {attempts_value}, {e.name('last_delivery')} = {e.value(last)}"
        not_behind = f"(attribute_not_exists({count}) OR {count} <= {attempts_value})"
        if replay:
            replay_value = e.value(replay)
            expression += f", {seen} = {replay_value}"
            newer = (
                f"(attribute_not_exists({seen}) OR {seen} < {replay_value} OR "
                f"({seen} = {replay_value} AND {not_behind}))"
            )
        else:
            newer = f"(attribute_not_exists({seen}) AND {not_behind})"
        history_sets, history_adds = append_clauses(e, note)
        expression = ", ".join([expression, *history_sets])
        if history_adds:
            expression += " ADD " + ", ".join(history_adds)
        condition = f"attribute_exists(pk) AND {newer}"
        if note is not None and note.keep:
            condition += f" AND {room_clause(e)}"
        self._client.update_item(
            TableName=self._table,
            Key=keys.task_key(task_id),
            UpdateExpression=expression,
            ConditionExpression=condition,
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
            **e.params(),
        )

    def request_replay(self, task_id: str) -> int:
        """Count one more replay of the task's delivery; its number (1 for the first).

        Raises TaskNotFound if the task does not exist.
        """
        e = Expression()
        replays = e.name("delivery_replays")
        try:
            answer = self._client.update_item(
                TableName=self._table,
                Key=keys.task_key(task_id),
                UpdateExpression=f"ADD {replays} {e.value(1)}",
                ConditionExpression="attribute_exists(pk)",
                ReturnValues="UPDATED_NEW",
                **e.params(),
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                raise TaskNotFound(task_id) from None
            raise
        return int(answer["Attributes"]["delivery_replays"]["N"])
