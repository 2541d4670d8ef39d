"""Plain records: read from what DynamoDB (or a queue, Creatify or a shop) gives, written as stored.

The task, its external ref, its archived files and its publication are frozen dataclasses built
on `Record`, not pydantic models: the task stream reads two task images per record and pydantic's
import with its models was most of the stream's cold start beyond boto3's. (Queue messages, the
workers' tenant profile, Creatify's task answer and request bodies, the stored shop connection
and the shops' product bodies are records too, for the same reason.) What pydantic did for them
is done here, by each field's declared type, in one place:

- reading (on construction, and from a stored item after `dal.attribute_values.from_item`):
  an enum from its value, a datetime from an ISO 8601 string, a UUID from its string, a nested
  record from its dict (or the record itself, for a field of several record types), a Literal
  from one of its constants, an int from an int (or a whole Decimal or float, as numbers may come
  back), a float from any finite number, each of the other types as itself; a value that cannot
  be read is an `InvalidRecord` naming the field (nested: `external_ref.source`). Keys a record
  does not declare are ignored, or refused by a record with `forbid_unknown` (queue messages, the
  external ref, Creatify's request bodies, a connection's settings read on their own); a record
  with `strip_whitespace` strips its strings first, and a `none_if_blank` field reads "" as None.
- writing: the JSON-shaped dict the table stores and events carry, as pydantic's
  `model_dump(mode="json")` gave it (enums as values, datetimes as ISO 8601 with `Z` for UTC,
  UUIDs as strings, nested records as dicts), so items and stream images stay the same both
  ways; `stored()` leaves out fields that are None, in nested records too.

A field's own rules (length, bounds, pattern, a check of its own) and what the OpenAPI document
says of it are declared with the helpers of `reelay.models.record_fields` (`text`, `count`,
`number`, `described`, `none_if_blank`), importable from here too; the API's requests and
answers are records as well, so the same rules hold for what a caller sends and for what Reelay
reads back.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import (
    Any,
    ClassVar,
    Literal,
    Self,
    TypeVar,
    Union,
    dataclass_transform,
    get_args,
    get_origin,
    get_type_hints,
)
from uuid import UUID

from reelay.models.record_errors import MISSING_FIELD, UNKNOWN_FIELD, InvalidRecord, shortened, spelled

# Re-exported: records declare their fields with these (and `record` names them to type checkers).
from reelay.models.record_fields import compiled_pattern, count, described, none_if_blank, number, text

R = TypeVar("R", bound="type[Record]")


@dataclass_transform(
    kw_only_default=True,
    frozen_default=True,
    field_specifiers=(dataclasses.field, text, count, number, described, none_if_blank),
)
def record(cls: R) -> R:
    """Make `cls` (a `Record` subclass) a frozen, keyword-only dataclass.

    Its equality, hash and repr are `Record`'s, by its fields, as a dataclass's own would be:
    generating them for each class cost about a third of the records' import time, which every
    function's cold start pays.
    """
    return dataclasses.dataclass(frozen=True, kw_only=True, eq=False, repr=False)(cls)


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class Record:
    """A plain record; see the module docstring for how it is read and written."""

    # Whether reading a mapping with a key the record does not declare refuses it.
    forbid_unknown: ClassVar[bool] = False
    # Whether a string given for a field that holds strings is stripped of surrounding whitespace.
    strip_whitespace: ClassVar[bool] = False

    def __post_init__(self) -> None:
        for name, field in _fields(type(self)).items():
            value = getattr(self, name)
            strip = self.strip_whitespace and field.holds_text and isinstance(value, str)
            read = field.read(type(self).__name__, name, value.strip(_SPACE) if strip else value)
            if read is not value:
                object.__setattr__(self, name, read)

    @classmethod
    def from_stored(cls, values: Any) -> Self:
        """The record in `values` (a stored item's attributes, or a nested record's dict)."""
        if not isinstance(values, Mapping):
            raise InvalidRecord(cls.__name__, "", f"{shortened(values)} is not a record", wanted="an object")
        fields = _fields(cls)
        if cls.forbid_unknown:
            unknown = sorted(str(key) for key in values if key not in fields)
            if unknown:
                raise InvalidRecord(cls.__name__, unknown[0], UNKNOWN_FIELD)
        missing = [name for name, field in fields.items() if field.required and name not in values]
        if missing:
            raise InvalidRecord(cls.__name__, missing[0], MISSING_FIELD)
        return cls(**{name: value for name, value in values.items() if name in fields})

    def stored(self) -> dict[str, Any]:
        """What the table stores: JSON-shaped, fields that are None left out (nested too)."""
        return {
            name: _json(value, keep_none=False)
            for name in _fields(type(self))
            if (value := getattr(self, name)) is not None
        }

    def as_json(self, names: Iterable[str] | None = None) -> dict[str, Any]:
        """The record as JSON, every field or those `names` in their order, None as null: what
        events and webhooks carry."""
        return {name: _json(getattr(self, name), keep_none=True) for name in names or _fields(type(self))}

    def replace(self, **changes: Any) -> Self:
        """A copy with `changes`, read like any construction."""
        return dataclasses.replace(self, **changes)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return _compared(self) == _compared(other)

    def __hash__(self) -> int:
        return hash(_compared(self))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _shown(type(self)))
        return f"{type(self).__qualname__}({shown})"


def _compared(record: Record) -> tuple[Any, ...]:
    return tuple(getattr(record, name) for name in _compared_names(type(record)))


@cache
def _compared_names(cls: type[Record]) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if f.compare)


@cache
def _shown(cls: type[Record]) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if f.repr)


@dataclasses.dataclass(frozen=True)
class _Field:
    kind: Any
    required: bool
    length: tuple[int, int | None] | None
    ge: int | None
    le: int | None
    pattern: re.Pattern[str] | None
    check: Callable[[Any], Any] | None
    # Whether the field holds strings (str, or str among its options).
    holds_text: bool
    blank_is_none: bool = False  # whether "" is read as None (none_if_blank)

    def read(self, record: str, name: str, value: Any) -> Any:
        if self.blank_is_none and value == "":
            value = None
        try:
            read = _as(self.kind, value)
        except InvalidRecord as inner:  # a nested record's field
            path = f"{name}.{inner.field}".rstrip(".")
            raise InvalidRecord(record, path, inner.why, wanted=inner.wanted) from None
        if read is _WRONG:
            wanted = spelled(self.kind)
            raise InvalidRecord(record, name, f"{shortened(value)} is not {wanted}", wanted=wanted)
        if read is None:
            return read
        if self.ge is not None and read < self.ge:
            if self.ge == 0:
                raise InvalidRecord(record, name, f"{read!r} is negative", wanted="0 or more")
            raise InvalidRecord(
                record, name, f"{read!r} is less than {self.ge}", wanted=f"at least {self.ge}"
            )
        if self.le is not None and read > self.le:
            raise InvalidRecord(record, name, f"{read!r} is more than {self.le}", wanted=f"at most {self.le}")
        if self.length is not None:
            low, high = self.length
            if len(read) < low:
                raise InvalidRecord(record, name, f"shorter than {low} characters")
            if high is not None and len(read) > high:
                raise InvalidRecord(record, name, f"longer than {high} characters")
        if self.pattern is not None and not self.pattern.search(read):
            raise InvalidRecord(record, name, f"does not match {self.pattern.pattern}")
        if self.check is not None:
            try:
                read = self.check(read)
            except ValueError as exc:
                raise InvalidRecord(record, name, str(exc)) from None
        return read


@cache
def _fields(cls: type[Record]) -> dict[str, _Field]:
    hints = get_type_hints(cls)
    return {
        f.name: _Field(
            kind=hints[f.name],
            required=f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
            length=f.metadata.get("length"),
            ge=f.metadata.get("ge"),
            le=f.metadata.get("le"),
            pattern=compiled_pattern(f.metadata["pattern"]) if "pattern" in f.metadata else None,
            check=f.metadata.get("check"),
            holds_text=_holds_text(hints[f.name]),
            blank_is_none=f.metadata.get("blank_is_none", False),
        )
        for f in dataclasses.fields(cls)
    }


def _holds_text(kind: Any) -> bool:
    return kind is str or (get_origin(kind) in (Union, types.UnionType) and str in get_args(kind))


_WRONG = object()
# What pydantic's str_strip_whitespace stripped (Unicode's White_Space): str.strip() takes \x1c-\x1f too.
_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B)))


def _as(kind: Any, value: Any) -> Any:
    if kind is Any:
        return value
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in get_args(kind):
            return None
        if isinstance(value, Record) and type(value) in get_args(kind):  # entries of several kinds
            return value
        for option in get_args(kind):
            if option is not type(None) and (read := _as(option, value)) is not _WRONG:
                return read
        return _WRONG
    if origin is Literal:  # a constant, such as the kind of an entry in a list of several kinds
        return value if any(type(value) is type(o) and value == o for o in get_args(kind)) else _WRONG
    if origin is dict:
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            return _WRONG
        _, item = get_args(kind)
        return _items(item, value.items(), dict)
    if origin is list:
        if not isinstance(value, list | tuple):
            return _WRONG
        (item,) = get_args(kind)
        return _items(item, enumerate(value), lambda pairs: [v for _, v in pairs])
    if isinstance(kind, type):
        if issubclass(kind, Record):
            return value if isinstance(value, kind) else kind.from_stored(value)
        if issubclass(kind, Enum):
            try:
                return kind(value)
            except ValueError:
                return _WRONG
        if kind is datetime:
            return _from_text(value, datetime, datetime.fromisoformat)
        if kind is date:  # a day: not a datetime, which is a date too
            return _WRONG if isinstance(value, datetime) else _from_text(value, date, date.fromisoformat)
        if kind is UUID:
            return _from_text(value, UUID, UUID)
        if kind is bool:
            return value if isinstance(value, bool) else _WRONG
        if kind is int:
            return _int(value)
        if kind is float:
            return _float(value)
        if kind is str:
            return value if isinstance(value, str) else _WRONG
    raise TypeError(f"a record cannot declare a field of type {kind!r}")


def _items(kind: Any, pairs: Any, build: Any) -> Any:
    read = []
    for key, value in pairs:
        try:
            item = _as(kind, value)
        except InvalidRecord as inner:
            path = f"{key}.{inner.field}".rstrip(".")
            raise InvalidRecord(inner.record, path, inner.why, wanted=inner.wanted) from None
        if item is _WRONG:
            wanted = spelled(kind)
            raise InvalidRecord("", str(key), f"{shortened(value)} is not {wanted}", wanted=wanted)
        read.append((key, item))
    return build(read)


def _from_text(value: Any, kind: type, parse: Any) -> Any:
    """`value` if it is a `kind` already, else `parse` of it when it is a string that parses."""
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        try:
            return parse(value)
        except ValueError:
            return _WRONG
    return _WRONG


def _int(value: Any) -> Any:
    if isinstance(value, bool):
        return _WRONG
    if isinstance(value, int):
        return value
    # A number read back as a Decimal (boto3's deserializer) or a float ("3.0") that is whole.
    if isinstance(value, Decimal | float) and math.isfinite(value) and value == int(value):
        return int(value)
    return _WRONG


def _float(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return _WRONG
    return float(value) if math.isfinite(value) else _WRONG


def iso_json(moment: datetime) -> str:
    """A datetime as pydantic writes it in JSON: ISO 8601, `Z` for UTC, microseconds only when any."""
    shown = moment.isoformat()
    return shown[:-6] + "Z" if shown.endswith("+00:00") else shown


def json_shaped(value: Any) -> Any:
    """`value` (a record, or data holding records, enums, datetimes) as JSON-shaped data, None as null."""
    return _json(value, keep_none=True)


def _json(value: Any, *, keep_none: bool) -> Any:
    if isinstance(value, Record):
        return value.as_json() if keep_none else value.stored()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return iso_json(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {key: _json(item, keep_none=keep_none) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json(item, keep_none=keep_none) for item in value]
    return value
