"""The task repository: every read and write of a task item, each one a single DynamoDB call.

The table is the single source of truth and its conditional writes are the concurrency
control: creating is a conditional put on a derived id (write and dedup at once), and a
status step is a conditional update that applies only from the statuses logic allowed.
Nothing here decides *what* should happen to a task (`reelay.logic.task_lifecycle` does);
it makes what logic decided happen at most once. Provider jobs (slot, claim, credits) and
delivery records live beside the tasks in the same table, in `job_slots.py` and `deliveries.py`.

Key formats and index names live in `reelay.dal.keys`; callers see only `Task`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from reelay.clients.aws import aws_client
from reelay.dal import keys
from reelay.dal.attribute_values import to_item
from reelay.dal.expressions import Expression, is_condition_failure
from reelay.dal.history_writes import append_clauses
from reelay.dal.task_indexes import TaskIndexes
from reelay.dal.task_items import task_from_item
from reelay.dal.task_updates import attach_clauses, update_expression
from reelay.errors import TaskNotFound
from reelay.models.status import TaskStatus
from reelay.models.task import Task, utc_now
from reelay.models.task_history import HistoryNote, review_entry, state_entry
from reelay.ports.stores import ApplyResult, CreateResult, ReopenResult, Transition

# Result fields a status update may carry; only the ones it has (non-null) are written.
_UPDATE_FIELDS = (
    "provider_task_id",
    "generated_photo_url",
    "generated_video_url",
    "failed_reason",
    "motion_style",
    "video_prompt",
)


class TaskRepository(TaskIndexes):
    """Tasks in the DynamoDB table `table_name` (the template's TasksTable).

    `open_shards` spreads the open-tasks index over that many partitions; every writer and
    the reconciler must agree on it (a task written under another count is on a shard the
    reader does not query). `retention`, when given, sets the TTL attribute when a task
    stops waiting on Creatify, so finished tasks expire.
    """

    def __init__(
        self,
        table_name: str,
        client: Any = None,
        open_shards: int = 4,
        retention: timedelta | None = None,
    ) -> None:
        if client is None:
            # One client per process, shared with every other repository (created lazily).
            client = aws_client("dynamodb")
        super().__init__(table_name, client, open_shards)
        self._retention = retention

    # ------------------------------------------------------------------ items

    def item_for(self, task: Task, stays_open: bool) -> dict[str, dict[str, Any]]:
        """The item that stores `task` (for a put, alone or in another store's transaction)."""
        values: dict[str, Any] = task.stored()
        values["created_at"] = keys.iso(task.created_at)
        values["updated_at"] = keys.iso(task.updated_at)
        # A new task's history is empty: its submission is derived from created_at and its source.
        for empty in ("history", "history_dropped"):
            if not values.get(empty):
                values.pop(empty, None)
        values.update(
            pk=keys.task_pk(task.id),
            sk=keys.TASK_SK,
            entity=keys.ENTITY_TASK,
            tenant_pk=keys.tenant_pk(task.tenant_id),
            tenant_sk=keys.tenant_sk(task.created_at, task.id),
        )
        if stays_open:
            values["open_pk"] = self._open_pk(task.id)
            values["open_sk"] = keys.iso(task.updated_at)
        elif self._retention is not None:
            values["expires_at"] = int((task.updated_at + self._retention).timestamp())
        return to_item(values)

    def _open_pk(self, task_id: str) -> str:
        return keys.open_pk(keys.open_shard(task_id, self._shards))

    def _current_or_missing(self, exc: ClientError, task_id: str) -> Task:
        """The item a failed conditional write saw (ALL_OLD), or TaskNotFound when there was none."""
        if not is_condition_failure(exc):
            raise exc
        old = exc.response.get("Item")
        if not old:
            raise TaskNotFound(task_id) from None
        return task_from_item(old)

    # ------------------------------------------------------------------ writes

    def create(self, task: Task, *, stays_open: bool) -> CreateResult:
        """Store a new task; if its id exists (a retried request), return the stored one, created=False.

        `stays_open` puts it on the open-tasks index, which the reconciler reads.
        """
        try:
            self._client.put_item(
                TableName=self._table,
                Item=self.item_for(task, stays_open),
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            old = exc.response.get("Item")
            stored = task_from_item(old) if old else self.get(task.id)
            if stored is None:  # pragma: no cover - only if the task was deleted in between
                raise
            return CreateResult(created=False, task=stored)
        return CreateResult(created=True, task=task)

    def apply(self, task_id: str, step: Transition, now: datetime | None = None) -> ApplyResult:
        """Make a status step in one conditional update, only from the statuses it allows.

        When the task is at another status (or its auto_video is not the one the step assumed),
        nothing changes and the result is applied=False with the current task. Raises
        TaskNotFound if the task does not exist.
        """
        if not step.allowed_from:  # e.g. "initializing": never a step forward from anywhere
            current = self.get(task_id)
            if current is None:
                raise TaskNotFound(task_id)
            return ApplyResult(applied=False, task=current)
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=keys.task_key(task_id),
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **self._step_expression(task_id, step, now or utc_now()),
            )
        except ClientError as exc:
            return ApplyResult(applied=False, task=self._current_or_missing(exc, task_id))
        return ApplyResult(applied=True, task=task_from_item(response["Attributes"]))

    def _step_expression(self, task_id: str, step: Transition, now: datetime) -> dict[str, Any]:
        e = Expression()
        condition, sets, removes, adds = self._step_clauses(e, task_id, step, now)
        return {
            "ConditionExpression": condition,
            "UpdateExpression": update_expression(sets, removes, adds),
            **e.params(),
        }

    def _step_clauses(
        self, e: Expression, task_id: str, step: Transition, now: datetime, before: HistoryNote | None = None
    ) -> tuple[str, list[str], list[str], list[str]]:
        """The step's condition and its SET, REMOVE and ADD clauses; `before` goes in the history first."""
        status = e.name("status")
        allowed = sorted(s.value for s in step.allowed_from)
        condition = f"{status} IN ({', '.join(e.value(s) for s in allowed)})"
        if step.assumes_auto_video is not None:
            condition += f" AND {e.name('auto_video')} = {e.value(step.assumes_auto_video)}"
        if step.if_version is not None:
            condition += f" AND {e.name('version')} = {e.value(step.if_version)}"
        if step.if_provider_task is not None:
            condition += f" AND {e.name('provider_task_id')} = {e.value(step.if_provider_task)}"
        now_iso = e.value(keys.iso(now))
        sets = [
            f"{status} = {e.value(step.update.status.value)}",
            f"{e.name('updated_at')} = {now_iso}",
            f"{e.name('version')} = {e.name('version')} + {e.value(1)}",
        ]
        fields = step.update.stored()
        sets += [f"{e.name(field)} = {e.value(fields[field])}" for field in _UPDATE_FIELDS if field in fields]
        # The step's own entry is always kept: a task takes at most five steps, statuses only move forward.
        own = (
            HistoryNote(entry=state_entry(step.update.status, step.by, now)) if step.by is not None else None
        )
        history_sets, adds = append_clauses(e, before, own)
        sets += history_sets
        removes: list[str] = []
        if step.stays_open:
            sets.append(f"{e.name('open_pk')} = {e.value(self._open_pk(task_id))}")
            since = e.value(keys.iso(step.open_since)) if step.open_since is not None else now_iso
            sets.append(f"{e.name('open_sk')} = {since}")
        else:
            removes += [e.name("open_pk"), e.name("open_sk")]
            if self._retention is not None:
                expires = int((now + self._retention).timestamp())
                sets.append(f"{e.name('expires_at')} = {e.value(expires)}")
        return condition, sets, removes, adds

    def record_call(
        self,
        task_id: str,
        provider_task_id: str,
        step: Transition,
        *,
        credits_spent: int = 0,
        job: str | None = None,
        history: HistoryNote | None = None,
        now: datetime | None = None,
    ) -> ApplyResult | None:
        """`attach_provider_task` and `apply(step)` in one conditional write, when both hold.

        None when the write was refused (another provider task is named, the job's call was
        recorded already, or the step does not apply now): nothing is written, and the caller
        makes them one at a time.
        """
        if not step.allowed_from:
            return None
        e = Expression()
        condition, sets, removes, adds = self._step_clauses(e, task_id, step, now or utc_now(), history)
        attach_condition, attach_sets, attach_adds = attach_clauses(e, provider_task_id, credits_spent, job)
        if step.update.provider_task_id is not None:
            attach_sets = []  # the step sets the id itself (one path may be set once per write)
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=keys.task_key(task_id),
                UpdateExpression=update_expression([*attach_sets, *sets], removes, [*attach_adds, *adds]),
                ConditionExpression=f"{attach_condition} AND {condition}",
                ReturnValues="ALL_NEW",
                **e.params(),
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return ApplyResult(applied=True, task=task_from_item(response["Attributes"]))

    def attach_provider_task(
        self,
        task_id: str,
        provider_task_id: str,
        *,
        credits_spent: int = 0,
        job: str | None = None,
        history: HistoryNote | None = None,
    ) -> bool:
        """Record a provider call on the task: Creatify's task id and the credits the call cost.

        With `job` ("gen_image", "gen_video"), the credits are counted once per job however
        often the same call is recorded (the worker and an early callback may both record
        it); without, every call adds them. True when the task now names this provider task;
        False when it already names a different one (nothing is written). `history` (the
        call's entry) is appended by the same write, so a repeat records nothing. Raises
        TaskNotFound if the task does not exist.
        """
        e = Expression()
        condition, sets, adds = attach_clauses(e, provider_task_id, credits_spent, job)
        history_sets, history_adds = append_clauses(e, history)
        expression = update_expression([*sets, *history_sets], [], [*adds, *history_adds])
        try:
            self._client.update_item(
                TableName=self._table,
                Key=keys.task_key(task_id),
                UpdateExpression=expression,
                ConditionExpression=condition,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **e.params(),
            )
        except ClientError as exc:
            current = self._current_or_missing(exc, task_id)
            # Failed only because this job was already counted: the id is recorded all the same.
            return current.provider_task_id == provider_task_id
        return True

    def touch_open(self, task: Task, now: datetime | None = None, history: HistoryNote | None = None) -> bool:
        """Mark an open task as just checked, so the reconciler looks at it again only after the wait.

        Changes nothing about the task itself (not updated_at, not version); `history` (what
        the reconciler did about it) rides in the same write. False when the task has moved on
        or left the open-tasks index meanwhile (nothing is written).
        """
        e = Expression()
        open_sk = e.name("open_sk")
        now_value = e.value(keys.iso(now or utc_now()))
        history_sets, history_adds = append_clauses(e, history)
        expression = "SET " + ", ".join([f"{open_sk} = {now_value}", *history_sets])
        if history_adds:
            expression += " ADD " + ", ".join(history_adds)
        try:
            self._client.update_item(
                TableName=self._table,
                Key=keys.task_key(task.id),
                UpdateExpression=expression,
                ConditionExpression=(
                    f"attribute_exists({e.name('open_pk')}) AND {open_sk} < {now_value}"
                    f" AND {e.name('status')} = {e.value(task.status.value)}"
                ),
                **e.params(),
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def link_regeneration(self, task_id: str, new_task_id: str) -> Task:
        e = Expression()
        link = e.name("regenerated_as")
        new_value = e.value(new_task_id)
        entry = review_entry("regenerated", utc_now(), regenerated_as=new_task_id)
        history_sets, _ = append_clauses(e, HistoryNote(entry=entry))
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=keys.task_key(task_id),
                UpdateExpression=(
                    f"SET {', '.join([f'{link} = {new_value}', *history_sets])}"
                    # The publication moved to the new task (reelay.logic.review).
                    f" REMOVE {e.name('open_pk')}, {e.name('open_sk')}, {e.name('publication')}"
                ),
                # Written once: a repeat (the same new task) is answered from the stored item,
                # so the history records the regeneration once.
                ConditionExpression=f"attribute_exists(pk) AND attribute_not_exists({link})",
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **e.params(),
            )
        except ClientError as exc:
            return self._current_or_missing(exc, task_id)
        return task_from_item(response["Attributes"])

    def reopen_for_video(
        self,
        task_id: str,
        *,
        at_status: TaskStatus,
        stays_open: bool,
        motion_style: str | None = None,
        video_prompt: str | None = None,
        now: datetime | None = None,
    ) -> ReopenResult:
        """Ask for the video of a task that stopped at `at_status` with auto_video false.

        Sets auto_video, stores the video options and, with `stays_open`, puts the task back on
        the open-tasks index. Not reopened when the task is at another status or its video was
        already asked for: the returned task says which. Raises TaskNotFound if it does not exist.
        """
        now = now or utc_now()
        e = Expression()
        auto_video = e.name("auto_video")
        now_iso = e.value(keys.iso(now))
        sets = [
            f"{auto_video} = {e.value(True)}",
            f"{e.name('updated_at')} = {now_iso}",
            f"{e.name('version')} = {e.name('version')} + {e.value(1)}",
        ]
        removes: list[str] = []
        if stays_open:
            sets.append(f"{e.name('open_pk')} = {e.value(self._open_pk(task_id))}")
            sets.append(f"{e.name('open_sk')} = {now_iso}")
            # Open again: it must not expire while it waits on Creatify.
            removes.append(e.name("expires_at"))
        options = {"motion_style": motion_style, "video_prompt": video_prompt}
        sets += [f"{e.name(k)} = {e.value(str(v))}" for k, v in options.items() if v is not None]
        # Once per task: the condition below holds only while the video was not yet asked for.
        sets += append_clauses(e, HistoryNote(entry=review_entry("approved", now)))[0]
        # A preview regenerated as another task waits for nobody: it cannot be approved any more.
        condition = (
            f"{e.name('status')} = {e.value(at_status.value)} AND {auto_video} = {e.value(False)}"
            f" AND attribute_not_exists({e.name('regenerated_as')})"
        )
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=keys.task_key(task_id),
                UpdateExpression=expression,
                ConditionExpression=condition,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **e.params(),
            )
        except ClientError as exc:
            return ReopenResult(reopened=False, task=self._current_or_missing(exc, task_id))
        return ReopenResult(reopened=True, task=task_from_item(response["Attributes"]))

    def get(self, task_id: str) -> Task | None:
        response = self._client.get_item(
            TableName=self._table, Key=keys.task_key(task_id), ConsistentRead=True
        )
        item = response.get("Item")
        return task_from_item(item) if item else None
