"""The task repository: every read and write of a task, each one a single DynamoDB call.

The table is the single source of truth and its conditional writes are the concurrency
control: creating is a conditional put on a derived id (write and dedup at once), applying
news is a conditional update that only moves forward, and a provider job is claimed with a
conditional put before Creatify is called. Nothing here decides *what* should happen to a
task; it makes what logic decided happen at most once.

Key formats and index names live in `reelay.dal.keys`; callers see only `Task`.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from reelay.clients.aws import aws_client
from reelay.dal import keys
from reelay.dal.attribute_values import from_item, to_attribute, to_item
from reelay.models.status import TaskStatus, ranks_below, should_apply, waits_on_provider
from reelay.models.task import StatusUpdate, Task, utc_now

MAX_PAGE = 100
CLAIM_TTL = timedelta(days=30)

# Result fields a status update may carry; only the ones it has (non-null) are written.
_UPDATE_FIELDS = (
    "provider_task_id",
    "generated_photo_url",
    "generated_video_url",
    "failed_reason",
    "motion_style",
    "video_prompt",
)
# Task attributes that are not Task fields (TTL, credit bookkeeping).
_NOT_TASK_FIELDS = keys.KEY_ATTRIBUTES | {"expires_at", "charged_jobs"}
_TENANT_SK_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z#(?P<task_id>[^#]+)$")


class TaskNotFound(LookupError):
    """The task does not exist (a write that needs an existing task found none)."""

    def __init__(self, task_id: str) -> None:
        super().__init__(f"task {task_id} not found")
        self.task_id = task_id


class InvalidCursor(ValueError):
    """A pagination cursor that this repository did not issue for this tenant."""


@dataclass(frozen=True)
class CreateResult:
    created: bool
    task: Task  # the stored task: the new one, or the one an earlier identical request created


@dataclass(frozen=True)
class ApplyResult:
    applied: bool
    task: Task  # after the update when applied; the unchanged current task when not


@dataclass(frozen=True)
class ReopenResult:
    reopened: bool
    task: Task  # when not reopened, its status (and auto_video) say why


@dataclass(frozen=True)
class TaskPage:
    items: list[Task]
    next_cursor: str | None


def task_from_item(item: Mapping[str, Mapping[str, Any]]) -> Task:
    values = {k: v for k, v in from_item(item).items() if k not in _NOT_TASK_FIELDS}
    return Task.model_validate(values)


def task_from_stream_image(image: Mapping[str, Mapping[str, Any]] | None) -> Task | None:
    """The task in a DynamoDB stream record image, or None when the item is not a task (a claim, a tenant)."""
    if not image or image.get("entity", {}).get("S") != keys.ENTITY_TASK:
        return None
    return task_from_item(image)


def _is_condition_failure(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class _Expression:
    """Placeholders for an expression: every attribute name aliased (many are reserved words)."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, dict[str, Any]] = {}

    def name(self, attribute: str) -> str:
        placeholder = f"#{attribute}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = to_attribute(value)
        return placeholder

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"ExpressionAttributeNames": self.names}
        if self.values:
            params["ExpressionAttributeValues"] = self.values
        return params


