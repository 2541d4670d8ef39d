"""What the handlers asked of AWS: every call by function, service and operation, with DynamoDB units.

`AwsCallLog` registers botocore event hooks on every session (the default one, which
`reelay.clients.aws` builds its clients from, and any made later, such as Powertools'
parameter providers) and counts only the calls made while a handler runs (the local Lambda
runtime says which: `running_function`), not the pollers' that stand in for Lambda. It also
counts invocations and their durations.

DynamoDB units are computed here, because moto reports fixed figures (1 per write, 0.5 per
read) whatever the item's size or indexes. From the item before and after each write, read
from moto's in-process backend (so `AwsCallLog` needs moto in this process, `mock_aws`):
a write costs one unit per started KB of the larger image on the table, and on each global
secondary index the item is in before or after (the table's indexes project every attribute):
one write when only the projected values change, a delete and a put when the index key
changes. A transaction costs twice as much, a condition check as a write of the item's size.
Reads cost half a unit per started 4 KB (eventually consistent), one when strongly
consistent, twice that in a transaction; a query rounds the total of what it returned.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from reelay_local.aws.lambda_runtime import invocation_observers, running_function

ACCOUNT_ID = "123456789012"
WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})
READ_OPERATIONS = frozenset({"GetItem", "Query", "Scan", "TransactGetItems", "BatchGetItem"})


@dataclass(frozen=True)
class _Image:
    size: int
    attributes: dict[str, Any]


@dataclass
class AwsCallLog:
    """Calls, DynamoDB units and invocations per function name, recorded between install and uninstall."""

    region: str = "us-east-1"
    calls: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    # Per (function, operation, item kind: `item_kind`).
    write_units: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    read_units: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    # Items written (a transaction of three writes three).
    item_writes: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    # Write units by where they land: "table" or an index's name (transactions doubled).
    units_by_target: Counter[str] = field(default_factory=Counter)
    iam_actions: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # Messages or events sent, per (service, operation): a batch call counts its entries.
    entries: Counter[tuple[str, str]] = field(default_factory=Counter)
    invocations: Counter[str] = field(default_factory=Counter)
    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    _handlers: list[tuple[str, Any]] = field(default_factory=list, repr=False)

    # ------------------------------------------------------------------ installing

    def install(self) -> AwsCallLog:
        import boto3
        from botocore import handlers

        self._handlers = [
            ("before-parameter-build", self._before),
            ("after-call", self._after),
        ]
        # New sessions (Powertools makes its own) register BUILTIN_HANDLERS when they are made;
        # the default session, if it exists already, gets them registered here. Clients copy
        # their session's hooks when they are made: install before the clients are.
        handlers.BUILTIN_HANDLERS.extend(self._handlers)
        if boto3.DEFAULT_SESSION is not None:
            for event, handler in self._handlers:
                boto3.DEFAULT_SESSION.events.register(event, handler)
        invocation_observers.append(self._invoked)
        return self

    def uninstall(self) -> None:
        import boto3
        from botocore import handlers

        for spec in self._handlers:
            handlers.BUILTIN_HANDLERS.remove(spec)
        if boto3.DEFAULT_SESSION is not None:
            for event, handler in self._handlers:
                boto3.DEFAULT_SESSION.events.unregister(event, handler)
        invocation_observers.remove(self._invoked)

    def __enter__(self) -> AwsCallLog:
        return self.install()

    def __exit__(self, *_: object) -> None:
        self.uninstall()

    # ------------------------------------------------------------------ what was seen

    def actions(self) -> dict[str, set[str]]:
        """The IAM actions each function name's calls needed, as `service:Action`.

        Mostly the operation under the service's signing name (`events:PutEvents`); a
        transaction needs the actions of what it holds (DynamoDB has no TransactWriteItems
        action), a batch send SQS's SendMessage, a batch publish SNS's Publish.
        """
        return {function: set(actions) for function, actions in self.iam_actions.items()}

    # ------------------------------------------------------------------ hooks

    def _invoked(self, function: str, seconds: float) -> None:
        self.invocations[function] += 1
        self.seconds[function] += seconds

    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        function = running_function.get()
        if function is None:
            return
        service = model.service_model.signing_name
        self.calls[(function, service, model.name)] += 1
        batch = params.get("Entries") or params.get("PublishBatchRequestEntries")
        self.entries[(service, model.name)] += len(batch) if isinstance(batch, list) else 1
        self.iam_actions[function].update(_iam_actions(service, model.name, params))
        if service != "dynamodb":
            return  # units and item kinds are DynamoDB's (an S3 `Key` is a string, not an item key)
        if model.name in WRITE_OPERATIONS:
            context["reelay_writes"] = self._writes(model.name, params)
        context["reelay_consistent"] = bool(params.get("ConsistentRead"))
        if "Key" in params and service == "dynamodb":  # S3's Key is an object key, not an item's
            context["reelay_read_kind"] = item_kind(params["Key"])
        elif "IndexName" in params:
            context["reelay_read_kind"] = f"index {params['IndexName']}"

    def _after(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        function = running_function.get()
        if function is None or model.service_model.signing_name != "dynamodb":
            return
        operation = model.name
        if operation in READ_OPERATIONS:
            kind = context.get("reelay_read_kind", "")
            self.read_units[(function, operation, kind)] += _read_units(operation, context, parsed)
        writes = context.get("reelay_writes")
        if not writes:
            return
        failed = "Error" in parsed
        factor = 2 if operation == "TransactWriteItems" else 1
        for table_name, key, before, check_only in writes:
            after = None if failed or check_only else self._image(table_name, key)
            targets = self._write_units(table_name, before, after, failed or check_only)
            units = sum(targets.values())
            for target, n in targets.items():
                self.units_by_target[target] += factor * n
            kind = item_kind(key) + (" (check)" if check_only else "")
            self.write_units[(function, operation, kind)] += factor * units
            if not failed and not check_only:
                self.item_writes[(function, operation, kind)] += 1

    # ------------------------------------------------------------------ DynamoDB units

    def _backend(self) -> Any:
        from moto.dynamodb.models import dynamodb_backends

        return dynamodb_backends[ACCOUNT_ID][self.region]

    def _writes(self, operation: str, params: dict[str, Any]) -> list[tuple[str, Any, Any, bool]]:
        """(table, key, image before, a condition check only) for each item the call may write."""
        requests: list[tuple[str, dict[str, Any], bool]] = []
        if operation == "TransactWriteItems":
            for entry in params.get("TransactItems", []):
                (kind, body), *_ = entry.items()
                requests.append((kind, body, kind == "ConditionCheck"))
        elif operation == "BatchWriteItem":
            for table, entries in params.get("RequestItems", {}).items():
                for entry in entries:
                    (kind, body), *_ = entry.items()
                    requests.append((kind, {"TableName": table, **body}, False))
        else:
            requests.append((operation, params, False))
        found = []
        for _, body, check_only in requests:
            table_name = body["TableName"]
            key = body.get("Key") or self._key_of(table_name, body.get("Item", {}))
            found.append((table_name, key, self._image(table_name, key), check_only))
        return found

    def _key_of(self, table_name: str, item: dict[str, Any]) -> dict[str, Any]:
        table = self._backend().get_table(table_name)
        return {name: item[name] for name in (table.hash_key_attr, table.range_key_attr) if name}

    def _image(self, table_name: str, key: dict[str, Any]) -> _Image | None:
        try:
            item = self._backend().get_item(table_name, key)
        except Exception:  # a table or key moto refuses: the call fails too, and costs what it costs
            return None
        if item is None:
            return None
        return _Image(item.size(), item.to_json()["Attributes"])

    def _write_units(
        self, table_name: str, before: _Image | None, after: _Image | None, no_write: bool
    ) -> Counter[str]:
        """Write units by target ("table" or an index name) for one item's write."""
        units: Counter[str] = Counter()
        if no_write:  # a failed condition or a condition check: the item's size on the table only
            units["table"] = _kb(before.size if before else 0)
            return units
        units["table"] = _kb(max(before.size if before else 0, after.size if after else 0))
        if before is not None and after is not None and before.attributes == after.attributes:
            return units  # nothing changed: no index is written
        table = self._backend().get_table(table_name)
        for index in table.global_indexes:
            names = [k["AttributeName"] for k in index.schema]
            old = _index_key(before, names)
            new = _index_key(after, names)
            # What the index holds of the item: its projection (keys only, some, or all).
            old_entry, new_entry = _projected(before, index), _projected(after, index)
            if old is not None and new is not None and old == new:
                if old_entry != new_entry:  # an update that touches no projected attribute: no write
                    units[index.name] += _kb(max(_size(old_entry), _size(new_entry)))
                continue
            if old is not None:
                units[index.name] += _kb(_size(old_entry))
            if new is not None:
                units[index.name] += _kb(_size(new_entry))
        return units


