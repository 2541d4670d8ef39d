"""Provider-job slots: which one message may run a (task, job kind), and since when it waits.

A slot lives beside its task (`TASK#<id>` / `JOB#<job>`) and names the job message that owns
it. Every change is one conditional update, so the task stream, the worker (putting a job
back) and the reconciler (replacing a lost job) can race freely: exactly one of them wins and
the others learn that another job owns the slot. The rules are in `reelay.ports.stores`
(`JobSlotStore`); this module only makes them conditional writes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from reelay.clients.aws import aws_client
from reelay.dal import keys
from reelay.dal.expressions import Expression, is_condition_failure
from reelay.models.clock import utc_now
from reelay.models.jobs import FIRST_JOB
from reelay.ports.stores import JobSlot

# Long after any message for the job could still arrive (the queue keeps them 14 days).
SLOT_TTL = timedelta(days=30)


def _slot(item: dict[str, Any]) -> JobSlot:
    def moment(name: str) -> datetime | None:
        value = item.get(name, {}).get("S")
        return datetime.fromisoformat(value) if value else None

    return JobSlot(
        job_id=item["job_id"]["S"],
        due_at=datetime.fromisoformat(item["due_at"]["S"]),
        retries=int(item.get("retries", {}).get("N", "0")),
        done=bool(item.get("done", {}).get("BOOL", False)),
        running_until=moment("running_until"),
        settles_at=moment("settles_at"),
    )


class JobSlotRepository:
    """Job slots in the DynamoDB table `table_name` (the template's TasksTable)."""

    def __init__(self, table_name: str, client: Any = None) -> None:
        # One client per process, shared with every other repository (created lazily).
        self._client = client if client is not None else aws_client("dynamodb")
        self._table = table_name

    def _update(
        self,
        task_id: str,
        job: str,
        e: Expression,
        sets: list[str],
        condition: str,
        removes: tuple[str, ...] = (),
        now: datetime | None = None,
    ) -> JobSlot | None:
        moment = now or utc_now()
        sets = [
            *sets,
            f"{e.name('entity')} = {e.value(keys.ENTITY_JOB_SLOT)}",
            f"{e.name('updated_at')} = {e.value(keys.iso(moment))}",
            f"{e.name('expires_at')} = {e.value(int((moment + SLOT_TTL).timestamp()))}",
        ]
        expression = "SET " + ", ".join(sets)
        if removes:
            expression += " REMOVE " + ", ".join(e.name(name) for name in removes)
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=keys.job_slot_key(task_id, job),
                UpdateExpression=expression,
                ConditionExpression=condition,
                ReturnValues="ALL_NEW",
                **e.params(),
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return _slot(response["Attributes"])

    def first(self, task_id: str, job: str, job_id: str, *, due_at: datetime) -> bool:
        e = Expression()
        owner, new = e.name("job_id"), e.value(job_id)
        sets = [
            f"{owner} = {new}",
            f"{e.name('due_at')} = if_not_exists({e.name('due_at')}, {e.value(keys.iso(due_at))})",
            f"{e.name('retries')} = if_not_exists({e.name('retries')}, {e.value(0)})",
            f"{e.name('done')} = if_not_exists({e.name('done')}, {e.value(False)})",
        ]
        condition = f"attribute_not_exists({e.name('pk')}) OR {owner} = {new}"
        return self._update(task_id, job, e, sets, condition, now=due_at) is not None

    def start(
        self, task_id: str, job: str, job_id: str, *, now: datetime, lease_until: datetime
    ) -> JobSlot | None:
        e = Expression()
        owner, new, running = e.name("job_id"), e.value(job_id), e.name("running_until")
        now_value = e.value(keys.iso(now))
        sets = [
            f"{owner} = {new}",
            f"{running} = {e.value(keys.iso(lease_until))}",
            f"{e.name('due_at')} = if_not_exists({e.name('due_at')}, {now_value})",
            f"{e.name('retries')} = if_not_exists({e.name('retries')}, {e.value(0)})",
            f"{e.name('done')} = if_not_exists({e.name('done')}, {e.value(False)})",
        ]
        condition = (
            f"({owner} = {new} AND {e.name('done')} = {e.value(False)}"
            f" AND (attribute_not_exists({running}) OR {running} < {now_value}))"
        )
        if job_id == FIRST_JOB:
            # A first job queued before slots existed (or sent by hand) adopts the free slot.
            condition = f"attribute_not_exists({e.name('pk')}) OR {condition}"
        return self._update(task_id, job, e, sets, condition, now=now)

    def put_back(
        self,
        task_id: str,
        job: str,
        *,
        replacing: str,
        job_id: str,
        due_at: datetime,
        retries: int,
        settles_at: datetime | None = None,
    ) -> bool:
        e = Expression()
        sets = [
            f"{e.name('job_id')} = {e.value(job_id)}",
            f"{e.name('due_at')} = {e.value(keys.iso(due_at))}",
            f"{e.name('retries')} = {e.value(retries)}",
            f"{e.name('done')} = {e.value(False)}",
        ]
        removes: tuple[str, ...] = ("running_until",)
        if settles_at is not None:
            sets.append(f"{e.name('settles_at')} = {e.value(keys.iso(settles_at))}")
        else:
            removes += ("settles_at",)
        condition = f"{e.name('job_id')} = {e.value(replacing)}"
        return self._update(task_id, job, e, sets, condition, removes) is not None

    def take_over(
        self, task_id: str, job: str, job_id: str, *, now: datetime, lost_before: datetime
    ) -> JobSlot | None:
        e = Expression()
        due, running = e.name("due_at"), e.name("running_until")
        sets = [
            f"{e.name('job_id')} = {e.value(job_id)}",
            f"{due} = {e.value(keys.iso(now))}",
            f"{e.name('retries')} = if_not_exists({e.name('retries')}, {e.value(0)})",
            f"{e.name('done')} = {e.value(False)}",
        ]
        condition = (
            f"attribute_not_exists({e.name('pk')}) OR ({due} < {e.value(keys.iso(lost_before))}"
            f" AND (attribute_not_exists({running}) OR {running} < {e.value(keys.iso(now))}))"
        )
        return self._update(task_id, job, e, sets, condition, ("running_until",), now=now)

    def let_go(self, task_id: str, job: str, job_id: str) -> None:
        e = Expression()
        condition = f"{e.name('job_id')} = {e.value(job_id)}"
        self._update(task_id, job, e, [], condition, ("running_until",))

    def finish(self, task_id: str, job: str, job_id: str) -> None:
        e = Expression()
        sets = [f"{e.name('done')} = {e.value(True)}"]
        condition = f"{e.name('job_id')} = {e.value(job_id)}"
        self._update(task_id, job, e, sets, condition, ("running_until",))

    def get(self, task_id: str, job: str) -> JobSlot | None:
        response = self._client.get_item(
            TableName=self._table, Key=keys.job_slot_key(task_id, job), ConsistentRead=True
        )
        item = response.get("Item")
        return _slot(item) if item else None
