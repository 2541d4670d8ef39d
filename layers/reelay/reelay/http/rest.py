"""The public API's routes: each declared once, read from API Gateway's proxy event, answered as a dict.

A route says what it takes (path, query and header parameters, a body record) and what it
answers (a status, a record, the logic errors it may raise); `RestApi.answer` reads an event
against that declaration and the OpenAPI document is built from the same declarations, on the
first request for it (`reelay.http.openapi`). Routes are found by API Gateway's own `resource`
(the template declares each one), so there is no path matching to get wrong.

Powertools' validating REST resolver did this with pydantic models; its import (every resolver,
asyncio for AppSync's, its OpenAPI models) with pydantic and the API's models was about 0.45x of
a boto3 cold start before any route ran. Bodies are records here (`reelay.models.records`), read
by their declared types and rules; what goes wrong is answered in the one error shape
(`reelay.http.errors`), naming the field at fault.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from reelay.http import proxy_events
from reelay.http.errors import (
    LOGIC_ERRORS,
    answer_logic_error,
    answer_outage,
    refusal_of_record,
)
from reelay.http.json_bodies import strict_json_loads
from reelay.http.proxy_events import BadParameter, Param, error_answer
from reelay.http.request_context import tenant_id
from reelay.models.records import InvalidRecord, Record, json_shaped

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger


class Refusal(Exception):
    """A route's own refusal of a request (a 4xx in the one error shape), e.g. two parameters that
    may not be sent together."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


@dataclasses.dataclass(frozen=True)
class Answer:
    """What a route answers when the route's own status and record will not do.

    `body` is a record, or JSON-shaped data, or None for no body; `text` is a body that is not
    JSON (a page, a script), sent as `content_type`.
    """

    status: int
    body: Any = None
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    text: str | None = None
    content_type: str = "application/json"


@dataclasses.dataclass(frozen=True)
class Route:
    """One route as declared: what the API reads for it, and what the OpenAPI document says."""

    method: str
    path: str
    func: Callable[[Call], Any]
    summary: str | None = None
    description: str | None = None
    status: int = 200
    # The answer's record (None: no body, or one the route shapes itself, e.g. a redirect).
    returns: type | None = None
    # Documented answers by status; each gets `returns` as its content except 204 and 3xx.
    answers: Mapping[int, str] = dataclasses.field(default_factory=dict)
    body: type[Record] | None = None
    body_required: bool = True
    params: tuple[Param, ...] = ()
    errors: tuple[type[Exception], ...] = ()
    # No tenant key needed (its own check stands in): documented without security.
    public: bool = False
    documented: bool = True

    @property
    def name(self) -> str:
        return self.func.__name__


class Call:
    """One request to a route: its parameters read, its body read, and what API Gateway says."""

    def __init__(self, event: Mapping[str, Any]) -> None:
        self.event = event
        self.params: dict[str, Any] = {}
        self.body: Any = None

    @property
    def tenant_id(self) -> str:
        return tenant_id(self.event)

    @cached_property
    def query(self) -> Mapping[str, str]:
        return self.event.get("queryStringParameters") or {}


RouteFunction = Callable[["Call"], Any]
# What `RestApi.route` and its method shorthands return: a decorator that declares the route.
Declares = Callable[[RouteFunction], RouteFunction]


