"""Where each of a task's media copies stands, recorded on the task item under `archive.<asset>`.

Every write is a conditional update of that one map entry, so a redelivered or late archive job
finds the asset already claimed or settled and does nothing twice. The change is what the task
stream sees: an asset settling (archived or failed) is what releases the announcement that
waited for it (`reelay.logic.task_lifecycle`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from reelay.clients.aws import aws_client
from reelay.dal import keys
from reelay.dal.expressions import Expression, conditional_update, is_condition_failure
from reelay.dal.history_writes import append_clauses
from reelay.dal.task_updates import update_expression
from reelay.models.media import ArchivedFile, ArchiveState, MediaAsset
from reelay.models.task_history import HistoryNote

# A pending claim older than this was left by a run that died (the worker's timeout is 5 min,
# the media queue's visibility timeout 30): a job that finds one may take it over, e.g. one
# an operator moved back from the dead-letter queue, which SQS counts as received only once.
STALE_CLAIM = timedelta(minutes=30)


def _missing_parent(exc: ClientError) -> bool:
    # An item written before archives existed has no `archive` map to set an entry of.
    error = exc.response.get("Error", {})
    return error.get("Code") == "ValidationException" and "document path" in error.get("Message", "")


class ArchiveRecords:
    """Archive records on the tasks of the DynamoDB table `table_name`."""

    def __init__(self, table_name: str, client: Any = None) -> None:
        self._client = client if client is not None else aws_client("dynamodb")
        self._table = table_name

    def claim(
        self, task_id: str, asset: MediaAsset, attempt: int, *, takeover: bool, source_url: str
    ) -> bool:
        record = ArchivedFile(state=ArchiveState.PENDING, attempts=attempt + 1, source_url=source_url)
        e = Expression()
        path = f"{e.name('archive')}.{e.name(MediaAsset(asset).value)}"
        state, attempts, updated = e.name("state"), e.name("attempts"), e.name("updated_at")
        stale_before = keys.iso(datetime.now(UTC) - STALE_CLAIM)
        pending = f"{path}.{state} = {e.value(ArchiveState.PENDING.value)}"
        condition = (
            f"attribute_exists(pk) AND (attribute_not_exists({path}) OR ({pending} AND "
            f"({path}.{attempts} <= {e.value(attempt + 1 if takeover else attempt)} OR "
            f"{path}.{updated} < {e.value(stale_before)})))"
        )
        update = f"SET {path} = {e.value(_stored(record))}"
        try:
            self._client.update_item(
                TableName=self._table,
                Key=keys.task_key(task_id),
                UpdateExpression=update,
                ConditionExpression=condition,
                **e.params(),
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            if not _missing_parent(exc):
                raise
            return self._first_record(task_id, asset, record)
        return True

    def _first_record(self, task_id: str, asset: MediaAsset, record: ArchivedFile) -> bool:
        e = Expression()
        archive = e.name("archive")
        update = f"SET {archive} = {e.value({MediaAsset(asset).value: _stored(record)})}"
        condition = f"attribute_exists(pk) AND attribute_not_exists({archive})"
        return (
            conditional_update(self._client, self._table, keys.task_key(task_id), e, update, condition)
            is not None
        )

    def settle(
        self, task_id: str, asset: MediaAsset, file: ArchivedFile, history: HistoryNote | None
    ) -> bool:
        e = Expression()
        path = f"{e.name('archive')}.{e.name(MediaAsset(asset).value)}"
        history_sets, adds = append_clauses(e, history)
        update = update_expression([f"{path} = {e.value(_stored(file))}", *history_sets], [], adds)
        condition = f"{path}.{e.name('state')} = {e.value(ArchiveState.PENDING.value)}"
        return (
            conditional_update(self._client, self._table, keys.task_key(task_id), e, update, condition)
            is not None
        )


def _stored(file: ArchivedFile) -> dict[str, Any]:
    values = file.model_dump(mode="json", exclude_none=True)
    values["updated_at"] = keys.iso(file.updated_at)
    return values
