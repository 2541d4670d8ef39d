"""Plain Python values <-> DynamoDB's typed attribute values, for the low-level client.

boto3's TypeSerializer would do, but it insists on Decimal for every number and importing it
imports all of boto3; the values Reelay stores (JSON-shaped: str, int, float, bool, None, dict,
list, and sets of strings) need only this much.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def to_attribute(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("DynamoDB numbers cannot be NaN or infinite")
        return {"N": repr(value)}
    if isinstance(value, Mapping):
        return {"M": {str(k): to_attribute(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attribute(v) for v in value]}
    if isinstance(value, set | frozenset):
        # DynamoDB sets must be non-empty and of one type; Reelay stores sets of strings only.
        if not value or not all(isinstance(v, str) for v in value):
            raise TypeError("only non-empty sets of strings can be stored")
        return {"SS": sorted(value)}
    if isinstance(value, bytes):
        return {"B": value}
    raise TypeError(f"cannot store a {type(value).__name__} in DynamoDB")


def to_item(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: to_attribute(value) for name, value in values.items()}


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def from_attribute(attribute: Mapping[str, Any]) -> Any:
    ((kind, value),) = attribute.items()
    match kind:
        case "S" | "B" | "BOOL":
            return value
        case "NULL":
            return None
        case "N":
            return _number(value)
        case "M":
            return {k: from_attribute(v) for k, v in value.items()}
        case "L":
            return [from_attribute(v) for v in value]
        case "SS" | "BS":
            return set(value)
        case "NS":
            return {_number(v) for v in value}
    raise ValueError(f"unknown DynamoDB attribute type {kind!r}")


def from_item(item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    return {name: from_attribute(attribute) for name, attribute in item.items()}