class RestApi:
    """The API's routes, by method and API Gateway resource, and how each request is answered."""

    def __init__(self, *, logger: Logger | None = None) -> None:
        self._routes: dict[tuple[str, str], Route] = {}
        self._logger = logger

    @property
    def routes(self) -> list[Route]:
        return list(self._routes.values())

    def route(self, method: str, path: str, **declared: Any) -> Declares:
        """Declare the decorated function as the route for `method` and `path` (the template's
        path, `{name}` for a path parameter); `declared` are `Route`'s fields."""

        def declare(func: RouteFunction) -> RouteFunction:
            route = Route(method=method.upper(), path=path, func=func, **declared)
            in_path = set(re.findall(r"{(\w+)}", path))
            path_params = {p.name for p in route.params if p.where == "path"}
            if in_path != path_params:
                raise ValueError(
                    f"{path}: path parameters {sorted(in_path)} declared as {sorted(path_params)}"
                )
            unmapped = [error.__name__ for error in route.errors if error not in LOGIC_ERRORS]
            if unmapped:
                raise KeyError(f"not mapped in reelay.http.errors.LOGIC_ERRORS: {', '.join(unmapped)}")
            if (route.method, path) in self._routes:
                raise ValueError(f"{route.method} {path} is declared twice")
            self._routes[(route.method, path)] = route
            return func

        return declare

    def get(self, path: str, **declared: Any) -> Declares:
        return self.route("GET", path, **declared)

    def post(self, path: str, **declared: Any) -> Declares:
        return self.route("POST", path, **declared)

    def patch(self, path: str, **declared: Any) -> Declares:
        return self.route("PATCH", path, **declared)

    def delete(self, path: str, **declared: Any) -> Declares:
        return self.route("DELETE", path, **declared)

    def answer(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """API Gateway's answer to `event`: the route's, or an error in the one error shape."""
        route = self._routes.get((str(event.get("httpMethod", "")).upper(), str(event.get("resource", ""))))
        if route is None:
            return error_answer(404, "not_found", "no such route")
        try:
            call = self._read(event, route)
        except _Refused as refused:
            return self._refuse(event, refused.answer)
        try:
            return _as_answer(route, route.func(call))
        except Refusal as refusal:
            return self._refuse(
                event, error_answer(refusal.status, refusal.code, refusal.message, refusal.field)
            )
        except Exception as exc:
            logic = answer_logic_error(exc)
            if logic is not None:
                return logic
            outage = answer_outage(exc, event.get("path"))
            if outage is not None:
                return outage
            raise

    def _read(self, event: Mapping[str, Any], route: Route) -> Call:
        call = Call(event)
        if proxy_events.sent_as_non_json(event):
            raise _Refused(proxy_events.unsupported_media_type_answer())
        for param in route.params:
            try:
                call.params[param.arg] = param.read_from(event)
            except BadParameter as bad:
                raise _Refused(error_answer(400, "validation_error", str(bad), bad.name)) from None
        if route.body is not None:
            call.body = _read_body(event, route)
        return call

    def _refuse(self, event: Mapping[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        # A refusal leaves a line, so a client stuck on 4xx can be helped from the log.
        if self._logger is not None:
            self._logger.warning(
                "request refused", extra={"path": event.get("path"), "answer": json.loads(answer["body"])}
            )
        return answer


class _Refused(Exception):
    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__(answer["statusCode"])
        self.answer = answer


def _read_body(event: Mapping[str, Any], route: Route) -> Any:
    assert route.body is not None
    try:
        text = proxy_events.raw_body(event).decode("utf-8")
    except (UnicodeDecodeError, ValueError):
        raise _Refused(
            error_answer(400, "invalid_json", "the request body is not valid UTF-8 JSON")
        ) from None
    if not text.strip():
        if route.body_required:
            raise _Refused(error_answer(400, "validation_error", "body: this field is required", "body"))
        return None
    try:
        data = strict_json_loads(text)
    except json.JSONDecodeError:
        raise _Refused(error_answer(400, "invalid_json", "the request body is not valid JSON")) from None
    if data is None and not route.body_required:
        return None
    try:
        return route.body.from_stored(data)
    except InvalidRecord as invalid:
        raise _Refused(refusal_of_record(invalid)) from None


def _as_answer(route: Route, returned: Any) -> dict[str, Any]:
    answer = returned if isinstance(returned, Answer) else Answer(route.status, returned)
    if answer.text is not None:
        headers = {"Content-Type": answer.content_type, **answer.headers}
        return {
            "statusCode": answer.status,
            "body": answer.text,
            "isBase64Encoded": False,
            "multiValueHeaders": {name: [value] for name, value in headers.items()},
        }
    if answer.body is None:
        return {
            "statusCode": answer.status,
            "body": "",
            "isBase64Encoded": False,
            "multiValueHeaders": {name: [value] for name, value in answer.headers.items()},
        }
    return proxy_events.json_answer(answer.status, json_shaped(answer.body), answer.headers)
