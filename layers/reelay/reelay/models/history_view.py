"""A task's history as the API shows it: typed entries, one record per kind, read from the stored ones.

Plain records (reelay.models.records), answered with `as_json()`; each entry's `kind` says which
it is (the document's discriminator).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from reelay.models.records import Record, described, record
from reelay.models.status import TaskStatus
from reelay.models.task_history import HISTORY_LIMIT, CallOutcome


@record
class _Entry(Record):
    at: datetime


@record
class StateChange(_Entry):
    kind: Literal["state"] = "state"
    from_status: TaskStatus | None = described(description="None for the submission")
    to_status: TaskStatus
    by: str = described(
        description="api, shop or review (a submission); worker, callback, reconciler, review"
    )
    reason: str | None = described(None, description="The failed_reason, on a step to failed")


@record
class ProviderCall(_Entry):
    kind: Literal["provider_call"] = "provider_call"
    job: str = described(description="gen_image, regen_image or gen_video")
    outcome: CallOutcome
    by: str
    reason: str | None = described(None, description="Why it is retried, checked or failed")
    retry: int | None = described(None, description="Which retry of the job this was (1 for the first)")


@record
class DeliveryAttempt(_Entry):
    kind: Literal["delivery"] = "delivery"
    attempt: int = described(description="1 for the first attempt of an event")
    outcome: str = described(description="delivered, retry_scheduled, gone, gave_up or refused")
    status_code: int | None = described(None, description="The receiver's HTTP status")
    error: str | None = described(None, description="Why no status came (or why it was refused)")
    latency_ms: int | None = None
    event_status: str | None = described(None, description="The status the delivered event announced")
    replay: int | None = described(None, description="Which replay this attempt belongs to, if any")


@record
class ReviewAction(_Entry):
    kind: Literal["review"] = "review"
    action: str = described(description="approved or regenerated")
    regenerated_as: str | None = None


@record
class ArchiveCopy(_Entry):
    kind: Literal["archive"] = "archive"
    asset: str = described(description="photo or video")
    outcome: str = described(description="archived, retry_scheduled or failed")
    attempt: int = described(description="1 for the first copy attempt")
    bytes: int | None = described(None, description="The archived file's size")
    reason: str | None = described(None, description="Why the copy failed")


@record
class PublicationOutcome(_Entry):
    kind: Literal["publication"] = "publication"
    outcome: str = described(description="published or failed: the video on the shop product, or why not")
    reason: str | None = None
    media_id: str | None = described(None, description="The shop's id of the video (Shopify's media gid)")


# One of the entries, told apart by `kind`.
HistoryEntry = StateChange | ProviderCall | DeliveryAttempt | ReviewAction | ArchiveCopy | PublicationOutcome


@record
class TaskHistory(Record):
    """Everything that happened to a task, oldest first."""

    task_id: str
    status: TaskStatus
    entries: list[HistoryEntry]
    dropped: int = described(
        0, description=f"Entries not kept once the history held {HISTORY_LIMIT} (see the logs)"
    )


def _at(ms: Any) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, UTC)


def read_entry(stored: dict[str, Any], previous: TaskStatus | None) -> HistoryEntry | None:
    """The typed view of one stored entry; `previous` is the status before it (for a step's `from`).

    None for an entry this code cannot read (a kind or an outcome written by a newer version).
    """
    try:
        return _read(stored, previous)
    except (KeyError, ValueError):  # InvalidRecord is a ValueError
        return None


def _read(stored: dict[str, Any], previous: TaskStatus | None) -> HistoryEntry | None:
    kind, at = stored.get("k"), _at(stored.get("t", 0))
    if kind == "s":
        return StateChange(at=at, from_status=previous, to_status=stored["to"], by=stored.get("by", ""))
    if kind == "c":
        return ProviderCall(
            at=at,
            job=stored.get("job", ""),
            outcome=stored["o"],
            by=stored.get("by", ""),
            reason=stored.get("why"),
            retry=stored.get("n"),
        )
    if kind == "d":
        return DeliveryAttempt(
            at=at,
            attempt=stored.get("n", 0),
            outcome=stored.get("o", ""),
            status_code=stored.get("code"),
            error=stored.get("err"),
            latency_ms=stored.get("ms"),
            event_status=stored.get("ev"),
            replay=stored.get("rp"),
        )
    if kind == "r":
        return ReviewAction(at=at, action=stored.get("o", ""), regenerated_as=stored.get("new"))
    if kind == "a":
        return ArchiveCopy(
            at=at,
            asset=stored.get("a", ""),
            outcome=stored.get("o", ""),
            attempt=stored.get("n", 1),
            bytes=stored.get("b"),
            reason=stored.get("why"),
        )
    if kind == "p":
        return PublicationOutcome(
            at=at, outcome=stored.get("o", ""), reason=stored.get("why"), media_id=stored.get("media")
        )
    return None
