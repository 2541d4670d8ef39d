"""The field helpers records declare their fields with: each field's rules and what the document says of it.

A field's rules live in its dataclass metadata, where `reelay.models.records` reads them (on
construction and from stored or sent data) and `reelay.http.json_schemas` writes them into the
OpenAPI document: `length` (min, max), `ge`, `le`, `pattern` (searched for in the value),
`check` (a rule of its own), `blank_is_none` (none_if_blank), `description` and `format`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from functools import cache
from typing import Any


def text(
    default: str | None = None,
    *,
    min_length: int = 0,
    max_length: int | None = None,
    required: bool = False,
    pattern: str | None = None,
    description: str | None = None,
    format: str | None = None,
    check: Callable[[str], str] | None = None,
) -> Any:
    """A string field with bounds on its length (with no default when `required`).

    `pattern` is searched for in the value (anchor it to match the whole); `check` is a rule of
    its own that returns the value (perhaps normalised) or raises ValueError saying what is wrong.
    `description` and `format` are for the OpenAPI document (reelay.http.json_schemas).
    """
    metadata = _about(
        description, length=(min_length, max_length), pattern=pattern, format=format, check=check
    )
    if required:
        return dataclasses.field(metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def count(default: int = 0, *, description: str | None = None) -> Any:
    """An int field that counts something: 0 or more."""
    return dataclasses.field(default=default, metadata=_about(description, ge=0))


def number(
    default: Any = dataclasses.MISSING,
    *,
    ge: int | None = None,
    le: int | None = None,
    description: str | None = None,
) -> Any:
    """A number field between `ge` and `le` (either may be left open); required without a default."""
    return dataclasses.field(default=default, metadata=_about(description, ge=ge, le=le))


def described(
    default: Any = dataclasses.MISSING,
    *,
    description: str,
    default_factory: Any = dataclasses.MISSING,
    format: str | None = None,
) -> Any:
    """A field of any type with what the OpenAPI document says of it; required without a default."""
    return dataclasses.field(
        default=default, default_factory=default_factory, metadata=_about(description, format=format)
    )


def none_if_blank(description: str | None = None) -> Any:
    """An optional field (None by default) that reads "" as None before its type, as a form's
    empty choice: `motion_style: MotionStyle | None = none_if_blank()`."""
    return dataclasses.field(default=None, metadata=_about(description, blank_is_none=True))


def _about(description: str | None, **rules: Any) -> dict[str, Any]:
    return {name: value for name, value in {"description": description, **rules}.items() if value is not None}


@cache
def compiled_pattern(pattern: str) -> re.Pattern[str]:
    """`pattern` compiled as JSON Schema means it: searched for, with a final `$` at the end of
    the value only (Python's `$` also matches before a final newline, so "m\\n" would pass `^m$`)."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + "\\Z"
    return re.compile(pattern)
