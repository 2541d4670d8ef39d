"""The call log behind bench/calls_per_video.py and the IAM test: what it counts, and the units it computes.

Against in-process moto with the template's table (two indexes: by-tenant projecting keys only,
open-tasks the keys with tenant_id and updated_at): only calls made while a function runs are
counted, and write units follow DynamoDB's rules (one per started KB on the table, and per
started KB of the index entry on each index the item is in, a delete and a put when an index
key moves, nothing on an index whose entry the write leaves as it was; twice in a transaction).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from reelay_local.aws.aws_calls import AwsCallLog
from reelay_local.aws.lambda_runtime import running_function
from reelay_local.aws.template import load_template, table_create_kwargs

TABLE = "calls"
FUNCTION = "reelay-ApiFunction-X"


@pytest.fixture
def dynamodb() -> Iterator[tuple[Any, AwsCallLog]]:
    with mock_aws():
        log = AwsCallLog().install()
        try:
            client = boto3.client("dynamodb", region_name="us-east-1")
            client.create_table(**table_create_kwargs(load_template(), table_name=TABLE))
            token = running_function.set(FUNCTION)
            try:
                yield client, log
            finally:
                running_function.reset(token)
        finally:
            log.uninstall()


def task(open_shard: str | None, padding: int = 0) -> dict[str, Any]:
    item = {
        "pk": {"S": "TASK#1"},
        "sk": {"S": "TASK"},
        "tenant_pk": {"S": "TENANT#t"},
        "tenant_sk": {"S": "2026#1"},
        "pad": {"S": "x" * padding},
    }
    if open_shard is not None:
        item["open_pk"] = {"S": open_shard}
        item["open_sk"] = {"S": "2026#1"}
    return item


def units(log: AwsCallLog, operation: str) -> float:
    return sum(n for (_, op, _), n in log.write_units.items() if op == operation)


def test_calls_outside_a_function_are_not_counted(dynamodb):
    client, log = dynamodb
    token = running_function.set(None)
    try:
        client.put_item(TableName=TABLE, Item=task("OPEN#1"))
    finally:
        running_function.reset(token)

    assert log.calls == {}


def test_a_put_costs_a_unit_per_started_kb_on_the_table_and_each_index_holding_the_item(dynamodb):
    client, log = dynamodb

    client.put_item(TableName=TABLE, Item=task("OPEN#1", padding=1500))

    assert log.calls[(FUNCTION, "dynamodb", "PutItem")] == 1
    # The table holds 2 KB; each index entry holds the keys (and no projected attribute here).
    assert units(log, "PutItem") == 2 + 1 + 1
    assert log.actions() == {FUNCTION: {"dynamodb:PutItem"}}


def test_an_update_that_moves_an_index_key_deletes_and_puts_that_index_entry(dynamodb):
    client, log = dynamodb
    client.put_item(TableName=TABLE, Item=task("OPEN#1"))
    before = units(log, "PutItem")

    client.update_item(
        TableName=TABLE,
        Key={"pk": {"S": "TASK#1"}, "sk": {"S": "TASK"}},
        UpdateExpression="SET open_pk = :p",
        ExpressionAttributeValues={":p": {"S": "OPEN#2"}},
    )
    client.update_item(
        TableName=TABLE,
        Key={"pk": {"S": "TASK#1"}, "sk": {"S": "TASK"}},
        UpdateExpression="REMOVE open_pk",
    )

    assert before == 3
    # Moved: table 1, open-tasks 1 + 1. Removed: table 1, open-tasks 1. By-tenant's entry (keys
    # only) is the same throughout: not written.
    assert units(log, "UpdateItem") == 3 + 2
    assert log.units_by_target == {"table": 3, "by-tenant": 1, "open-tasks": 1 + 2 + 1}


def test_an_update_writes_only_the_indexes_whose_entry_it_changes(dynamodb):
    client, log = dynamodb
    client.put_item(TableName=TABLE, Item=task("OPEN#1"))
    key = {"pk": {"S": "TASK#1"}, "sk": {"S": "TASK"}}

    client.update_item(
        TableName=TABLE,
        Key=key,
        UpdateExpression="SET #p = :p",
        ExpressionAttributeNames={"#p": "pad"},
        ExpressionAttributeValues={":p": {"S": "y"}},
    )
    assert log.units_by_target == {"table": 2, "by-tenant": 1, "open-tasks": 1}  # no index written
    client.update_item(
        TableName=TABLE,
        Key=key,
        UpdateExpression="SET updated_at = :u",
        ExpressionAttributeValues={":u": {"S": "2026"}},
    )
    assert log.units_by_target == {"table": 3, "by-tenant": 1, "open-tasks": 2}  # projected there


def test_a_transaction_costs_twice_and_needs_the_actions_of_what_it_holds(dynamodb):
    client, log = dynamodb

    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "A"}, "sk": {"S": "B"}}}},
            {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "A"}, "sk": {"S": "C"}}}},
        ]
    )

    assert units(log, "TransactWriteItems") == 2 * 2
    assert log.actions() == {FUNCTION: {"dynamodb:PutItem"}}


def test_reads_cost_half_a_unit_per_started_4_kb_or_one_when_strongly_consistent(dynamodb):
    client, log = dynamodb
    client.put_item(TableName=TABLE, Item=task(None, padding=5000))
    key = {"pk": {"S": "TASK#1"}, "sk": {"S": "TASK"}}

    client.get_item(TableName=TABLE, Key=key)
    client.get_item(TableName=TABLE, Key=key, ConsistentRead=True)

    assert sum(log.read_units.values()) == 2 * 0.5 + 2 * 1.0
