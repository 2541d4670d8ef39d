"""Two guarantees of DynamoDB the local stack relies on and moto (5.x) lacks, restored in this process.

Each request is atomic. moto runs requests from several threads at once (the gateway's, the
pollers', the provider worker's instances) with nothing between them: two conditional writes
can both pass their check (two claims of one provider job, so Creatify paid twice), and two
writes can get the same stream sequence number, after which the stream hands its reader one
record twice on every read (jobs queued twice, events published twice). So every DynamoDB and
DynamoDB Streams request here takes one lock, as if DynamoDB served them one at a time.

A cancelled transaction writes nothing. moto backs up each table a transaction touches with a
deep copy, applies the writes one by one, and when a condition fails puts the copies back *in
place of* the live tables. The copy brings its own stream shard, so the records written
meanwhile, and the shard a stream reader holds, are orphaned: the task stream stops for good (a
shop's second `products/update` for a product that already has its task cancels the intake's
transaction; tests/integration/test_shop_to_video.py found it). Copying whole tables for every
transaction also slows a burst of shop hooks down as the table grows. DynamoDB checks every
condition before it writes anything; so does the replacement here (with moto's own checks and
error shapes), and only then applies the writes. A write that fails while applying (a malformed
update, which DynamoDB would have refused up front) puts back what the items held, item by item.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

_OPERATIONS = frozenset({"ConditionCheck", "Put", "Delete", "Update"})
_MAX_ITEMS = 100


# Reentrant: nothing in a DynamoDB request calls another today, but a deadlock would be silent.
_ONE_AT_A_TIME = threading.RLock()


def install() -> None:
    """Restore both in this process (moto in-process and moto's threaded server alike). Idempotent."""
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    for handler in (DynamoHandler, DynamoDBStreamsHandler):
        if not getattr(handler.call_action, "_one_at_a_time", False):
            handler.call_action = _one_at_a_time(handler.call_action)  # type: ignore[method-assign]


def _one_at_a_time(call_action: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def serialized(self: Any) -> Any:
        with _ONE_AT_A_TIME:
            return call_action(self)

    serialized._one_at_a_time = True  # type: ignore[attr-defined]
    return serialized


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if len(transact_items) > _MAX_ITEMS:
        raise TooManyTransactionsException()
    writes = _check_all(self, transact_items)
    applied: list[tuple[str, dict[str, Any], Any]] = []
    try:
        for op_type, op, table_name, key in writes:
            before = copy.deepcopy(self.get_item(table_name, key))
            _apply(self, op_type, op, table_name, key)
            applied.append((table_name, key, before))
    except Exception as failure:
        for table_name, key, before in reversed(applied):
            if before is None:
                self.delete_item(table_name, key)
            else:
                self.put_item(table_name, before.to_json()["Attributes"])
        if isinstance(failure, MockValidationException):
            raise
        raise TransactionCanceledException([(type(failure).__name__, str(failure), None)]) from failure


def _check_all(
    backend: DynamoDBBackend, transact_items: list[dict[str, Any]]
) -> list[tuple[str, dict[str, Any], str, dict[str, Any]]]:
    """The writes to make, once every item passed; else TransactionCanceledException, as moto words it."""
    targets: set[tuple[str, str]] = set()
    errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
    writes: list[tuple[str, dict[str, Any], str, dict[str, Any]]] = []
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        old_item: dict[str, Any] | None = None
        try:
            op_type, op = next(iter(item.items()))
            if op_type not in _OPERATIONS:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            key = _key(backend, op_type, op)
            target = (str(table_name), str(dict(sorted(key.items()))))
            if target in targets:
                raise MultipleTransactionsException()
            targets.add(target)
            current = backend.get_item(table_name, key)
            condition = op.get("ConditionExpression")
            if condition is not None:
                check = get_filter_expression(
                    condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
                )
                if not check.expr(current):
                    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        old_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=old_item)
            if op_type != "ConditionCheck":
                writes.append((op_type, op, table_name, key))
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            raise
        except ConditionalCheckFailed as failed:
            errors.append(("ConditionalCheckFailed", str(failed.message), old_item))
        except Exception as failure:  # moto reports any other failure as the item's cancellation reason
            errors.append((type(failure).__name__, str(failure), old_item))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)
    return writes


def _key(backend: DynamoDBBackend, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    table = backend.get_table(op["TableName"])
    attributes = op["Item"]
    key = {table.hash_key_attr: attributes[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attributes[table.range_key_attr]
    return key


def _apply(
    backend: DynamoDBBackend, op_type: str, op: dict[str, Any], table_name: str, key: dict[str, Any]
) -> None:
    # Conditions were checked above, all of them before any write, as DynamoDB does.
    names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    if op_type == "Put":
        backend.put_item(table_name, op["Item"])
    elif op_type == "Delete":
        backend.delete_item(table_name, key)
    elif op_type == "Update":
        backend.update_item(
            table_name,
            key,
            update_expression=op["UpdateExpression"],
            expression_attribute_names=names,
            expression_attribute_values=values,
        )
