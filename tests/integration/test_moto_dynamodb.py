"""DynamoDB as the local stack needs it from moto: atomic requests, cancelled transactions that write nothing.

moto's own TransactWriteItems puts deep copies of the tables back in place of the live ones,
which orphans the stream shard a reader holds (the local task stream then stopped for good);
and requests from several threads at once interleave (two conditional writes both pass, two
stream records share a sequence number and the reader is handed one twice).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from reelay_local.aws import moto_dynamodb

TABLE = "transactions"


@pytest.fixture
def table() -> Iterator[tuple[Any, Any, str]]:
    with mock_aws():
        moto_dynamodb.install()
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        created = dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        streams = boto3.client("dynamodbstreams", region_name="us-east-1")
        yield dynamodb, streams, created["TableDescription"]["LatestStreamArn"]


def _put(pk: str, **condition: Any) -> dict[str, Any]:
    return {"Put": {"TableName": TABLE, "Item": {"pk": {"S": pk}}, **condition}}


def _new_only() -> dict[str, str]:
    return {"ConditionExpression": "attribute_not_exists(pk)"}


class StreamReader:
    """Reads the table's stream as the local task-stream poller does: one iterator, kept."""

    def __init__(self, streams: Any, arn: str) -> None:
        self.streams = streams
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        self.iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]

    def read(self) -> list[tuple[str, str]]:
        answer = self.streams.get_records(ShardIterator=self.iterator)
        self.iterator = answer["NextShardIterator"]
        return [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in answer["Records"]]


def test_a_cancelled_transaction_writes_nothing_and_the_stream_reader_goes_on(table):
    dynamodb, streams, arn = table
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "task"}})
    reader = StreamReader(streams, arn)
    assert reader.read() == [("INSERT", "task")]

    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(
            TransactItems=[_put("hook", **_new_only()), _put("task", **_new_only())]
        )
    reasons = cancelled.value.response["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["None", "ConditionalCheckFailed"]
    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "hook"}})

    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "claim"}})
    # No record of the write that never happened; the write after it reaches the same reader.
    assert reader.read() == [("INSERT", "claim")]


def test_a_transaction_whose_conditions_hold_writes_every_item_once(table):
    dynamodb, streams, arn = table
    reader = StreamReader(streams, arn)
    dynamodb.transact_write_items(
        TransactItems=[
            _put("hook", **_new_only()),
            _put("task", **_new_only()),
            {"ConditionCheck": {"TableName": TABLE, "Key": {"pk": {"S": "gone"}}, **_new_only()}},
        ]
    )
    assert sorted(reader.read()) == [("INSERT", "hook"), ("INSERT", "task")]


def test_a_failed_condition_can_return_the_item_that_failed_it(table):
    dynamodb, _, _ = table
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "task"}, "status": {"S": "initializing"}})
    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(
            TransactItems=[_put("task", **_new_only(), ReturnValuesOnConditionCheckFailure="ALL_OLD")]
        )
    (reason,) = cancelled.value.response["CancellationReasons"]
    assert reason["Item"]["status"] == {"S": "initializing"}


def test_two_writes_to_one_item_are_refused_before_anything_is_written(table):
    dynamodb, _, _ = table
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(TransactItems=[_put("task"), _put("task")])
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "task"}})


@pytest.fixture
def eager_thread_switches() -> Iterator[None]:
    """Threads switch every few microseconds instead of every 5 ms: races show up in a short test."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("eager_thread_switches")
def test_of_many_threads_claiming_one_item_at_once_exactly_one_succeeds(table):
    dynamodb, _, _ = table
    start = threading.Barrier(12)

    def claim(worker: int) -> bool:
        start.wait()
        try:
            dynamodb.put_item(
                TableName=TABLE, Item={"pk": {"S": "claim"}, "by": {"N": str(worker)}}, **_new_only()
            )
        except ClientError as refused:
            assert refused.response["Error"]["Code"] == "ConditionalCheckFailedException"
            return False
        return True

    for _ in range(5):
        dynamodb.delete_item(TableName=TABLE, Key={"pk": {"S": "claim"}})
        with ThreadPoolExecutor(max_workers=12) as pool:
            assert sum(pool.map(claim, range(12))) == 1


@pytest.mark.usefixtures("eager_thread_switches")
def test_writes_from_many_threads_reach_the_stream_reader_once_each(table):
    dynamodb, streams, arn = table
    reader = StreamReader(streams, arn)

    def write(worker: int) -> None:
        for n in range(25):
            dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": f"{worker}-{n}"}})

    seen: list[tuple[str, str]] = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        writers = [pool.submit(write, worker) for worker in range(8)]
        while not all(w.done() for w in writers):
            seen += reader.read()
    seen += reader.read()
    assert len(seen) == 200 and len(set(seen)) == 200
