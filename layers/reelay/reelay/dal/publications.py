"""A task's publication in DynamoDB: conditional updates of the `publication` map on the task item.

See `reelay.ports.publications` for what each write promises. Paths into the map are aliased
like every other name (`#publication.#state`), since `state` and friends are reserved words.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reelay.clients.aws import aws_client
from reelay.dal import keys
from reelay.dal.expressions import Expression, conditional_update
from reelay.dal.history_writes import append_clauses
from reelay.dal.task_items import task_from_item
from reelay.models.media_states import PublicationState
from reelay.models.task import Task
from reelay.models.task_history import HistoryNote

P = PublicationState


class PublicationRepository:
    def __init__(self, table_name: str, client: Any = None) -> None:
        self._client = client if client is not None else aws_client("dynamodb")
        self._table = table_name

    def _update(self, task_id: str, e: Expression, update: str, condition: str) -> Task | None:
        item = conditional_update(
            self._client, self._table, keys.task_key(task_id), e, update, condition, return_new=True
        )
        return task_from_item(item) if item is not None else None

    @staticmethod
    def _path(e: Expression, field: str) -> str:
        return f"{e.name('publication')}.{e.name(field)}"

    def claim(
        self, task_id: str, *, now: datetime, stale_before: datetime, message_id: str | None = None
    ) -> Task | None:
        e = Expression()
        state, updated, attempts = (self._path(e, f) for f in ("state", "updated_at", "attempts"))
        # Kept on the item only (the model ignores it): which message holds the claim.
        claimed_by = self._path(e, "claimed_by")
        taken_over = f"{updated} < {e.value(keys.iso(stale_before))}"
        if message_id is not None:
            taken_over = f"({taken_over} OR {claimed_by} = {e.value(message_id)})"
        publishing = e.value(P.PUBLISHING.value)
        # Only once the video's archived copy exists: a copy of the job that came early (SQS
        # delivers at least once) must not take the claim and end the publication for want of it.
        archived = f"{e.name('archive')}.{e.name('video')}.{e.name('state')} = {e.value('archived')}"
        condition = (
            f"({state} = {e.value(P.PENDING.value)}"
            f" OR ({state} = {publishing} AND {taken_over}))"
            f" AND {archived}"
        )
        update = (
            f"SET {state} = {publishing}, {updated} = {e.value(keys.iso(now))},"
            f" {attempts} = if_not_exists({attempts}, {e.value(0)}) + {e.value(1)}"
        )
        if message_id is not None:
            update += f", {claimed_by} = {e.value(message_id)}"
        return self._update(task_id, e, update, condition)

    def _under(self, e: Expression, claim: int) -> str:
        return (
            f"{self._path(e, 'state')} = {e.value(P.PUBLISHING.value)}"
            f" AND {self._path(e, 'attempts')} = {e.value(claim)}"
        )

    def hold(self, task_id: str, claim: int, *, now: datetime) -> Task | None:
        e = Expression()
        update = f"SET {self._path(e, 'updated_at')} = {e.value(keys.iso(now))}"
        return self._update(task_id, e, update, self._under(e, claim))

    def record_media(self, task_id: str, claim: int, media_id: str, *, now: datetime) -> bool:
        e = Expression()
        update = (
            f"SET {self._path(e, 'media_id')} = {e.value(media_id)},"
            f" {self._path(e, 'updated_at')} = {e.value(keys.iso(now))}"
        )
        return self._update(task_id, e, update, self._under(e, claim)) is not None

    def finish(
        self,
        task_id: str,
        state: PublicationState,
        *,
        claim: int | None,
        now: datetime,
        reason: str | None = None,
        media_id: str | None = None,
        history: dict[str, Any] | None = None,
    ) -> bool:
        e = Expression()
        sets = [
            f"{self._path(e, 'state')} = {e.value(state.value)}",
            f"{self._path(e, 'updated_at')} = {e.value(keys.iso(now))}",
        ]
        if reason is not None:
            sets.append(f"{self._path(e, 'reason')} = {e.value(reason)}")
        if media_id is not None:
            sets.append(f"{self._path(e, 'media_id')} = {e.value(media_id)}")
        sets += append_clauses(e, HistoryNote(entry=history) if history else None)[0]
        if claim is None:
            condition = f"{self._path(e, 'state')} = {e.value(P.PENDING.value)}"
        else:
            condition = self._under(e, claim)
        return self._update(task_id, e, "SET " + ", ".join(sets), condition) is not None
