"""What a record says when it cannot hold a value: `InvalidRecord`, naming the field at fault.

Its words are the records' own (`reelay.models.records`); the API says two of them its own way
(`MISSING_FIELD`, `UNKNOWN_FIELD`: reelay.http.errors), and a caller reading data that is not
ours to repeat (Creatify's answers, a shop connection's secrets) says `without_value()`.
"""

from __future__ import annotations

import types
from datetime import date, datetime
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin
from uuid import UUID

# An InvalidRecord's `why` for a required field left out and for a key the record does not have.
MISSING_FIELD = "missing"
UNKNOWN_FIELD = "not a field of this record"


class InvalidRecord(ValueError):
    """A value a record cannot hold: `field` is its dotted path in the record.

    `why` may quote the value; `wanted` says what the field takes without quoting it (for
    messages about data that is not ours to repeat, such as Creatify's answers).
    """

    def __init__(self, record: str, field: str, why: str, *, wanted: str | None = None) -> None:
        super().__init__(f"{record}.{field}: {why}" if field else f"{record}: {why}")
        self.record, self.field, self.why, self.wanted = record, field, why, wanted

    def without_value(self) -> str:
        """The field and what is wrong with it, never the value itself."""
        return f"{self.field or '(record)'}: {f'should be {self.wanted}' if self.wanted else self.why}"


_NAMES: dict[Any, str] = {
    str: "a string",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    datetime: "an ISO 8601 date and time",
    date: "an ISO 8601 date",
    UUID: "a UUID",
}


def spelled(kind: Any) -> str:
    """What a field of type `kind` takes, for a person: "a whole number", "one of a, b"."""
    if isinstance(kind, type) and issubclass(kind, Enum):
        return "one of " + ", ".join(str(member.value) for member in kind)
    if kind in _NAMES:
        return _NAMES[kind]
    if get_origin(kind) is Literal:
        return " or ".join(repr(option) for option in get_args(kind))
    if get_origin(kind) is dict:
        return "an object"
    if get_origin(kind) is list:
        return "a list"
    if get_origin(kind) in (Union, types.UnionType):
        options = [spelled(option) for option in get_args(kind) if option is not type(None)]
        return " or ".join(options) + (" or null" if type(None) in get_args(kind) else "")
    return str(kind).replace("typing.", "")


def shortened(value: Any) -> str:
    """`value` as a message may quote it: its repr, cut to 60 characters."""
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."