_TRANSACTION_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


# S3 operations authorized by an action of another name (S3's "actions, resources and conditions" page).
_S3_ACTIONS = {
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "HeadObject": "GetObject",
}


def _iam_actions(service: str, operation: str, params: dict[str, Any]) -> set[str]:
    if service == "dynamodb" and operation in ("TransactWriteItems", "TransactGetItems"):
        return {
            f"dynamodb:{_TRANSACTION_ACTIONS[kind]}"
            for entry in params.get("TransactItems", [])
            for kind in entry
        }
    if service == "sqs" and operation == "SendMessageBatch":
        return {"sqs:SendMessage"}
    if service == "sns" and operation == "PublishBatch":
        return {"sns:Publish"}
    if service == "s3":
        return {f"s3:{_S3_ACTIONS.get(operation, operation)}"}
    return {f"{service}:{operation}"}


def item_kind(key: dict[str, Any]) -> str:
    """What an item is, from its key's prefixes: `TASK#…`/`JOB#…` is `TASK/JOB`."""
    parts = []
    for name in ("pk", "sk"):
        value = key.get(name, {})
        text = str(next(iter(value.values()), "")) if isinstance(value, dict) else str(value)
        parts.append(text.split("#", 1)[0] or "?")
    return "/".join(parts)


def _index_key(image: _Image | None, names: list[str]) -> tuple[Any, ...] | None:
    if image is None or any(name not in image.attributes for name in names):
        return None
    return tuple(repr(image.attributes[name]) for name in names)


