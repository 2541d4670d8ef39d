"""Daily credit budgets in the task table: one count per tenant and UTC day, one reservation per job.

The day's count lives at `TENANT#<t>` / `BUDGET#<yyyy-mm-dd>` (`used`); each provider job's
reservation on the job's own item (`TASK#<id>` / `JOB#<job>`, beside its slot and claim: see
`job_slots`), saying which day it was counted on and how many credits. Reserving is one
transaction of two conditional writes, so both happen or neither:
- the reservation is written only if the job holds none, so a job that reserves again (a
  retaken claim, a redelivered message) is never counted twice;
- the count is raised only while `used <= limit - credits`, so it never passes the limit
  however many workers reserve at once (DynamoDB applies conditional writes to one item one
  at a time; a transaction that meets another on the same item is cancelled and tried again).
A job's first run reserves in the same transaction as it starts and claims (`job_slots`);
this module reserves for the runs that claim otherwise. Releasing is the reverse
transaction, conditioned on that very reservation, so it happens once and the count never
goes below zero. A day's count expires by TTL, a reservation with its job's item.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from reelay.clients.aws import aws_client
from reelay.dal import keys
from reelay.dal.expressions import Expression
from reelay.dal.transactions import cancellation_reasons, write_transaction
from reelay.models.clock import utc_now
from reelay.models.credit_days import day_ends_at, utc_day
from reelay.ports.job_stores import Reservation

# A reservation lives on its job's item, as long as the slot and the claim; a day's count
# outlives every reservation made on it, so a late release still finds the count it gives back to.
RESERVATION_TTL = timedelta(days=30)
BUDGET_TTL = timedelta(days=32)
# Transactions on one hot budget item can be cancelled by each other (TransactionConflict), or
# throttled: tried again after a short random wait, up to this many times in all.
TRANSACTION_ATTEMPTS = 8
CONDITION_FAILED = "ConditionalCheckFailed"

# The reservation's attributes on the job's item.
RESERVED_AT = "reserved_at"
RESERVED_TENANT = "reserved_tenant"
RESERVED_DAY = "reserved_day"
RESERVED_CREDITS = "reserved_credits"
RESERVATION_ATTRIBUTES = (RESERVED_AT, RESERVED_TENANT, RESERVED_DAY, RESERVED_CREDITS)


def reservation_sets(e: Expression, tenant_id: str, credits: int, now: datetime) -> list[str]:
    """The SET clauses that put a reservation made `now` on a job's item."""
    return [
        f"{e.name(RESERVED_AT)} = {e.value(keys.iso(now))}",
        f"{e.name(RESERVED_TENANT)} = {e.value(tenant_id)}",
        f"{e.name(RESERVED_DAY)} = {e.value(utc_day(now).isoformat())}",
        f"{e.name(RESERVED_CREDITS)} = {e.value(credits)}",
    ]


def count_update(
    table: str, tenant_id: str, credits: int, limit: int | None, now: datetime
) -> dict[str, Any]:
    """The conditional ADD of `credits` to the tenant's count for `now`'s day (an Update of a transaction)."""
    day = utc_day(now)
    e = Expression()
    used = e.name("used")
    update: dict[str, Any] = {
        "TableName": table,
        "Key": keys.credit_budget_key(tenant_id, day),
        "UpdateExpression": (
            f"ADD {used} {e.value(credits)}"
            f" SET {e.name('entity')} = {e.value(keys.ENTITY_CREDIT_BUDGET)},"
            f" {e.name('tenant_id')} = {e.value(tenant_id)},"
            f" {e.name('day')} = {e.value(day.isoformat())},"
            f" {e.name('expires_at')} = {e.value(int((day_ends_at(day) + BUDGET_TTL).timestamp()))}"
        ),
    }
    if limit is not None:
        room = e.value(limit - credits)
        # With more credits than the whole limit there is no room even on a fresh day.
        fresh_day = f"attribute_not_exists({used}) OR " if credits <= limit else ""
        update["ConditionExpression"] = f"{fresh_day}{used} <= {room}"
    update.update(e.params())
    return update


