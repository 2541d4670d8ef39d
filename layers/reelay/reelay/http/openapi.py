"""The served OpenAPI document says what the API answers: every status, each with its shape.

It is built from the routes as declared on the API's `RestApi` (`reelay.http.rest`) and the
records they take and answer (`reelay.http.json_schemas`), on the first request for it: nothing
on a request's path imports this module. What a route declares is what the API does with it, so
the document follows from the declarations, with rules that follow from how the API is built:

- the route's own status (and the others in its `answers`) with its record, except 204 and 3xx,
  which answer no body (a redirect, its Location header);
- 400 (the error shape, naming the field) for an operation with parameters or a body;
- 401 (the authorizer said no; the template's gateway response gives it the error shape) for
  an operation with security; a `public` route (its own check stands in) has none;
- 413 (API Gateway's 10 MB payload limit) and 415 (a body that is not JSON) for POST, PUT, PATCH;
- each error a route declares with `errors=(...)`, answered as `http.errors.LOGIC_ERRORS` says
  (errors sharing a status share one entry, their meanings side by side).

Every error answer is the one error shape, `ErrorBody`; no other error shape (Powertools' 422,
its HTTPValidationError) is promised, since the API answers none. Operation ids are spelled as
Powertools spelled them (function name, path, method), so clients generated before keep theirs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from reelay.http.errors import LOGIC_ERRORS
from reelay.http.json_schemas import component_schemas, ref_to, schema_of_type, title_of, with_rules
from reelay.http.proxy_events import BODY_METHODS
from reelay.http.rest import Param, RestApi, Route
from reelay.models.api import ErrorBody
from reelay.models.records import json_shaped

# The statuses that send the client on to their Location header.
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

GENERIC_ANSWERS = {
    400: "The request is not valid: `error.field` names the field at fault.",
    401: "Missing or invalid API key (API Gateway's authorizer answers; the function never runs).",
    413: "The body is larger than API Gateway takes (10 MB).",
    415: "The body is not sent as application/json (`error.field` is Content-Type).",
}


def openapi_document(
    api: RestApi,
    *,
    title: str,
    version: str,
    description: str | None = None,
    servers: Sequence[Mapping[str, Any]] | None = None,
    security_schemes: Mapping[str, Mapping[str, Any]] | None = None,
    security: Sequence[Mapping[str, Sequence[str]]] | None = None,
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `api`'s documented routes (JSON-shaped).

    `security_schemes` are the components' schemes (e.g. `{"tenantKey": {"type": "http",
    "scheme": "bearer"}}`) and `security` the requirement every operation has unless public.
    """
    info: dict[str, Any] = {"title": title, "version": version}
    if description:
        info["description"] = description
    document: dict[str, Any] = {"openapi": "3.1.0", "info": info}
    if servers:
        document["servers"] = [dict(server) for server in servers]
    secured = bool(security)
    paths: dict[str, dict[str, Any]] = {}
    roots: list[Any] = [ErrorBody]
    for route in api.routes:
        if not route.documented:
            continue
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, secured)
        roots += [route.body, route.returns, *(param.kind for param in route.params)]
    document["paths"] = paths
    components: dict[str, Any] = {"schemas": component_schemas(kind for kind in roots if kind is not None)}
    if security_schemes:
        components["securitySchemes"] = {name: dict(scheme) for name, scheme in security_schemes.items()}
    document["components"] = components
    if security:
        document["security"] = [{name: list(scopes) for name, scopes in each.items()} for each in security]
    return document


def operation_id(route: Route) -> str:
    """The operation's id as Powertools (and FastAPI) made it: "list_tasks_v1_product_videos_get"."""
    return re.sub(r"\W", "_", f"{route.name}{route.path}") + f"_{route.method.lower()}"