def _projected(image: _Image | None, index: Any) -> dict[str, Any]:
    """The attributes of the index's entry for the item (moto's own projection rules)."""
    if image is None:
        return {}
    projection = index.projection or {}
    kind = projection.get("ProjectionType", "ALL")
    if kind == "ALL":
        return image.attributes
    wanted = {*index.table_key_attrs, *(k["AttributeName"] for k in index.schema)}
    if kind == "INCLUDE":
        wanted |= set(projection.get("NonKeyAttributes", []))
    return {name: value for name, value in image.attributes.items() if name in wanted}


def _size(attributes: dict[str, Any]) -> int:
    from moto.dynamodb.models.dynamo_type import Item

    return Item(None, None, attributes).size() if attributes else 0  # type: ignore[arg-type]


def _kb(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def _read_units(operation: str, context: dict[str, Any], parsed: dict[str, Any]) -> float:
    from moto.dynamodb.models.dynamo_type import Item

    def size(item: dict[str, Any]) -> int:
        return Item(None, None, item).size() if item else 0  # type: ignore[arg-type]

    def cost(total: int, consistent: bool) -> float:
        return max(1, math.ceil(total / 4096)) * (1.0 if consistent else 0.5)

    consistent = bool(context.get("reelay_consistent"))
    if operation == "GetItem":
        return cost(size(parsed.get("Item", {})), consistent)
    if operation in ("Query", "Scan"):
        return cost(sum(size(item) for item in parsed.get("Items", [])), consistent)
    if operation == "TransactGetItems":
        return sum(2 * cost(size(r.get("Item", {})), True) for r in parsed.get("Responses", []))
    if operation == "BatchGetItem":
        return sum(
            cost(size(item), False) for items in parsed.get("Responses", {}).values() for item in items
        )
    return 0.0