class CreditBudgetRepository:
    """Credit budgets in the DynamoDB table `table_name` (the template's TasksTable)."""

    def __init__(self, table_name: str, client: Any = None) -> None:
        # One client per process, shared with every other repository (created lazily).
        self._client = client if client is not None else aws_client("dynamodb")
        self._table = table_name

    def reserve(
        self,
        tenant_id: str,
        task_id: str,
        job: str,
        credits: int,
        *,
        limit: int | None,
        now: datetime | None = None,
    ) -> Reservation:
        now = now or utc_now()
        e = Expression()
        sets = reservation_sets(e, tenant_id, credits, now)
        sets += [
            f"{e.name('entity')} = {e.value(keys.ENTITY_JOB_SLOT)}",
            f"{e.name('expires_at')} = if_not_exists({e.name('expires_at')},"
            f" {e.value(int((now + RESERVATION_TTL).timestamp()))})",
        ]
        hold = {
            "TableName": self._table,
            "Key": keys.job_slot_key(task_id, job),
            "UpdateExpression": "SET " + ", ".join(sets),
            "ConditionExpression": f"attribute_not_exists({e.name(RESERVED_AT)})",
            **e.params(),
        }
        codes = transact_or_codes(
            self._client,
            [{"Update": hold}, {"Update": count_update(self._table, tenant_id, credits, limit, now)}],
        )
        if codes is None:
            return Reservation.RESERVED
        if codes[0] == CONDITION_FAILED:
            return Reservation.ALREADY_HELD
        return Reservation.OVER_BUDGET

    def release(self, task_id: str, job: str) -> bool:
        key = keys.job_slot_key(task_id, job)
        found = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        if not found or RESERVED_AT not in found:
            return False
        credits = int(found[RESERVED_CREDITS]["N"])
        tenant_id = found[RESERVED_TENANT]["S"]
        day = date.fromisoformat(found[RESERVED_DAY]["S"])
        # This very reservation, not one made again since it was read.
        this_one = Expression()
        drop = {
            "TableName": self._table,
            "Key": key,
            "UpdateExpression": "REMOVE " + ", ".join(this_one.name(name) for name in RESERVATION_ATTRIBUTES),
            "ConditionExpression": (
                f"{this_one.name(RESERVED_AT)} = {this_one.value(found[RESERVED_AT]['S'])}"
            ),
            **this_one.params(),
        }
        e = Expression()
        used = e.name("used")
        give_back = {
            "TableName": self._table,
            "Key": keys.credit_budget_key(tenant_id, day),
            "UpdateExpression": f"ADD {used} {e.value(-credits)}",
            "ConditionExpression": f"{used} >= {e.value(credits)}",
            **e.params(),
        }
        codes = transact_or_codes(self._client, [{"Update": drop}, {"Update": give_back}])
        if codes is None:
            return True
        if codes[0] == CONDITION_FAILED:
            return False  # released (or made again) by another run meanwhile
        # The day's count is gone (TTL) or smaller than this reservation: there is nothing to
        # give back to, and going below zero is never right. The reservation goes all the same.
        try:
            self._client.update_item(**drop)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return False

    def used(self, tenant_id: str, day: date) -> int:
        found = self._client.get_item(
            TableName=self._table, Key=keys.credit_budget_key(tenant_id, day), ConsistentRead=True
        ).get("Item")
        return int(found["used"]["N"]) if found and "used" in found else 0


def transact_or_codes(client: Any, items: list[dict[str, Any]]) -> list[str] | None:
    """None when written; each item's cancellation code when a condition failed."""
    try:
        write_transaction(client, items, attempts=TRANSACTION_ATTEMPTS)
    except ClientError as exc:
        codes = cancellation_reasons(exc)
        if CONDITION_FAILED in codes:
            return codes
        raise
    return None
