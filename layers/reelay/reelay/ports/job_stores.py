"""The stores a provider job's run uses: its claim, its slot and its credits.

One item per (task, job) holds all three on DynamoDB (`reelay.dal.job_slots`), so a run that
means to pay starts, claims and reserves in one write (`JobSlotStore.start` with `PaidCall`).
Like every store (`reelay.ports.stores`), each write is conditional and says whether it happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol


class ClaimStore(Protocol):
    """Claims on provider jobs, taken before Creatify is paid, so no job is ever paid twice."""

    def claim(self, task_id: str, job: str, *, now: datetime | None = None) -> bool: ...

    def claimed_at(self, task_id: str, job: str) -> datetime | None: ...

    def retake(
        self, task_id: str, job: str, claimed_at: datetime, *, now: datetime | None = None
    ) -> bool: ...

    def release(self, task_id: str, job: str) -> None: ...


@dataclass(frozen=True)
class JobSlot:
    """The one provider job of a kind a task has queued or running (see `JobSlotStore`)."""

    job_id: str  # the message that owns the slot; any other message for it is stale
    due_at: datetime  # when that message became (or becomes) visible in the queue
    retries: int  # safe-to-retry failures so far; a job put back keeps the count
    done: bool  # the job ran to an end (called, recovered, failed or had nothing to do)
    running_until: datetime | None = None  # a run holds it until then (a crashed run's lease ends)
    # An unanswered call may still take effect at Creatify until then; after it, a look-up
    # that finds nothing is final.
    settles_at: datetime | None = None


@dataclass(frozen=True)
class PaidCall:
    """What a run that means to pay Creatify asks of its start: the claim and the call's credits."""

    tenant_id: str
    credits: int
    limit: int | None  # the tenant's daily budget; None: unlimited (usage is counted all the same)


@dataclass(frozen=True)
class StartedRun:
    """What a run holds once its start was written (see `JobSlotStore.start`)."""

    claimed_at: datetime | None  # when the job's claim was taken; None when nobody holds it
    took_claim: bool = False  # this start took the claim: the run may call Creatify
    # What the credits came to when this start reserved them with the claim (None: not reserved).
    reservation: Reservation | None = None
    # An unanswered call under the claim may still take effect at Creatify until then.
    settles_at: datetime | None = None


class JobSlotStore(Protocol):
    """At most one provider job per (task, job kind) queued or running, whoever puts one back.

    Every message names the slot it was queued for (`job_id`); a put-back replaces the slot's
    owner, so a duplicate or stale message finds it is not the owner and ends without effect.
    """

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
        """Run the job if it owns the slot and no other run holds it; None to drop the message.

        With `paying`, the same write also takes the job's claim if nobody holds it and
        reserves its credits on the tenant's day (see `PaidCall`): the run learns from the
        answer whether it may call Creatify.
        """
        ...

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
        """Hand the slot from the running job to the one it puts back; False if it was not the owner."""
        ...

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
        """The reconciler's put-back: only when its job was due before `lost_before` and no run
        holds it. Keeps the retry count; None when the slot is busy.

        A slot no run has started yet does not exist: its first job was queued at `queued_at`
        (the task's change that set it off), so it counts as lost only if that was before
        `lost_before` (None: at once)."""
        ...

    def let_go(self, task_id: str, job: str, job_id: str) -> None:
        """A run that broke off (an exception): the redelivered message may run the job again."""
        ...

    def finish(self, task_id: str, job: str, job_id: str) -> None:
        """The owner ran to an end: the slot is done (unless another job owns it by now)."""
        ...

    def get(self, task_id: str, job: str) -> JobSlot | None: ...


class Reservation(StrEnum):
    RESERVED = "reserved"  # counted now, within the limit
    ALREADY_HELD = "already_held"  # the job holds a reservation already (a retaken claim): not counted again
    OVER_BUDGET = "over_budget"  # the day's count plus these credits would pass the limit: nothing written


class CreditBudgetStore(Protocol):
    """Credits reserved per tenant and UTC day, at most one reservation per (task, job).

    A reservation is counted on the day it is made and given back to that day; the count is
    never negative and never passes the limit, however many workers reserve at once.
    """

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
        """Count `credits` for the job on `now`'s day if the day stays within `limit` (None: no limit)."""
        ...

    def release(self, task_id: str, job: str) -> bool:
        """Give the job's reservation back to its day; False when it holds none (released already)."""
        ...

    def used(self, tenant_id: str, day: date) -> int:
        """Credits reserved and not given back on `day` (UTC)."""
        ...
