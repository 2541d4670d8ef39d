"""API Gateway REST proxy events read and answered as dicts, for the single-route functions.

Creatify's callback function has one route and two parameters, the shop webhook function two
routes and one parameter. Powertools' resolver would import its whole event handler (every
resolver, asyncio for AppSync's, every event data class) and its OpenAPI validation models,
most of their cold start beside botocore. This reads the event as API Gateway sends it and
answers in the shape the resolver did: the one error shape, `multiValueHeaders`, a compact JSON
body, 415 for a body sent as anything but JSON, 400 naming a parameter that breaks its rule,
and 503 (with Retry-After) when AWS is still busy after the clients' retries. The API's
resolver uses the same content-type rule (`json_bodies.sent_as_non_json`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

# Seconds a caller is asked to wait after a 503 (here and in `reelay.http.errors`): throttling
# that outlasted the retries rarely lasts much longer.
RETRY_AFTER_SECONDS = 2
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

Event = Mapping[str, Any]


class BadParameter(ValueError):
    """A path or query parameter breaking its rule; answered 400 naming it."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


def json_answer(status: int, body: Any, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    multi = {"Content-Type": ["application/json"], **{k: [v] for k, v in (headers or {}).items()}}
    return {
        "statusCode": status,
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
        "multiValueHeaders": multi,
    }


def error_answer(
    status: int, code: str, message: str, field: str | None = None, headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    error = {"code": code, "message": message} | ({"field": field} if field is not None else {})
    return json_answer(status, {"error": error}, headers)


def outage_answer() -> dict[str, Any]:
    return error_answer(
        503,
        "temporarily_unavailable",
        "the service is busy; try again shortly",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def header(event: Event, name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in (event.get("headers") or {}).items() if k.lower() == wanted), None)


def sent_as_non_json(event: Event) -> bool:
    """Whether the request carries a body under another content type than JSON."""
    content_type = (header(event, "content-type") or "").split(";")[0].strip().lower()
    return (
        event.get("httpMethod") in _BODY_METHODS
        and bool(event.get("body"))
        and content_type not in ("", "application/json")
    )


def raw_body(event: Event) -> bytes:
    """The bytes the caller sent, as they came."""
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()


def path_parameter(event: Event, name: str, *, max_length: int) -> str | None:
    value = (event.get("pathParameters") or {}).get(name)
    if value is not None and len(value) > max_length:
        raise BadParameter(name, f"String should have at most {max_length} characters")
    return value


def query_parameter(event: Event, name: str, *, max_length: int) -> str | None:
    """A query parameter given at most once (a repeated one is a list, which no rule here takes)."""
    values = (event.get("multiValueQueryStringParameters") or {}).get(name)
    if values is not None and len(values) > 1:
        raise BadParameter(name, "Input should be a valid string")
    value = (event.get("queryStringParameters") or {}).get(name)
    if value is not None and len(value) > max_length:
        raise BadParameter(name, f"String should have at most {max_length} characters")
    return value