def _operation(route: Route, secured: bool) -> dict[str, Any]:
    operation: dict[str, Any] = {}
    if route.summary:
        operation["summary"] = route.summary
    if route.description:
        operation["description"] = route.description
    operation["operationId"] = operation_id(route)
    if route.params:
        operation["parameters"] = [_parameter(param) for param in route.params]
    if route.body is not None:
        operation["requestBody"] = _request_body(route)
    responses = _success_responses(route)
    for status, meanings in sorted(_error_statuses(route, secured and not route.public).items()):
        responses[str(status)] = _error_response(" ".join(meanings))
    operation["responses"] = responses
    if route.public:
        operation["security"] = []
    return operation


def _parameter(param: Param) -> dict[str, Any]:
    rules = {"length": (0, param.max_length), "pattern": param.pattern, "ge": param.ge, "le": param.le}
    schema = with_rules(schema_of_type(param.kind), rules)
    if not param.required and param.default is None:
        schema = {"anyOf": [schema, {"type": "null"}]}
    schema["title"] = title_of(param.name)
    if param.description:
        schema["description"] = param.description
    if param.default is not None:
        schema["default"] = json_shaped(param.default)
    written: dict[str, Any] = {"name": param.name, "in": param.where}
    if param.description:
        written["description"] = param.description
    written["required"] = param.required
    written["schema"] = schema
    return written


def _request_body(route: Route) -> dict[str, Any]:
    assert route.body is not None
    schema: dict[str, Any] = ref_to(route.body)
    if not route.body_required:  # no body, or null, reads as none (reelay.http.rest)
        schema = {"anyOf": [schema, {"type": "null"}]}
    return {"content": {"application/json": {"schema": schema}}, "required": route.body_required}


def _success_responses(route: Route) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status in (route.status, *(status for status in route.answers if status != route.status)):
        response: dict[str, Any] = {"description": route.answers.get(status, "Successful Response")}
        if status in _REDIRECTS:
            response["headers"] = {"Location": {"description": "Where to go.", "schema": {"type": "string"}}}
        if route.returns is not None and not _answers_no_body(status):
            response["content"] = {"application/json": {"schema": schema_of_type(route.returns)}}
        responses[str(status)] = response
    return responses


def _answers_no_body(status: int) -> bool:
    return status == 204 or 300 <= status < 400


def _error_statuses(route: Route, secured: bool) -> dict[int, list[str]]:
    """Every error status the route can answer, with what each means."""
    found: dict[int, list[str]] = {}
    if route.params or route.body is not None:
        found.setdefault(400, []).append(GENERIC_ANSWERS[400])
    if secured:
        found.setdefault(401, []).append(GENERIC_ANSWERS[401])
    if route.method in BODY_METHODS:
        for status in (413, 415):
            found.setdefault(status, []).append(GENERIC_ANSWERS[status])
    for error in route.errors:
        answer = LOGIC_ERRORS[error]
        meanings = found.setdefault(answer.status, [])
        if answer.meaning not in meanings:
            meanings.append(answer.meaning)
    return found


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref_to(ErrorBody)}}}


def swagger_page(document: Mapping[str, Any]) -> str:
    """Swagger UI's page for `document`, as Powertools' `enable_swagger` made it: its bundled
    script and style inline, the document embedded (the page fetches nothing from elsewhere)."""
    # Here, not at the top: only a request for the page needs Powertools' event_handler package.
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import html

    script, style = _swagger_assets(Path(html.__file__).parent)
    return html.generate_swagger_html(embedded_json(document), script, style, "", None)


@cache
def _swagger_assets(bundled: Path) -> tuple[str, str]:
    # About 1.5 MB: read once per instance, not on every view of the page.
    script = (bundled / "swagger-ui-bundle.min.js").read_text(encoding="utf-8")
    style = (bundled / "swagger-ui.min.css").read_text(encoding="utf-8")
    return script, style


def embedded_json(document: Mapping[str, Any]) -> str:
    """The document as JSON that may stand inside a <script> element: every "</" written "<\\/"
    (still the same JSON), so no string in it can close the element."""
    return json.dumps(document, indent=2).replace("</", "<\\/")
