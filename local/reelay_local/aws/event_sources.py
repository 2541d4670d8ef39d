"""Event-source emulation: SQS queues and the DynamoDB stream feed their functions.

Semantics follow Lambda's event source mappings: batches of the configured size,
ReportBatchItemFailures (only the failed messages stay on the queue; for a stream, the
batch is retried from the first failed record), bounded retries for a stream with its
on-failure destination, and a queue's own redrive policy for poison messages.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Invoke = Callable[[dict[str, Any]], Any]

log = logging.getLogger(__name__)


def _failed_ids(result: Any, batch_ids: list[str], report_batch_item_failures: bool) -> set[str] | None:
    """The ids to retry, as Lambda reads a batch response; None means the whole batch failed.

    Without ReportBatchItemFailures the answer is ignored. With it, a missing or empty list is
    success, and an identifier that is empty or not in the batch fails the whole batch.
    """
    if not report_batch_item_failures or not isinstance(result, dict):
        return set()
    failures = result.get("batchItemFailures") or []
    if not isinstance(failures, list):
        return None
    ids = {str(f.get("itemIdentifier") or "") if isinstance(f, dict) else "" for f in failures}
    return ids if ids <= set(batch_ids) else None


def _invoke_batch(
    invoke: Invoke, event: dict[str, Any], batch_ids: list[str], report_batch_item_failures: bool, source: str
) -> set[str] | None:
    try:
        result = invoke(event)
    except Exception:  # a crash fails the whole batch, as in Lambda; the log shows why
        log.exception("the function failed a batch of %d from %s", len(batch_ids), source)
        return None
    return _failed_ids(result, batch_ids, report_batch_item_failures)


def sqs_lambda_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    records = []
    for message in messages:
        attributes = message.get("Attributes", {})
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {
                    "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
                    "SentTimestamp": attributes.get("SentTimestamp", str(int(time.time() * 1000))),
                    "SenderId": attributes.get("SenderId", "local"),
                    "ApproximateFirstReceiveTimestamp": attributes.get(
                        "ApproximateFirstReceiveTimestamp", str(int(time.time() * 1000))
                    ),
                },
                "messageAttributes": {},
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


@dataclass
class SqsSource:
    """One queue feeding one function."""

    sqs: Any
    queue_url: str
    queue_arn: str
    invoke: Invoke
    batch_size: int = 10
    region: str = "us-east-1"
    report_batch_item_failures: bool = True
    # Failed messages come back after this long (Lambda waits the queue's visibility timeout;
    # locally a short wait keeps retries visible without stalling a demo).
    retry_visibility_seconds: int = 1

    def poll_once(self, wait_seconds: int = 0) -> int:
        answer = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(10, self.batch_size),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
        )
        messages = answer.get("Messages", [])
        if not messages:
            return 0
        event = sqs_lambda_event(messages, self.queue_arn, self.region)
        ids = [m["MessageId"] for m in messages]
        failed = _invoke_batch(self.invoke, event, ids, self.report_batch_item_failures, self.queue_arn)
        for message in messages:
            if failed is not None and message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            else:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=self.retry_visibility_seconds,
                )
        return len(messages)


def _stream_record(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    shaped = dict(record)
    shaped.setdefault("eventSource", "aws:dynamodb")
    shaped.setdefault("eventVersion", "1.1")
    shaped.setdefault("awsRegion", region)
    shaped["eventSourceARN"] = stream_arn
    dynamodb = dict(shaped.get("dynamodb", {}))
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = created.timestamp()
    elif created is None:
        dynamodb["ApproximateCreationDateTime"] = datetime.now(UTC).timestamp()
    shaped["dynamodb"] = dynamodb
    return shaped


@dataclass
class StreamSource:
    """A DynamoDB stream feeding one function, shard by shard, in order."""

    streams: Any
    stream_arn: str
    invoke: Invoke
    batch_size: int = 100
    maximum_retry_attempts: int = 5
    on_failure: Callable[[list[dict[str, Any]]], None] | None = None
    region: str = "us-east-1"
    report_batch_item_failures: bool = True
    _iterators: dict[str, str | None] = field(default_factory=dict)
    _pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _attempts: dict[str, int] = field(default_factory=dict)

    def _refresh_shards(self) -> None:
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
                self._pending[shard_id] = []

    def poll_once(self) -> int:
        self._refresh_shards()
        handled = 0
        for shard_id, iterator in list(self._iterators.items()):
            pending = self._pending[shard_id]
            if not pending and iterator:
                answer = self.streams.get_records(ShardIterator=iterator, Limit=1000)
                self._iterators[shard_id] = answer.get("NextShardIterator")
                pending.extend(
                    _stream_record(r, self.stream_arn, self.region) for r in answer.get("Records", [])
                )
            if pending:
                handled += self._deliver(shard_id, pending)
        return handled

    def _deliver(self, shard_id: str, pending: list[dict[str, Any]]) -> int:
        batch = pending[: self.batch_size]
        sequence_numbers = [str(r["dynamodb"].get("SequenceNumber")) for r in batch]
        failed = _invoke_batch(
            self.invoke,
            {"Records": batch},
            sequence_numbers,
            self.report_batch_item_failures,
            self.stream_arn,
        )
        if failed == set():
            del pending[: len(batch)]
            self._attempts.pop(shard_id, None)
            return len(batch)
        # Retry from the first failed record (all of them if the function crashed).
        first = 0
        if failed:
            first = min(i for i, s in enumerate(sequence_numbers) if s in failed)
        done = first
        del pending[:done]
        attempts = self._attempts.get(shard_id, 0) + 1
        if attempts > self.maximum_retry_attempts:
            poison = pending.pop(0)
            if self.on_failure:
                self.on_failure([poison])
            self._attempts.pop(shard_id, None)
            return done + 1
        self._attempts[shard_id] = attempts
        return done


def stream_failure_message(records: list[dict[str, Any]], stream_arn: str) -> str:
    """What Lambda puts on a stream's on-failure destination: where the records are, not them."""
    first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
    return json.dumps(
        {
            "requestContext": {"condition": "RetryAttemptsExhausted", "functionArn": "local"},
            "DDBStreamBatchInfo": {
                "shardId": "local",
                "startSequenceNumber": first.get("SequenceNumber"),
                "endSequenceNumber": last.get("SequenceNumber"),
                "batchSize": len(records),
                "streamArn": stream_arn,
            },
        }
    )
