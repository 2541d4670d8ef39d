"""Provider-job claims: a conditional put per (task, job), taken before Creatify is called.

Creatify's POSTs take no idempotency key, so a redelivered queue message must not call it
again: the first worker to claim a job calls, every later one finds the claim. A claim lives
beside its task (`TASK#<id>` / `CLAIM#<job>`) and expires (TTL) long after any redelivery
could arrive.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from reelay.clients.aws import aws_client
from reelay.dal import keys
from reelay.dal.attribute_values import to_attribute
from reelay.dal.expressions import Expression, is_condition_failure
from reelay.models.clock import utc_now

CLAIM_TTL = timedelta(days=30)


class ClaimRepository:
    """Claims in the DynamoDB table `table_name` (the template's TasksTable)."""

    def __init__(self, table_name: str, client: Any = None) -> None:
        # One client per process, shared with every other repository (created lazily).
        self._client = client if client is not None else aws_client("dynamodb")
        self._table = table_name

    def claim(self, task_id: str, job: str, *, now: datetime | None = None) -> bool:
        """Claim a provider job (e.g. "gen_image") for a task: True once, False for every later try."""
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
            if is_condition_failure(exc):
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

    def retake(self, task_id: str, job: str, claimed_at: datetime, *, now: datetime | None = None) -> bool:
        """Take over a claim last taken at `claimed_at` (its call's outcome never came back).

        True for exactly one of several workers retaking the same claim; False when the claim
        was retaken or released since `claimed_at` was read.
        """
        now = now or utc_now()
        e = Expression()
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
            if is_condition_failure(exc):
                return False
            raise
        return True

    def release(self, task_id: str, job: str) -> None:
        """Give a claim up (the call certainly did not happen), so a retried job may claim again."""
        self._client.delete_item(TableName=self._table, Key=keys.claim_key(task_id, job))
