"""A task's history in DynamoDB: entries appended inside other writes, and a write of its own.

Appending is `list_append` on the task item's `history` list; a bounded list cannot be trimmed
in the same UpdateItem (DynamoDB refuses two actions on one path), so the bound is kept by
not appending: past it, `history_dropped` is counted instead (see `reelay.models.task_history`).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from reelay.clients.aws import aws_client
from reelay.dal import keys
from reelay.dal.expressions import Expression, is_condition_failure
from reelay.errors import TaskNotFound
from reelay.models.task_history import HISTORY_LIMIT, HistoryNote


def append_clauses(e: Expression, *notes: HistoryNote | None) -> tuple[list[str], list[str]]:
    """The SET and ADD clauses that record `notes` (in order) in the same UpdateItem as the rest."""
    given = [note for note in notes if note is not None]
    kept = [note.entry for note in given if note.keep]
    sets: list[str] = []
    adds: list[str] = []
    if kept:
        history = e.name("history")
        sets.append(f"{history} = list_append(if_not_exists({history}, {e.value([])}), {e.value(kept)})")
    if len(kept) < len(given):
        adds.append(f"{e.name('history_dropped')} {e.value(len(given) - len(kept))}")
    return sets, adds


def room_clause(e: Expression) -> str:
    """The condition that the history has room for one more entry.

    A writer that read nothing appends under it, and on a refusal tells a full history
    (`history_full`) from its own condition failing.
    """
    history = e.name("history")
    return f"(attribute_not_exists({history}) OR size({history}) < {e.value(HISTORY_LIMIT)})"


def history_full(item: dict[str, Any]) -> bool:
    """Whether a stored item (as DynamoDB returns it) has no room left in its history."""
    return len(item.get("history", {}).get("L", [])) >= HISTORY_LIMIT


class TaskHistoryLog:
    """Entries with no other write to ride in (retries, checks, refusals): one UpdateItem each."""

    def __init__(self, table_name: str, client: Any = None) -> None:
        self._client = client if client is not None else aws_client("dynamodb")
        self._table = table_name

    def note(self, task_id: str, entry: dict[str, Any]) -> bool:
        """Append `entry` while the history has room; past the bound, count it as dropped.

        True when appended. Raises TaskNotFound if the task does not exist.
        """
        e = Expression()
        sets, _ = append_clauses(e, HistoryNote(entry=entry))
        try:
            self._client.update_item(
                TableName=self._table,
                Key=keys.task_key(task_id),
                UpdateExpression="SET " + sets[0],
                ConditionExpression=f"attribute_exists(pk) AND {room_clause(e)}",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **e.params(),
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            if not exc.response.get("Item"):
                raise TaskNotFound(task_id) from None
            self._count_dropped(task_id)
            return False
        return True

    def _count_dropped(self, task_id: str) -> None:
        e = Expression()
        try:
            self._client.update_item(
                TableName=self._table,
                Key=keys.task_key(task_id),
                UpdateExpression=f"ADD {e.name('history_dropped')} {e.value(1)}",
                # An ADD on a missing key would create an item: only ever count on a task.
                ConditionExpression="attribute_exists(pk)",
                **e.params(),
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
