"""Task-stream: each committed task change becomes provider jobs, events and deliveries.

What a batch's records send is held and sent in batches when they are dispatched
(`reelay.clients.held_sends`): ten messages to a call rather than one per call under load.
"""

from __future__ import annotations

# First: the garbage collector pauses while the instance starts (reelay.startup).
from reelay.startup import resumes_collector

# isort: split

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from reelay.clients.held_sends import HeldSends
from reelay.dal.stream_images import task_images
from reelay.deps import Deps, runtime
from reelay.logic.dispatch import Dispatched, dispatch_change
from reelay.stage_metrics import count

logger = Logger()
# Sends whose calls are throttled can take this long (every call retried with backoff). A record
# is not started with less time than this left, so the sends made after the last one have it: a
# timeout would fail the whole batch and repeat what its earlier records already did, a record
# handed back repeats nothing.
RECORD_TIME_BUDGET_MS = 25_000


def record_handler(record: dict[str, Any], deps: Deps) -> Dispatched | None:
    images = task_images(record)
    if images is None:
        return None  # not a task item (claims, tenants) or a malformed image: nothing to dispatch
    return dispatch_change(images.old, images.new, deps)


def _count(done: Dispatched) -> None:
    if done.submitted_from:
        count("TasksSubmitted", source=done.submitted_from)
    if done.finished_as:
        count("TasksTerminal", status=done.finished_as)


def _holding(sends: HeldSends) -> Deps:
    """The Deps the dispatcher sends through: the real queues and publisher, held."""
    deps = runtime()
    # The parts built from settings are the batch-capable clients (JobQueue, EventPublisher).
    return deps.replacing(
        provider_queue=sends.queue(deps.provider_queue),
        media_queue=sends.queue(deps.media_queue),
        delivery_queue=sends.queue(deps.delivery_queue),
        publish_queue=sends.queue(deps.publish_queue),
        publisher=sends.publisher(deps.publisher),
    )


@resumes_collector
@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    """Dispatch the records in order and stop at the first that fails, reporting it alone.

    The sends are made once the records are dispatched; a record whose sends did not all go
    out counts as failed there, and the batch is handed back from it (see
    `reelay.clients.held_sends`).

    Lambda retries a stream batch from the first failed record, whatever the later ones did, so
    handling them now would only do their work twice (events announced again). Lambda retries
    the failed record a bounded number of times, then sends where it is to the on-failure
    queue, so one poison record never blocks the shard. It also hands the rest back when too
    little time is left for another record. (Powertools' BatchProcessor handles every record of
    a batch, which is right for SQS, not for an ordered stream.)
    """
    records = event.get("Records", [])
    sends = HeldSends()
    deps = _holding(sends)
    dispatched: list[Dispatched | None] = []
    stopped_at: int | None = None
    for position, raw in enumerate(records):
        if position and context.get_remaining_time_in_millis() < RECORD_TIME_BUDGET_MS:
            logger.info(
                "handing the rest of the batch back before time runs out", extra={"handled": position}
            )
            stopped_at = position
            break
        sends.position = position
        try:
            dispatched.append(record_handler(raw, deps))
        except Exception:
            logger.exception(
                "stream record failed; it and the rest of the batch will be retried",
                extra={"sequence_number": _sequence_number(raw), "event_name": raw.get("eventName")},
            )
            sends.forget_from(position)
            stopped_at = position
            break
    unsent = sends.flush()
    if unsent is not None and (stopped_at is None or unsent < stopped_at):
        stopped_at = unsent
    for done in dispatched[:stopped_at]:
        if done is not None:
            _count(done)
    if stopped_at is None:
        return {"batchItemFailures": []}
    return _retry_from(_sequence_number(records[stopped_at]))


def _sequence_number(record: dict[str, Any]) -> str | None:
    return (record.get("dynamodb") or {}).get("SequenceNumber")


def _retry_from(sequence_number: str | None) -> dict:
    # Lambda retries the batch from the lowest sequence number reported (and gives every record one).
    return {"batchItemFailures": [{"itemIdentifier": sequence_number or ""}]}
