"""API Gateway REST proxy events read and answered as dicts, for the single-route functions.

Creatify's callback function has one route and two parameters, the shop webhook function two
routes and one parameter, and the API's router (`reelay.http.rest`) reads its events the same
way. Powertools' resolver would import its whole event handler (every resolver, asyncio for
AppSync's, every event data class), most of a cold start beside botocore. This reads the event
as API Gateway sends it and answers in the shape the API always had: the one error shape,
`multiValueHeaders`, a compact JSON body, 415 for a body sent as anything but JSON, 400 naming
a parameter that breaks its rule (`Param`), and 503 (with Retry-After) when AWS is still busy
after the clients' retries.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Mapping
from enum import Enum
from typing import Any, Literal

from reelay.models.record_fields import compiled_pattern

# Seconds a caller is asked to wait after a 503: throttling that outlasted the retries rarely
# lasts much longer.
RETRY_AFTER_SECONDS = 2
# The methods whose requests carry a body.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

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


def unsupported_media_type_answer() -> dict[str, Any]:
    """415 for a body sent as anything but JSON (`sent_as_non_json`)."""
    return error_answer(415, "unsupported_media_type", "send the body as application/json", "Content-Type")


def header(event: Event, name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in (event.get("headers") or {}).items() if k.lower() == wanted), None)


def sent_as_non_json(event: Event) -> bool:
    """Whether the request carries a body under another content type than JSON."""
    content_type = (header(event, "content-type") or "").split(";")[0].strip().lower()
    return (
        event.get("httpMethod") in BODY_METHODS
        and bool(event.get("body"))
        and content_type not in ("", "application/json")
    )


def raw_body(event: Event) -> bytes:
    """The bytes the caller sent, as they came."""
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()


@dataclasses.dataclass(frozen=True)
class Param:
    """A path, query or header parameter: how it is sent, read and documented.

    `kind` is str, int or an Enum (read from the string sent); a path parameter is always
    required, a query or header parameter is `default` when not sent. `arg` is the name a route
    reads it by: the parameter's own name with `-` as `_` unless given.
    """

    name: str
    where: Literal["path", "query", "header"]
    kind: type = str
    max_length: int | None = None
    ge: int | None = None
    le: int | None = None
    pattern: str | None = None
    default: Any = None
    description: str | None = None
    arg: str = ""

    def __post_init__(self) -> None:
        if not self.arg:
            object.__setattr__(self, "arg", self.name.replace("-", "_"))
        if self.kind is not str and not (self.kind is int or issubclass(self.kind, Enum)):
            raise TypeError(f"a parameter is read as str, int or an Enum, not {self.kind!r}")

    @property
    def required(self) -> bool:
        return self.where == "path"

    def read_from(self, event: Event) -> Any:
        """The parameter's value in `event`, or BadParameter naming it."""
        return self.read(self._sent(event))

    def read(self, sent: str | None) -> Any:
        """The parameter's value from the string sent (None: not sent), or BadParameter."""
        if sent is None:
            if self.required:
                raise BadParameter(self.name, "this parameter is required")
            return self.default
        if self.max_length is not None and len(sent) > self.max_length:
            raise BadParameter(self.name, f"longer than {self.max_length} characters")
        if self.pattern is not None and not compiled_pattern(self.pattern).search(sent):
            raise BadParameter(self.name, f"does not match {self.pattern}")
        if self.kind is str:
            return sent
        if self.kind is int:
            if not re.fullmatch(r"[+-]?[0-9]{1,18}", sent.strip()):
                raise BadParameter(self.name, "should be a whole number")
            value = int(sent)
            if self.ge is not None and value < self.ge:
                raise BadParameter(self.name, f"should be at least {self.ge}")
            if self.le is not None and value > self.le:
                raise BadParameter(self.name, f"should be at most {self.le}")
            return value
        try:
            return self.kind(sent)
        except ValueError:
            members = ", ".join(str(member.value) for member in self.kind)
            raise BadParameter(self.name, f"should be one of {members}") from None

    def _sent(self, event: Event) -> str | None:
        if self.where == "path":
            return (event.get("pathParameters") or {}).get(self.name)
        if self.where == "header":
            return header(event, self.name)
        # Given more than once, a query parameter is a list, which no parameter here takes.
        values = (event.get("multiValueQueryStringParameters") or {}).get(self.name)
        if values is not None and len(values) > 1:
            raise BadParameter(self.name, "given more than once")
        return (event.get("queryStringParameters") or {}).get(self.name)
