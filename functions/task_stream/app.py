"""Task-stream: each committed task change becomes provider jobs, events and deliveries."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from reelay.dal.stream_images import task_images
from reelay.deps import runtime
from reelay.logic.dispatch import dispatch_change
from reelay.stage_metrics import count

logger = Logger()
# A record whose publishes are throttled can take this long (every step retried with backoff).
# A record is not started with less time than this left: a timeout would fail the whole batch
# and repeat what its earlier records already did, a record handed back repeats nothing.
RECORD_TIME_BUDGET_MS = 25_000


def record_handler(record: dict[str, Any]) -> None:
    images = task_images(record)
    if images is None:
        return  # not a task item (claims, tenants) or a malformed image: nothing to dispatch
    done = dispatch_change(images.old, images.new, runtime())
    if done.submitted_from:
        count("TasksSubmitted", source=done.submitted_from)
    if done.finished_as:
        count("TasksTerminal", status=done.finished_as)


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    """Dispatch the records in order and stop at the first that fails, reporting it alone.

    Lambda retries a stream batch from the first failed record, whatever the later ones did, so
    handling them now would only do their work twice (events announced again) and could
    announce a task's later status before its earlier one. Lambda retries the failed record a
    bounded number of times, then sends where it is to the on-failure queue, so one poison
    record never blocks the shard. It also hands the rest back when too little time is left for
    another record. (Powertools' BatchProcessor handles every record of a batch, which is right
    for SQS, not for an ordered stream.)
    """
    for position, raw in enumerate(event.get("Records", [])):
        sequence_number = (raw.get("dynamodb") or {}).get("SequenceNumber")
        if position and context.get_remaining_time_in_millis() < RECORD_TIME_BUDGET_MS:
            logger.info(
                "handing the rest of the batch back before time runs out", extra={"handled": position}
            )
            return _retry_from(sequence_number)
        try:
            record_handler(raw)
        except Exception:
            logger.exception(
                "stream record failed; it and the rest of the batch will be retried",
                extra={"sequence_number": sequence_number, "event_name": raw.get("eventName")},
            )
            return _retry_from(sequence_number)
    return {"batchItemFailures": []}


def _retry_from(sequence_number: str | None) -> dict:
    # Lambda retries the batch from the lowest sequence number reported (and gives every record one).
    return {"batchItemFailures": [{"itemIdentifier": sequence_number or ""}]}