class TaskRepository:
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
        if open_shards < 1:
            raise ValueError("open_shards must be at least 1")
        self._table = table_name
        self._client = client
        self._shards = open_shards
        self._retention = retention

    # ------------------------------------------------------------------ items

    def _to_item(self, task: Task) -> dict[str, dict[str, Any]]:
        values: dict[str, Any] = task.model_dump(mode="json", exclude_none=True)
        values["created_at"] = keys.iso(task.created_at)
        values["updated_at"] = keys.iso(task.updated_at)
        values.update(
            pk=keys.task_pk(task.id),
            sk=keys.TASK_SK,
            entity=keys.ENTITY_TASK,
            tenant_pk=keys.tenant_pk(task.tenant_id),
            tenant_sk=keys.tenant_sk(task.created_at, task.id),
        )
        if waits_on_provider(task.status, task.auto_video):
            values["open_pk"] = self._open_pk(task.id)
            values["open_sk"] = keys.iso(task.updated_at)
        elif self._retention is not None:
            values["expires_at"] = int((task.updated_at + self._retention).timestamp())
        return to_item(values)

    def _open_pk(self, task_id: str) -> str:
        return keys.open_pk(keys.open_shard(task_id, self._shards))

    def _current_or_missing(self, exc: ClientError, task_id: str) -> Task:
        """The item a failed conditional write saw (ALL_OLD), or TaskNotFound when there was none."""
        if not _is_condition_failure(exc):
            raise exc
        old = exc.response.get("Item")
        if not old:
            raise TaskNotFound(task_id) from None
        return task_from_item(old)

    # ------------------------------------------------------------------ writes

    def create(self, task: Task) -> CreateResult:
        """Store a new task; if its id exists (a retried request), return the stored one, created=False."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=self._to_item(task),
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if not _is_condition_failure(exc):
                raise
            old = exc.response.get("Item")
            stored = task_from_item(old) if old else self.get(task.id)
            if stored is None:  # pragma: no cover - only if the task was deleted in between
                raise
            return CreateResult(created=False, task=stored)
        return CreateResult(created=True, task=task)

    def apply(self, task: Task, update: StatusUpdate, now: datetime | None = None) -> ApplyResult:
        """Apply provider news forward-only in one conditional update.

        A repeat, a regression or news after a terminal status changes nothing and returns
        applied=False with the current task. Raises TaskNotFound if the task does not exist.
        """
        allowed = ranks_below(update.status)
        if not allowed:  # e.g. "initializing": never a step forward from anywhere
            current = self.get(task.id)
            if current is None:
                raise TaskNotFound(task.id)
            return ApplyResult(applied=False, task=current)
        now = now or utc_now()
        auto_video = task.auto_video
        # Whether image_generated closes the task depends on auto_video, so that write is also
        # conditioned on the auto_video it assumed; if the caller's copy was stale, retry once
        # with the stored value.
        for _ in range(2):
            try:
                response = self._client.update_item(
                    TableName=self._table,
                    Key=keys.task_key(task.id),
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    **self._apply_expression(task.id, update, allowed, auto_video, now),
                )
            except ClientError as exc:
                current = self._current_or_missing(exc, task.id)
                if current.auto_video != auto_video and should_apply(current.status, update.status):
                    auto_video = current.auto_video
                    continue
                return ApplyResult(applied=False, task=current)
            return ApplyResult(applied=True, task=task_from_item(response["Attributes"]))
        return ApplyResult(applied=False, task=current)  # pragma: no cover - auto_video flipped twice

    def _apply_expression(
        self,
        task_id: str,
        update: StatusUpdate,
        allowed: list[TaskStatus],
        auto_video: bool,
        now: datetime,
    ) -> dict[str, Any]:
        e = _Expression()
        status = e.name("status")
        condition = f"{status} IN ({', '.join(e.value(s.value) for s in allowed)})"
        if update.status is TaskStatus.IMAGE_GENERATED:
            condition += f" AND {e.name('auto_video')} = {e.value(auto_video)}"
        now_iso = e.value(keys.iso(now))
        sets = [
            f"{status} = {e.value(update.status.value)}",
            f"{e.name('updated_at')} = {now_iso}",
            f"{e.name('version')} = {e.name('version')} + {e.value(1)}",
        ]
        fields = update.model_dump(mode="json", include=set(_UPDATE_FIELDS), exclude_none=True)
        sets += [f"{e.name(field)} = {e.value(value)}" for field, value in fields.items()]
        removes: list[str] = []
        if waits_on_provider(update.status, auto_video):
            sets.append(f"{e.name('open_pk')} = {e.value(self._open_pk(task_id))}")
            sets.append(f"{e.name('open_sk')} = {now_iso}")
        else:
            removes += [e.name("open_pk"), e.name("open_sk")]
            if self._retention is not None:
                expires = int((now + self._retention).timestamp())
                sets.append(f"{e.name('expires_at')} = {e.value(expires)}")
        expression = "SET " + ", ".join(sets)
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        return {"ConditionExpression": condition, "UpdateExpression": expression, **e.params()}

    def attach_provider_task(
        self, task_id: str, provider_task_id: str, *, credits_spent: int = 0, job: str | None = None
    ) -> bool:
        """Record a provider call on the task: Creatify's task id and the credits the call cost.

        With `job` ("gen_image", "gen_video"), the credits are counted once per job however
        often the same call is recorded (the worker and an early callback may both record
        it); without, every call adds them. True when the task now names this provider task;
        False when it already names a different one (nothing is written). Raises
        TaskNotFound if the task does not exist.
        """
        e = _Expression()
        pid = e.name("provider_task_id")
        pid_value = e.value(provider_task_id)
        condition = f"attribute_exists(pk) AND (attribute_not_exists({pid}) OR {pid} = {pid_value})"
        expression = f"SET {pid} = {pid_value}"
        adds = []
        if credits_spent:
            adds.append(f"{e.name('credits_spent')} {e.value(credits_spent)}")
        if job is not None:
            charged = e.name("charged_jobs")
            condition += f" AND NOT contains({charged}, {e.value(job)})"
            adds.append(f"{charged} {e.value({job})}")
        if adds:
            expression += " ADD " + ", ".join(adds)
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

    def touch_open(self, task: Task, now: datetime | None = None) -> bool:
        """Mark an open task as just checked, so the reconciler looks at it again only after the wait.

        Changes nothing about the task itself (not updated_at, not version). False when the
        task has moved on or left the open-tasks index meanwhile (nothing is written).
        """
        e = _Expression()
        open_sk = e.name("open_sk")
        now_value = e.value(keys.iso(now or utc_now()))
        try:
            self._client.update_item(
                TableName=self._table,
                Key=keys.task_key(task.id),
                UpdateExpression=f"SET {open_sk} = {now_value}",
                ConditionExpression=(
                    f"attribute_exists({e.name('open_pk')}) AND {open_sk} < {now_value}"
                    f" AND {e.name('status')} = {e.value(task.status.value)}"
                ),
                **e.params(),
            )
        except ClientError as exc:
            if _is_condition_failure(exc):
                return False
            raise
        return True

    def reopen_for_video(
        self,
        task_id: str,
        *,
        motion_style: str | None = None,
        video_prompt: str | None = None,
        now: datetime | None = None,
    ) -> ReopenResult:
        """Ask for the video of a task that stopped at image_generated (auto_video false).

        Sets auto_video, stores the video options and puts the task back on the open-tasks
        index. Not reopened when the task is at another status or its video was already
        asked for: the returned task says which. Raises TaskNotFound if it does not exist.
        """
        now = now or utc_now()
        e = _Expression()
        auto_video = e.name("auto_video")
        now_iso = e.value(keys.iso(now))
        sets = [
            f"{auto_video} = {e.value(True)}",
            f"{e.name('open_pk')} = {e.value(self._open_pk(task_id))}",
            f"{e.name('open_sk')} = {now_iso}",
            f"{e.name('updated_at')} = {now_iso}",
            f"{e.name('version')} = {e.name('version')} + {e.value(1)}",
        ]
        options = {"motion_style": motion_style, "video_prompt": video_prompt}
        sets += [f"{e.name(k)} = {e.value(str(v))}" for k, v in options.items() if v is not None]
        condition = (
            f"{e.name('status')} = {e.value(TaskStatus.IMAGE_GENERATED.value)} "
            f"AND {auto_video} = {e.value(False)}"
        )
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=keys.task_key(task_id),
                UpdateExpression="SET " + ", ".join(sets) + f" REMOVE {e.name('expires_at')}",
                ConditionExpression=condition,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **e.params(),
            )
        except ClientError as exc:
            return ReopenResult(reopened=False, task=self._current_or_missing(exc, task_id))
        return ReopenResult(reopened=True, task=task_from_item(response["Attributes"]))

    def claim(self, task_id: str, job: str, *, now: datetime | None = None) -> bool:
        """Claim a provider job (e.g. "gen_image") for a task: True once, False for every later try.

        Creatify's POSTs take no idempotency key, so a redelivered queue message must not
        call it again; the claim expires (TTL) long after any redelivery could arrive.
        """
        now = now or utc_now()
        item = {
            **keys.claim_key(task_id, job),
            "entity": to_attribute(keys.ENTITY_CLAIM),
            "claimed_at": to_attribute(keys.iso(now)),
            "expires_at": to_attribute(int((now + CLAIM_TTL).timestamp())),
        }
        try:
            self._client.put_item(
                TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as exc:
            if _is_condition_failure(exc):
                return False
            raise
        return True

    def claimed_at(self, task_id: str, job: str) -> datetime | None:
        """When the job's claim was taken (or last retaken); None when there is no claim."""
        response = self._client.get_item(
            TableName=self._table, Key=keys.claim_key(task_id, job), ConsistentRead=True
        )
        item = response.get("Item")
        return datetime.fromisoformat(item["claimed_at"]["S"]) if item else None

    def retake_claim(
        self, task_id: str, job: str, claimed_at: datetime, *, now: datetime | None = None
    ) -> bool:
        """Take over a claim last taken at `claimed_at` (its call's outcome never came back).

        True for exactly one of several workers retaking the same claim; False when the claim
        was retaken or released since `claimed_at` was read.
        """
        now = now or utc_now()
        e = _Expression()
        taken = e.name("claimed_at")
        try:
            self._client.update_item(
                TableName=self._table,
                Key=keys.claim_key(task_id, job),
                UpdateExpression=(
                    f"SET {taken} = {e.value(keys.iso(now))},"
                    f" {e.name('expires_at')} = {e.value(int((now + CLAIM_TTL).timestamp()))}"
                ),
                ConditionExpression=f"{taken} = {e.value(keys.iso(claimed_at))}",
                **e.params(),
            )
        except ClientError as exc:
            if _is_condition_failure(exc):
                return False
            raise
        return True

    def release_claim(self, task_id: str, job: str) -> None:
        """Give a claim up (the call certainly did not happen), so a retried job may claim again."""
        self._client.delete_item(TableName=self._table, Key=keys.claim_key(task_id, job))

    def record_delivery(self, task_id: str, attempts: int, last: dict[str, Any]) -> bool:
        """Record webhook delivery attempts and the last answer on the task.

        False (nothing written) when a record with more attempts is already there, so a late
        duplicate never winds the count back. Raises TaskNotFound if the task does not exist.
        """
        e = _Expression()
        count = e.name("delivery_attempts")
        attempts_value = e.value(attempts)
        expression = f"SET {count} = {attempts_value}, {e.name('last_delivery')} = {e.value(last)}"
        try:
            self._client.update_item(
                TableName=self._table,
                Key=keys.task_key(task_id),
                UpdateExpression=expression,
                ConditionExpression=(
                    f"attribute_exists(pk) AND (attribute_not_exists({count}) OR {count} <= {attempts_value})"
                ),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **e.params(),
            )
        except ClientError as exc:
            self._current_or_missing(exc, task_id)
            return False
        return True

    # ------------------------------------------------------------------ reads

    def get(self, task_id: str) -> Task | None:
        response = self._client.get_item(
            TableName=self._table, Key=keys.task_key(task_id), ConsistentRead=True
        )
        item = response.get("Item")
        return task_from_item(item) if item else None

    def list_by_tenant(
        self,
        tenant_id: str,
        status: TaskStatus | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> TaskPage:
        """A tenant's tasks, newest first, `limit` (1..100) at a time.

        `next_cursor` resumes right after the last item returned and is None on the last
        page; with a status filter, pages are read until `limit` matches or the end, so a
        page is never empty while a cursor says more may follow. Raises InvalidCursor for a
        cursor that is malformed or belongs to another tenant.
        """
        limit = max(1, min(MAX_PAGE, limit))
        e = _Expression()
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": keys.TENANT_INDEX,
            "KeyConditionExpression": f"{e.name('tenant_pk')} = {e.value(keys.tenant_pk(tenant_id))}",
            "ScanIndexForward": False,
        }
        if status is not None:
            params["FilterExpression"] = f"{e.name('status')} = {e.value(TaskStatus(status).value)}"
        params.update(e.params())
        start = self._decode_cursor(cursor, tenant_id) if cursor else None

        items: list[Task] = []
        last_sk = ""
        while True:
            remaining = limit - len(items)
            # One more than needed tells whether another page exists without a further read; with
            # a filter, read wider pages since only some items match.
            page_size = remaining + 1 if status is None else max(remaining + 1, MAX_PAGE)
            query = {**params, "Limit": page_size}
            if start:
                query["ExclusiveStartKey"] = start
            response = self._client.query(**query)
            for raw in response.get("Items", []):
                if len(items) == limit:
                    return TaskPage(items=items, next_cursor=self._encode_cursor(tenant_id, last_sk))
                items.append(task_from_item(raw))
                last_sk = raw["tenant_sk"]["S"]
            start = response.get("LastEvaluatedKey")
            if not start:
                return TaskPage(items=items, next_cursor=None)
            if len(items) == limit:
                return TaskPage(items=items, next_cursor=self._encode_cursor(tenant_id, last_sk))

    @staticmethod
    def _encode_cursor(tenant_id: str, tenant_sk: str) -> str:
        raw = json.dumps({"t": tenant_id, "k": tenant_sk}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    @staticmethod
    def _decode_cursor(cursor: str, tenant_id: str) -> dict[str, dict[str, str]]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            data = json.loads(raw)
            owner, tenant_sk = data["t"], data["k"]
        except (binascii.Error, ValueError, TypeError, KeyError) as exc:
            raise InvalidCursor("cursor is not one this API issued") from exc
        match = _TENANT_SK_FORMAT.match(tenant_sk) if isinstance(tenant_sk, str) else None
        if match is None or not isinstance(owner, str):
            raise InvalidCursor("cursor is not one this API issued")
        if owner != tenant_id:
            raise InvalidCursor("cursor belongs to another listing")
        # The index's start key: the index keys plus the table keys of the item to resume after.
        return {
            "tenant_pk": {"S": keys.tenant_pk(tenant_id)},
            "tenant_sk": {"S": tenant_sk},
            **keys.task_key(match["task_id"]),
        }

    def iter_open(self, stale_before: datetime, limit: int = 100) -> Iterator[Task]:
        """Tasks still waiting on Creatify with no news since `stale_before`, oldest first, at most `limit`.

        Reads the open-tasks index (eventually consistent: re-read a task before acting on it).
        """
        before = keys.iso(stale_before)
        shards = [self._iter_open_shard(shard, before, limit) for shard in range(self._shards)]
        for count, (_, task) in enumerate(heapq.merge(*shards, key=lambda pair: pair[0])):
            if count >= limit:
                return
            yield task

    def _iter_open_shard(self, shard: int, before: str, page_size: int) -> Iterator[tuple[str, Task]]:
        e = _Expression()
        partition = f"{e.name('open_pk')} = {e.value(keys.open_pk(shard))}"
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": keys.OPEN_INDEX,
            "KeyConditionExpression": f"{partition} AND {e.name('open_sk')} < {e.value(before)}",
            "ScanIndexForward": True,
            "Limit": max(1, min(page_size, 1000)),
            **e.params(),
        }
        while True:
            response = self._client.query(**params)
            for raw in response.get("Items", []):
                yield raw["open_sk"]["S"], task_from_item(raw)
            if not response.get("LastEvaluatedKey"):
                return
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]
