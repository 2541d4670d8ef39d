"""The local SQS poller reads a function's batch answer as Lambda's event source mapping does."""

from __future__ import annotations

import logging
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
