"""What the API takes as a JSON body: strict parsing, and nothing but JSON on routes that read one.

Python's json module takes the last of duplicate keys and recurses until it crashes on deep
nesting; the first would let two readers of one body disagree, the second turns a few
kilobytes into a 5xx. Both become the caller's "not valid JSON" here. And a JSON body sent
as a form (curl's default content type) must be told so, not parsed as a form and answered
with a misleading "field required".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reelay.http import proxy_events

# Only in annotations: the single-route webhook functions parse bodies here without the resolver.
if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

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
    """json.loads, refusing duplicate keys and nesting deeper than MAX_DEPTH (as JSONDecodeError)."""
    if _depth(text) > MAX_DEPTH:
        raise json.JSONDecodeError(f"nested deeper than {MAX_DEPTH} levels", text[:64], 0)
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError:
        raise
    except ValueError as exc:
        raise json.JSONDecodeError(str(exc), text[:64], 0) from None


def sent_as_non_json(app: APIGatewayRestResolver) -> bool:
    """Whether the request carries a body under another content type than JSON."""
    return proxy_events.sent_as_non_json(app.current_event.raw_event)


def only_json_bodies(
    error: Callable[[int, str, str, str | None], Response[dict]],
) -> Callable[[APIGatewayRestResolver, Callable[..., Response]], Response]:
    """A resolver middleware answering 415 for a body sent as anything but JSON.

    Powertools validates a request before any middleware runs, so this catches only bodies that
    passed as a form; the validation error handler checks the same for those that did not.
    """

    def middleware(app: APIGatewayRestResolver, next_middleware: Callable[..., Response]) -> Response:
        if sent_as_non_json(app):
            return error(415, "unsupported_media_type", "send the body as application/json", "Content-Type")
        return next_middleware(app)

    return middleware
