"""Where each of a task's media copies stands, recorded on the task item under `archive.<asset>`.

The media worker reads nothing before it writes: each outcome is one conditional update of
that map entry with its history entry, and the condition is what makes one outcome count (see
`ArchiveStore.settle`). The history's bound is kept the same way: the update appends only
while the list is under HISTORY_LIMIT, and on the rare refusal for a full history (the item
the refused write saw says which clause failed) the outcome is written again with the entry
counted in `history_dropped`. The change is what the task stream sees: an asset settling
(archived or failed) is what releases the announcement that waited for it
(`reelay.logic.task_lifecycle`).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from reelay.clients.aws import aws_client
from reelay.dal import keys
from reelay.dal.attribute_values import from_item
from reelay.dal.expressions import Expression, is_condition_failure
from reelay.dal.history_writes import append_clauses, history_full, room_clause
from reelay.dal.task_updates import update_expression
from reelay.models.media import ArchivedFile
from reelay.models.media_states import ArchiveState, MediaAsset
from reelay.models.task_history import HistoryNote
from reelay.ports.media import Settled

PENDING = ArchiveState.PENDING.value


def _missing_parent(exc: ClientError) -> bool:
    # An item written before archives existed has no `archive` map to set an entry of.
    error = exc.response.get("Error", {})
    return error.get("Code") == "ValidationException" and "document path" in error.get("Message", "")


def movable(record: dict[str, Any] | None, from_attempt: int | None, message_id: str | None) -> bool:
    """Whether a settle may move this stored record on: the condition `_movable_clause` writes.

    Any settle moves an asset with no record or a pending one. One `from_attempt` n moves it
    only while n is the current attempt: no record yet for n = 0; pending with `attempts` n (the
    failure before n recorded it); or pending at n + 1 when this very message recorded that
    (`retry_by`: its send may have been lost) or when the version before this one claimed it
    for attempt n (a claim has no reason; a run that died left it).
    """
    if record is None:
        return from_attempt is None or from_attempt == 0
    if record.get("state") != PENDING:
        return False
    if from_attempt is None:
        return True
    attempts = record.get("attempts", 0)
    if attempts == from_attempt:
        return True
    next_one = attempts == from_attempt + 1
    return next_one and (
        "failed_reason" not in record or (message_id is not None and record.get("retry_by") == message_id)
    )


def _movable_clause(e: Expression, path: str, from_attempt: int | None, message_id: str | None) -> str:
    state = f"{path}.{e.name('state')} = {e.value(PENDING)}"
    if from_attempt is None:
        return f"(attribute_not_exists({path}) OR {state})"
    attempts = f"{path}.{e.name('attempts')}"
    own = f"attribute_not_exists({path}.{e.name('failed_reason')})"
    if message_id is not None:
        own = f"({own} OR {path}.{e.name('retry_by')} = {e.value(message_id)})"
    current = f"{attempts} = {e.value(from_attempt)} OR ({attempts} = {e.value(from_attempt + 1)} AND {own})"
    clause = f"({state} AND ({current}))"
    return f"(attribute_not_exists({path}) OR {clause})" if from_attempt == 0 else clause


class ArchiveRecords:
    """Archive records on the tasks of the DynamoDB table `table_name`."""

    def __init__(self, table_name: str, client: Any = None) -> None:
        self._client = client if client is not None else aws_client("dynamodb")
        self._table = table_name

    def settle(
        self,
        task_id: str,
        asset: MediaAsset,
        file: ArchivedFile,
        entry: dict[str, Any],
        *,
        from_attempt: int | None = None,
        message_id: str | None = None,
    ) -> Settled:
        note = HistoryNote(entry=entry)
        whole_map = False
        # At most four writes, each refusal a different one: the item has no `archive` map yet
        # (set the whole map), another write made that map meanwhile (set the entry after all),
        # the history is full (count the entry instead).
        for _ in range(4):
            if whole_map and from_attempt not in (None, 0):
                return Settled.SUPERSEDED  # no record at all: attempt n > 0 is not the current one
            try:
                self._write(task_id, asset, file, note, from_attempt, message_id, whole_map=whole_map)
            except ClientError as exc:
                if not whole_map and _missing_parent(exc):
                    whole_map = True
                    continue
                if not is_condition_failure(exc):
                    raise
                old = exc.response.get("Item")
                if not old:
                    return Settled.TASK_GONE
                item = from_item(old)
                archive = item.get("archive")
                if whole_map and archive is not None:
                    whole_map = False
                    continue
                record = (archive or {}).get(MediaAsset(asset).value)
                if not movable(record, from_attempt, message_id):
                    return Settled.SUPERSEDED
                if note.keep and history_full(old):
                    note = HistoryNote(entry=entry, keep=False)
                    continue
                raise  # refused for no reason the item shows: not ours to hide
            return Settled.RECORDED
        raise RuntimeError(f"settling {asset} of task {task_id} took more writes than it can need")

    def _write(
        self,
        task_id: str,
        asset: MediaAsset,
        file: ArchivedFile,
        note: HistoryNote,
        from_attempt: int | None,
        message_id: str | None,
        *,
        whole_map: bool,
    ) -> None:
        e = Expression()
        archive = e.name("archive")
        name = MediaAsset(asset).value
        if whole_map:
            target = f"{archive} = {e.value({name: _stored(file)})}"
            condition = f"attribute_exists(pk) AND attribute_not_exists({archive})"
        else:
            path = f"{archive}.{e.name(name)}"
            target = f"{path} = {e.value(_stored(file))}"
            condition = f"attribute_exists(pk) AND {_movable_clause(e, path, from_attempt, message_id)}"
        if note.keep:
            condition += f" AND {room_clause(e)}"
        history_sets, adds = append_clauses(e, note)
        self._client.update_item(
            TableName=self._table,
            Key=keys.task_key(task_id),
            UpdateExpression=update_expression([target, *history_sets], [], adds),
            ConditionExpression=condition,
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
            **e.params(),
        )


def _stored(file: ArchivedFile) -> dict[str, Any]:
    values = file.stored()
    values["updated_at"] = keys.iso(file.updated_at)
    return values
