"""Provider-job claims: taken before Creatify is called, at most once per (task, job).

Creatify's POSTs take no idempotency key, so a redelivered queue message must not call it
again: the first worker to claim a job calls, every later one finds the claim. A claim is the
`claimed_at` attribute of the job's own item (`TASK#<id>` / `JOB#<job>`, beside its slot and
its credit reservation; see `job_slots`), which expires (TTL) long after any redelivery could
arrive. A job's first run takes it with its start, in the same write (`JobSlotRepository.start`);
this module takes it again after a release, retakes it, and gives it up.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from reelay.clients.aws import aws_client
from reelay.dal import keys
from reelay.dal.expressions import Expression, is_condition_failure
from reelay.models.clock import utc_now

CLAIM_TTL = timedelta(days=30)
CLAIMED_AT = "claimed_at"
# An unanswered call under the claim may still land until then (the slot's note, see job_slots):
# a claim taken afresh makes an earlier call's note meaningless, so it goes with the new claim.
SETTLES_AT = "settles_at"


def claim_clause(e: Expression, now: datetime) -> str:
    """The SET clause that takes a job's claim `now` (a new claim also removes SETTLES_AT)."""
    return f"{e.name(CLAIMED_AT)} = {e.value(keys.iso(now))}"


def _claim_sets(e: Expression, now: datetime) -> list[str]:
    return [claim_clause(e, now), f"{e.name('expires_at')} = {e.value(int((now + CLAIM_TTL).timestamp()))}"]


class ClaimRepository:
    """Claims in the DynamoDB table `table_name` (the template's TasksTable)."""

    def __init__(self, table_name: str, client: Any = None) -> None:
        # One client per process, shared with every other repository (created lazily).
        self._client = client if client is not None else aws_client("dynamodb")
        self._table = table_name

    def _write(self, task_id: str, job: str, e: Expression, expression: str, condition: str) -> bool:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=keys.job_slot_key(task_id, job),
                UpdateExpression=expression,
                ConditionExpression=condition,
                **e.params(),
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def claim(self, task_id: str, job: str, *, now: datetime | None = None) -> bool:
        """Claim a provider job (e.g. "gen_image") for a task: True once, False for every later try."""
        now = now or utc_now()
        e = Expression()
        sets = [*_claim_sets(e, now), f"{e.name('entity')} = {e.value(keys.ENTITY_JOB_SLOT)}"]
        expression = "SET " + ", ".join(sets) + f" REMOVE {e.name(SETTLES_AT)}"
        return self._write(task_id, job, e, expression, f"attribute_not_exists({e.name(CLAIMED_AT)})")

    def claimed_at(self, task_id: str, job: str) -> datetime | None:
        """When the job's claim was taken (or last retaken); None when there is no claim."""
        response = self._client.get_item(
            TableName=self._table, Key=keys.job_slot_key(task_id, job), ConsistentRead=True
        )
        value = response.get("Item", {}).get(CLAIMED_AT, {}).get("S")
        return datetime.fromisoformat(value) if value else None

    def retake(self, task_id: str, job: str, claimed_at: datetime, *, now: datetime | None = None) -> bool:
        """Take over a claim last taken at `claimed_at` (its call's outcome never came back).

        True for exactly one of several workers retaking the same claim; False when the claim
        was retaken or released since `claimed_at` was read.
        """
        e = Expression()
        expression = "SET " + ", ".join(_claim_sets(e, now or utc_now()))
        condition = f"{e.name(CLAIMED_AT)} = {e.value(keys.iso(claimed_at))}"
        return self._write(task_id, job, e, expression, condition)

    def release(self, task_id: str, job: str) -> None:
        """Give a claim up (the call certainly did not happen), so a retried job may claim again."""
        e = Expression()
        # Only the claim: the item goes on holding the job's slot.
        self._write(task_id, job, e, f"REMOVE {e.name(CLAIMED_AT)}", f"attribute_exists({e.name('pk')})")
