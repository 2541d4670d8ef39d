"""What the API takes as a JSON body: strict parsing, so a body two readers could read apart is refused.

Python's json module takes the last of duplicate keys and recurses until it crashes on deep
nesting; the first would let two readers of one body disagree, the second turns a few
kilobytes into a 5xx. Both become the caller's "not valid JSON" here, as does a string that no
UTF-8 can hold. (A body sent as anything but JSON is told so before it is parsed:
`proxy_events.sent_as_non_json`.)
"""

from __future__ import annotations

import json
from typing import Any

# Deeper than any request Reelay takes, far below the recursion that would crash the parser.
MAX_DEPTH = 32


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"duplicate key {key!r}")
        found[key] = value
    return found


def _depth(text: str) -> int:
    deepest = depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def strict_json_loads(text: str) -> Any:
    """json.loads, refusing duplicate keys, nesting deeper than MAX_DEPTH and text that is not
    Unicode (a lone surrogate escape, e.g. "\\ud800"), each as JSONDecodeError."""
    if _depth(text) > MAX_DEPTH:
        raise json.JSONDecodeError(f"nested deeper than {MAX_DEPTH} levels", text[:64], 0)
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError:
        raise
    except ValueError as exc:
        raise json.JSONDecodeError(str(exc), text[:64], 0) from None
    if "\\u" in text:
        # json takes "\\ud800" alone as a string no UTF-8 can hold: it would fail only later,
        # when hashed or stored, as a 5xx. (A pair of escapes is one character and passes.)
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise json.JSONDecodeError("a lone surrogate in a string", text[:64], 0) from None
    return data
