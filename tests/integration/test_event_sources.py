"""The local SQS poller reads a batch answer as Lambda's event source mapping does, and keeps its cap."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from reelay_local.aws.event_sources import SqsSource


@pytest.fixture
def queue() -> Iterator[tuple[Any, str, str]]:
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for body in ("a", "b", "c"):
            sqs.send_message(QueueUrl=url, MessageBody=body)
        yield sqs, url, arn


def _source(queue: tuple[Any, str, str], answer: Any, **options: Any) -> SqsSource:
    sqs, url, arn = queue

    def invoke(event: dict[str, Any]) -> Any:
        return answer(event["Records"]) if callable(answer) else answer

    # A long visibility timeout: a retried message stays out of sight for the rest of the test.
    return SqsSource(
        sqs=sqs, queue_url=url, queue_arn=arn, invoke=invoke, retry_visibility_seconds=60, **options
    )


def _left(queue: tuple[Any, str, str]) -> int:
    sqs, url, _ = queue
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def test_only_the_reported_message_stays_on_the_queue(queue):
    source = _source(
        queue, lambda records: {"batchItemFailures": [{"itemIdentifier": records[1]["messageId"]}]}
    )
    assert source.poll_once() == 3
    assert _left(queue) == 1


def test_an_answer_naming_a_message_not_in_the_batch_fails_the_whole_batch(queue):
    source = _source(queue, {"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]})
    assert source.poll_once() == 3
    assert _left(queue) == 3


def test_without_report_batch_item_failures_a_returned_list_is_ignored(queue):
    source = _source(
        queue,
        lambda records: {"batchItemFailures": [{"itemIdentifier": records[0]["messageId"]}]},
        report_batch_item_failures=False,
    )
    assert source.poll_once() == 3
    assert _left(queue) == 0


def test_a_crash_keeps_the_whole_batch_and_says_why_in_the_log(queue, caplog):
    def crash(records: list[dict[str, Any]]) -> Any:
        raise RuntimeError("settings missing")

    with caplog.at_level(logging.ERROR, logger="reelay_local.aws.event_sources"):
        assert _source(queue, crash).poll_once() == 3
    assert _left(queue) == 3
    assert "settings missing" in caplog.text


class SlowInstances:
    """Instances of a function that takes `seconds` per batch, noting which instance ran when."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.ran_on: list[int] = []
        self.idle = list(range(limit))

    def acquire(self, timeout: float | None = None) -> Any:
        with self.lock:
            return _Instance(self, self.idle.pop()) if self.idle else None

    def release(self, instance: Any) -> None:
        with self.lock:
            self.idle.append(instance.number)


class _Instance:
    def __init__(self, pool: SlowInstances, number: int) -> None:
        self.pool, self.number = pool, number
        self.busy = False

    def invoke(self, event: dict[str, Any]) -> Any:
        pool = self.pool
        with pool.lock:
            assert not self.busy, "an instance was given two events at once"
            self.busy = True
            pool.running += 1
            pool.peak = max(pool.peak, pool.running)
            pool.ran_on.append(self.number)
        time.sleep(pool.seconds)
        with pool.lock:
            pool.running -= 1
            self.busy = False
        return {}


@pytest.fixture
def ten_jobs(queue: tuple[Any, str, str]) -> tuple[Any, str, str]:
    sqs, url, _ = queue
    for n in range(7):
        sqs.send_message(QueueUrl=url, MessageBody=f"job-{n}")
    return queue


def test_a_poll_with_a_maximum_concurrency_runs_one_batch_per_instance_at_once(ten_jobs):
    instances = SlowInstances(limit=3, seconds=0.2)
    source = _source(ten_jobs, {}, batch_size=1, instances=instances)
    assert source.poll_once() == 3
    assert instances.peak == 3 and sorted(instances.ran_on) == [0, 1, 2]
    assert _left(ten_jobs) == 7


def test_the_poller_keeps_the_cap_busy_and_never_goes_past_it(ten_jobs):
    instances = SlowInstances(limit=3, seconds=0.15)
    source = _source(ten_jobs, {}, batch_size=1, instances=instances)
    stop, wake = threading.Event(), threading.Event()
    poller = threading.Thread(target=source.serve, args=(stop, wake, 0.02, 0.05))
    started = time.monotonic()
    poller.start()
    try:
        deadline = time.monotonic() + 10
        while _left(ten_jobs) and time.monotonic() < deadline:
            time.sleep(0.02)
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        poller.join(5)
        source.join_running(5)
    assert _left(ten_jobs) == 0
    assert len(instances.ran_on) == 10
    assert instances.peak == 3  # reached, never passed
    # Ten batches of 0.15 s on three instances: four waves, not ten one after the other.
    assert elapsed < 10 * 0.15
    assert not source.serving
