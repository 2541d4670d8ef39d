"""An SQS batch handled record by record, answered with the records to retry (partial batch response).

Powertools' BatchProcessor does the same, but importing its batch package imports asyncio and
every Powertools event data class, about 30 ms of a worker's cold start, for a loop. This keeps
its behaviour for SQS: each record is handled on its own, a record that raises is logged and
reported in `batchItemFailures` (the queue redelivers it alone, later), and when every record of
the batch failed the batch itself fails, so Lambda's retry and the queue's redrive policy apply
to all of them as they would to one failed invocation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

SqsRecord = Mapping[str, Any]


def last_receive(record: SqsRecord, max_receive_count: int) -> bool:
    """Whether the queue moves this record to its dead-letter queue if this run fails.

    `max_receive_count` is the queue's redrive maxReceiveCount (0: not known, never the last).
    A worker whose job would be left half-done in the dead-letter queue ends it instead.
    """
    receives = int((record.get("attributes") or {}).get("ApproximateReceiveCount") or "1")
    return 0 < max_receive_count <= receives


class EveryRecordFailed(RuntimeError):
    """No record of the batch went through; the last record's exception is chained."""


def handle_sqs_batch(
    event: Mapping[str, Any], record_handler: Callable[[SqsRecord], None], logger: logging.Logger | Any
) -> dict[str, list[dict[str, str]]]:
    records = event.get("Records")
    if not records or not isinstance(records, list):
        raise ValueError("not an SQS batch: the event has no Records")
    failures: list[dict[str, str]] = []
    last_error: Exception | None = None
    for record in records:
        try:
            record_handler(record)
        except Exception as exc:
            last_error = exc
            logger.warning(
                "Record processing exception; skipping this record",
                exc_info=True,
                extra={"message_id": record.get("messageId")},
            )
            failures.append({"itemIdentifier": record["messageId"]})
    if last_error is not None and len(failures) == len(records):
        raise EveryRecordFailed(f"all {len(records)} records of the batch failed") from last_error
    return {"batchItemFailures": failures}
