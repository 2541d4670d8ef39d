"""Provider-job slots: which one message may run a (task, job kind), and since when it waits.

A slot lives beside its task (`TASK#<id>` / `JOB#<job>`) and names the job message that owns
it. The first job's first run writes it (the task stream only sends the job: until a run
starts, the task's change dates the job). Every change is one conditional update, so copies of
a job, the worker (putting a job back) and the reconciler (replacing a lost job) can race
freely: exactly one of them wins and the others learn that another job owns the slot. The
rules are in `reelay.ports.job_stores` (`JobSlotStore`); this module only makes them
conditional writes.

The same item holds the job's claim (`claims`) and its credit reservation (`credit_budgets`),
so a run that means to pay starts, claims and reserves in one write: one transaction with
the tenant's daily count. Only when that transaction is refused does the start take more
writes, to learn which of its conditions failed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from reelay.clients.aws import aws_client
from reelay.dal import keys
from reelay.dal.claims import CLAIMED_AT, SETTLES_AT, claim_clause
from reelay.dal.credit_budgets import (
    CONDITION_FAILED,
    RESERVED_AT,
    count_update,
    reservation_sets,
    transact_or_codes,
)
from reelay.dal.expressions import Expression, is_condition_failure
from reelay.models.clock import utc_now
from reelay.models.jobs import FIRST_JOB
from reelay.ports.job_stores import JobSlot, PaidCall, Reservation, StartedRun

# Long after any message for the job could still arrive (the queue keeps them 14 days).
SLOT_TTL = timedelta(days=30)


def _moment(item: dict[str, Any], name: str) -> datetime | None:
    value = item.get(name, {}).get("S")
    return datetime.fromisoformat(value) if value else None


def _run(item: dict[str, Any]) -> StartedRun:
    return StartedRun(claimed_at=_moment(item, CLAIMED_AT), settles_at=_moment(item, SETTLES_AT))


def _slot(item: dict[str, Any]) -> JobSlot:
    def moment(name: str) -> datetime | None:
        return _moment(item, name)

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

    def _request(
        self,
        task_id: str,
        job: str,
        e: Expression,
        sets: list[str],
        condition: str,
        removes: tuple[str, ...] = (),
        now: datetime | None = None,
    ) -> dict[str, Any]:
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
        return {
            "TableName": self._table,
            "Key": keys.job_slot_key(task_id, job),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            **e.params(),
        }

    def _write(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """The item after the conditional update; None when its condition failed."""
        try:
            response = self._client.update_item(**request, ReturnValues="ALL_NEW")
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return response["Attributes"]

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
        item = self._write(self._request(task_id, job, e, sets, condition, removes, now))
        return _slot(item) if item is not None else None

    def _start_request(
        self, task_id: str, job: str, job_id: str, now: datetime, lease_until: datetime
    ) -> tuple[Expression, list[str], str]:
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
            condition = f"(attribute_not_exists({e.name('job_id')}) OR {condition})"
        return e, sets, condition

    def start(
        self,
        task_id: str,
        job: str,
        job_id: str,
        *,
        now: datetime,
        lease_until: datetime,
        paying: PaidCall | None = None,
    ) -> StartedRun | None:
        if paying is not None:
            return self._start_paying(task_id, job, job_id, now, lease_until, paying)
        return self._start_only(task_id, job, job_id, now, lease_until)

    def _start_only(
        self, task_id: str, job: str, job_id: str, now: datetime, lease_until: datetime
    ) -> StartedRun | None:
        e, sets, condition = self._start_request(task_id, job, job_id, now, lease_until)
        item = self._write(self._request(task_id, job, e, sets, condition, now=now))
        return _run(item) if item is not None else None

    def _start_paying(
        self, task_id: str, job: str, job_id: str, now: datetime, lease_until: datetime, paying: PaidCall
    ) -> StartedRun | None:
        """Start, claim and reserve in one transaction with the day's count.

        When it is refused (the claim or a reservation is held already, the day has no room, or
        the slot is not this message's), one write at a time tells which.
        """
        e, sets, condition = self._start_request(task_id, job, job_id, now, lease_until)
        sets += [claim_clause(e, now), *reservation_sets(e, paying.tenant_id, paying.credits, now)]
        condition += (
            f" AND attribute_not_exists({e.name(CLAIMED_AT)}) AND attribute_not_exists({e.name(RESERVED_AT)})"
        )
        start = self._request(task_id, job, e, sets, condition, (SETTLES_AT,), now)
        count = count_update(self._table, paying.tenant_id, paying.credits, paying.limit, now)
        codes = transact_or_codes(self._client, [{"Update": start}, {"Update": count}])
        if codes is None:
            return StartedRun(claimed_at=now, took_claim=True, reservation=Reservation.RESERVED)
        over_budget = codes[0] != CONDITION_FAILED  # only the day's count refused
        if self._start_claiming(task_id, job, job_id, now, lease_until):
            # With a reservation held already (a claim let go in a crash), the run reserves
            # again and finds it: it is never counted twice.
            return StartedRun(
                claimed_at=now, took_claim=True, reservation=Reservation.OVER_BUDGET if over_budget else None
            )
        return self._start_only(task_id, job, job_id, now, lease_until)

    def _start_claiming(
        self, task_id: str, job: str, job_id: str, now: datetime, lease_until: datetime
    ) -> bool:
        """Start and take the claim in one update, reserving nothing; False when either is refused."""
        e, sets, condition = self._start_request(task_id, job, job_id, now, lease_until)
        sets.append(claim_clause(e, now))
        condition += f" AND attribute_not_exists({e.name(CLAIMED_AT)})"
        return self._write(self._request(task_id, job, e, sets, condition, (SETTLES_AT,), now)) is not None

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
        self,
        task_id: str,
        job: str,
        job_id: str,
        *,
        now: datetime,
        lost_before: datetime,
        queued_at: datetime | None = None,
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
            f"{due} < {e.value(keys.iso(lost_before))}"
            f" AND (attribute_not_exists({running}) OR {running} < {e.value(keys.iso(now))})"
        )
        if queued_at is None or queued_at < lost_before:
            condition = f"attribute_not_exists({e.name('job_id')}) OR ({condition})"
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
