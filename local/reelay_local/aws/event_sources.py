"""Event-source emulation: SQS queues and the DynamoDB stream feed their functions.

Semantics follow Lambda's event source mappings: batches of the configured size,
ReportBatchItemFailures (only the failed messages stay on the queue; for a stream, the
batch is retried from the first failed record), bounded retries for a stream with its
on-failure destination, a queue's own redrive policy for poison messages, and an SQS
mapping's ScalingConfig.MaximumConcurrency: that many invocations at once, never more.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

Invoke = Callable[[dict[str, Any]], Any]


class Instance(Protocol):
    def invoke(self, event: dict[str, Any]) -> Any: ...


class Instances(Protocol):
    """A function that scales out (`lambda_runtime.FunctionInstances`): one instance per invocation."""

    limit: int

    def acquire(self, timeout: float | None = None) -> Instance | None: ...

    def release(self, instance: Any) -> None: ...


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
    """One queue feeding one function.

    Without `instances`, one batch at a time through `invoke`. With them (the mapping has a
    MaximumConcurrency), up to `instances.limit` batches at once, each on an instance of its
    own: `poll_once` runs one such round and waits for it, `serve` keeps the instances busy
    from a poller thread of its own, as Lambda's pollers do.
    """

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
    instances: Instances | None = None
    # Called after each invocation (the embedded stack wakes its other pollers: the function
    # may have written the table or a queue).
    after_invoke: Callable[[], None] | None = None
    # True while `serve` runs: the stack's shared poller leaves this queue to it.
    serving: bool = False
    # moto's ReceiveMessage is not atomic: two receivers at once could be handed the same
    # message, which a real queue never does while it is in flight. So receivers take turns.
    _receive_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _running: set[threading.Thread] = field(default_factory=set, repr=False)
    _running_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def poll_once(self, wait_seconds: int = 0) -> int:
        """One poll, how many messages it handled: a batch, or with instances one per instance, at once."""
        if self.instances is None:
            messages = self._receive(wait_seconds)
            if messages:
                self._handle(messages, self.invoke)
            return len(messages)
        rounds: list[threading.Thread] = []
        handled = 0
        while len(rounds) < self.instances.limit:
            instance = self.instances.acquire(timeout=0)
            if instance is None:
                break
            messages = self._receive(wait_seconds if not rounds else 0)
            if not messages:
                self.instances.release(instance)
                break
            handled += len(messages)
            rounds.append(self._start(instance, messages))
        for thread in rounds:
            thread.join()
        return handled

    def serve(
        self,
        stop: threading.Event,
        wake: threading.Event,
        poll_interval: float = 0.1,
        idle_interval: float = 1.0,
    ) -> None:
        """Keep up to `instances.limit` invocations running until `stop` is set (a poller thread's body).

        Receives a batch only when an instance is free, so no message waits invisible for one.
        Polls every `poll_interval` while messages flow, every `idle_interval` after a couple of
        empty seconds, and at once when `wake` is set.
        """
        if self.instances is None:
            raise RuntimeError("serve() needs instances: this mapping has no maximum concurrency")
        self.serving = True
        idle_after = max(1, int(2.0 / poll_interval))
        quiet_rounds = 0
        try:
            while not stop.is_set():
                instance = self.instances.acquire(timeout=poll_interval)
                if instance is None:
                    continue  # every instance is busy: look at `stop`, then wait again
                wake.clear()
                try:
                    messages = self._receive(0)
                except Exception:  # a poller keeps polling, as Lambda's does
                    log.exception("polling %s failed", self.queue_arn)
                    messages = []
                if messages:
                    quiet_rounds = 0
                    self._start(instance, messages)
                    continue
                self.instances.release(instance)
                quiet_rounds += 1
                wake.wait(poll_interval if quiet_rounds < idle_after else idle_interval)
                if wake.is_set():
                    quiet_rounds = 0
        finally:
            self.serving = False

    def join_running(self, timeout: float) -> None:
        """Wait (up to `timeout` in all) for invocations still running."""
        deadline = time.monotonic() + timeout
        with self._running_lock:
            running = list(self._running)
        for thread in running:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _start(self, instance: Instance, messages: list[dict[str, Any]]) -> threading.Thread:
        assert self.instances is not None
        instances = self.instances

        def run() -> None:
            try:
                self._handle(messages, instance.invoke)
            except Exception:  # deleting or releasing failed: the messages come back on their own
                log.exception("finishing a batch from %s failed", self.queue_arn)
            finally:
                instances.release(instance)
                with self._running_lock:
                    self._running.discard(threading.current_thread())
                if self.after_invoke is not None:
                    self.after_invoke()

        thread = threading.Thread(target=run, name=f"invoke-{self.queue_arn.rsplit(':', 1)[-1]}", daemon=True)
        with self._running_lock:
            self._running.add(thread)
        thread.start()
        return thread

    def _receive(self, wait_seconds: int) -> list[dict[str, Any]]:
        with self._receive_lock:
            answer = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(10, self.batch_size),
                WaitTimeSeconds=wait_seconds,
                AttributeNames=["All"],
            )
        return list(answer.get("Messages", []))

    def _handle(self, messages: list[dict[str, Any]], invoke: Invoke) -> None:
        event = sqs_lambda_event(messages, self.queue_arn, self.region)
        ids = [m["MessageId"] for m in messages]
        failed = _invoke_batch(invoke, event, ids, self.report_batch_item_failures, self.queue_arn)
        for message in messages:
            if failed is not None and message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            else:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=self.retry_visibility_seconds,
                )


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


def matches_filter(event: Any, pattern: Any) -> bool:
    """Whether a record matches one of a mapping's FilterCriteria patterns, as Lambda decides.

    The subset the template uses: nested objects, and at the leaves a list of exact values
    (strings, numbers, booleans, null). Any other rule (prefix, exists, numeric) is refused
    here rather than matched wrongly.
    """
    if isinstance(pattern, dict):
        return isinstance(event, dict) and all(
            name in event and matches_filter(event[name], rule) for name, rule in pattern.items()
        )
    if isinstance(pattern, list) and all(not isinstance(v, (dict, list)) for v in pattern):
        return event in pattern
    raise NotImplementedError(f"filter rule {pattern!r} is not supported by the local stack")


@dataclass
class StreamSource:
    """A DynamoDB stream feeding one function, shard by shard, in order.

    With `filter_patterns` (the mapping's FilterCriteria), a record that matches none is dropped
    before any batch is made, as Lambda drops it: it invokes nothing and is never retried.
    """

    streams: Any
    stream_arn: str
    invoke: Invoke
    batch_size: int = 100
    maximum_retry_attempts: int = 5
    on_failure: Callable[[list[dict[str, Any]]], None] | None = None
    region: str = "us-east-1"
    report_batch_item_failures: bool = True
    filter_patterns: list[dict[str, Any]] = field(default_factory=list)
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
                records = [_stream_record(r, self.stream_arn, self.region) for r in answer.get("Records", [])]
                pending.extend(r for r in records if self._wanted(r))
            if pending:
                handled += self._deliver(shard_id, pending)
        return handled

    def _wanted(self, record: dict[str, Any]) -> bool:
        return not self.filter_patterns or any(matches_filter(record, p) for p in self.filter_patterns)

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
