"""A task's history as stored: compact entries on the task item, their limits, and how to write them.

Entries ride in writes that happen anyway (a status step, a provider id, a delivery record, a
review), so the happy path pays no extra DynamoDB write, only item size: short keys, times as
epoch milliseconds, reasons cut to REASON_MAX characters. About 50 bytes an entry; a video with
a delivery carries seven (about 350 bytes). What can be derived is not stored: the submission
(created_at, external_ref.source), each step's `from` (the step before it), a failure's reason
(failed_reason).

The bound: status steps (at most five, statuses only move forward) and the records of the
paid calls (at most two) are always kept. Every other entry (retries, checks, refusals,
deliveries, put-backs) is kept while the history holds fewer than HISTORY_LIMIT entries; past
that it is counted in `history_dropped` instead, and the logs still say what it was.

No pydantic here: the workers build entries on their hot path. The API's typed view of
them is `reelay.models.history_view`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from reelay.models.status import TaskStatus

HISTORY_LIMIT = 30
REASON_MAX = 160


class Actor(StrEnum):
    """Who made a change: the stage of the pipeline that wrote it."""

    API = "api"  # the tenant's request (a submission)
    SHOP = "shop"  # a shop's product hook
    WORKER = "worker"  # the provider worker, after a Creatify answer
    CALLBACK = "callback"  # Creatify's callback (then Creatify's own GET)
    RECONCILER = "reconciler"  # the scheduled look at quiet tasks
    REVIEW = "review"  # the owner's decision on a preview (approve, regenerate, reject)
    DELIVERY = "delivery"  # the delivery worker
    MEDIA = "media"  # the media worker (archive copies)


class CallOutcome(StrEnum):
    SUBMITTED = "submitted"  # Creatify took the call
    RECOVERED = "recovered"  # an earlier call's effect was found at Creatify
    RETRY_SCHEDULED = "retry_scheduled"  # Creatify certainly did no work; the job comes back later
    CHECK_SCHEDULED = "check_scheduled"  # the outcome is unknown; looked at again later
    FAILED = "failed"  # refused (by Creatify, or by Reelay before paying), the task failed
    REQUEUED = "requeued"  # the reconciler put a lost job back


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _cut(text: str | None) -> str | None:
    if not text:
        return None
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


def _compact(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


# ---------------------------------------------------------------- stored entries (short keys)


def state_entry(to: TaskStatus, by: Actor | str, at: datetime) -> dict[str, Any]:
    return {"k": "s", "t": _ms(at), "to": TaskStatus(to).value, "by": str(by)}


def call_entry(
    job: str,
    outcome: CallOutcome,
    at: datetime,
    *,
    by: Actor | str = Actor.WORKER,
    reason: str | None = None,
    retry: int | None = None,
) -> dict[str, Any]:
    return _compact(k="c", t=_ms(at), job=job, o=outcome.value, by=str(by), why=_cut(reason), n=retry)


def delivery_entry(
    attempt: int,
    outcome: str,
    at: datetime,
    *,
    status_code: int | None = None,
    error: str | None = None,
    latency_ms: int | None = None,
    event_status: str | None = None,
    replay: int | None = None,
) -> dict[str, Any]:
    return _compact(
        k="d",
        t=_ms(at),
        n=attempt,
        o=outcome,
        code=status_code,
        err=_cut(error),
        ms=latency_ms,
        ev=event_status,
        rp=replay,
    )


def review_entry(action: str, at: datetime, *, regenerated_as: str | None = None) -> dict[str, Any]:
    return _compact(k="r", t=_ms(at), o=action, new=regenerated_as)


def publication_entry(
    outcome: str, at: datetime, *, reason: str | None = None, media_id: str | None = None
) -> dict[str, Any]:
    """How putting the video on the shop product ended (published or failed); once per task."""
    return _compact(k="p", t=_ms(at), o=outcome, why=_cut(reason), media=media_id)


def archive_entry(
    asset: str,
    outcome: str,
    at: datetime,
    *,
    attempt: int,
    size: int | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    return _compact(k="a", t=_ms(at), a=asset, o=outcome, n=attempt, b=size, why=_cut(reason))


@dataclass(frozen=True)
class HistoryNote:
    """An entry for a write that happens anyway, and whether the history has room for it.

    Decided on the writer's copy of the task, so concurrent writers can each add one past the
    bound; `keep=False` counts it in `history_dropped` instead.
    """

    entry: dict[str, Any]
    keep: bool = True


def note_for(history: list[dict[str, Any]], entry: dict[str, Any]) -> HistoryNote:
    return HistoryNote(entry=entry, keep=len(history) < HISTORY_LIMIT)
