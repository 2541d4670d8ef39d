"""The served OpenAPI document says what the API answers: every status, each with its shape.

Powertools documents a route's success and, with validation on, a 422 in its own shape; the API
answers 400 in the one error shape instead (`reelay.http.errors`), and API Gateway adds answers
of its own. `DocumentedRestResolver` post-processes the generated document, for every route
including ones added later, with rules that follow from how the API is built:

- 400 (the error shape, naming the field) for an operation with parameters or a body;
- 401 (the authorizer said no; the template's gateway response gives it the error shape) for
  an operation with security;
- 413 (API Gateway's 10 MB payload limit) and 415 (a body that is not JSON) for POST, PUT, PATCH;
- each error a route declares with `@raises(...)`, answered as `http.errors.LOGIC_ERRORS` says;
- 204 without a body.

A route declares the logic errors it may raise, and nothing else:

    @app.get("/v1/product-videos/<id>")
    @raises(TaskNotFound)
    def get_one(...): ...

A route with more than one success status passes Powertools' own `responses=` for them (a
response without `content` gets the route's return type).
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from reelay.http.errors import LOGIC_ERRORS
from reelay.models.api import ErrorBody

F = TypeVar("F", bound=Callable[..., Any])

_RAISES = "__reelay_raises__"
_PUBLIC = "__reelay_public__"
_BODY_METHODS = frozenset({"post", "put", "patch"})
_SCHEMA_PREFIX = "#/components/schemas/"
# Powertools' own shapes, which no answer of this API has.
_POWERTOOLS_SHAPES = ("HTTPValidationError", "ValidationError", "ResponseValidationError")

GENERIC_ANSWERS = {
    400: "The request is not valid: `error.field` names the field at fault.",
    401: "Missing or invalid API key (API Gateway's authorizer answers; the function never runs).",
    413: "The body is larger than API Gateway takes (10 MB).",
    415: "The body is not sent as application/json (`error.field` is Content-Type).",
}


def raises(*errors: type[Exception]) -> Callable[[F], F]:
    """Declare the logic errors a route may raise; the document lists each one's answer.

    Each must be mapped in `reelay.http.errors.LOGIC_ERRORS` (checked here, at import), so
    the document can only promise answers the API gives.
    """
    unmapped = [error.__name__ for error in errors if error not in LOGIC_ERRORS]
    if unmapped:
        raise KeyError(f"not mapped in reelay.http.errors.LOGIC_ERRORS: {', '.join(unmapped)}")

    def declare(func: F) -> F:
        setattr(func, _RAISES, (*getattr(func, _RAISES, ()), *errors))
        return func

    return declare


def public(func: F) -> F:
    """Mark a route that needs no tenant key (its own check stands in): documented without security."""
    setattr(func, _PUBLIC, True)
    return func


def declared_errors(func: Callable[..., Any]) -> tuple[type[Exception], ...]:
    return getattr(func, _RAISES, ())


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"{_SCHEMA_PREFIX}ErrorBody"}}},
    }


def _error_schemas() -> dict[str, Any]:
    schema = ErrorBody.model_json_schema(ref_template=_SCHEMA_PREFIX + "{model}")
    definitions = schema.pop("$defs", {})
    return {**definitions, "ErrorBody": schema}


def _statuses_of(
    method: str, operation: dict[str, Any], secured: bool, errors: tuple[type[Exception], ...]
) -> dict[int, list[str]]:
    """Every error status the operation can answer, with what each means."""
    found: dict[int, list[str]] = {}
    if operation.get("parameters") or operation.get("requestBody"):
        found.setdefault(400, []).append(GENERIC_ANSWERS[400])
    if secured:
        found.setdefault(401, []).append(GENERIC_ANSWERS[401])
    if method in _BODY_METHODS:
        for status in (413, 415):
            found.setdefault(status, []).append(GENERIC_ANSWERS[status])
    for error in errors:
        meaning = LOGIC_ERRORS[error].meaning
        lines = found.setdefault(LOGIC_ERRORS[error].status, [])
        if meaning not in lines:
            lines.append(meaning)
    return found


def _referenced(document: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(document, dict):
        ref = document.get("$ref")
        if isinstance(ref, str) and ref.startswith(_SCHEMA_PREFIX):
            found.add(ref.removeprefix(_SCHEMA_PREFIX))
        for value in document.values():
            found |= _referenced(value)
    elif isinstance(document, list):
        for value in document:
            found |= _referenced(value)
    return found


def tell_the_truth(document: dict[str, Any], routes: list[Any]) -> dict[str, Any]:
    """The generated document (a dict), with every answer each route's operation can give."""
    paths = document.get("paths", {})
    default_security = document.get("security")
    for route in routes:
        operation = paths.get(route.openapi_path, {}).get(route.method.lower())
        if operation is None:  # not in the document (include_in_schema=False)
            continue
        responses = operation.setdefault("responses", {})
        responses.pop("422", None)
        responses.pop(422, None)
        for status in (204, "204"):
            if status in responses:
                responses[status].pop("content", None)
        if getattr(route.func, _PUBLIC, False):
            operation["security"] = []
        security = operation.get("security", default_security)
        errors = _statuses_of(route.method.lower(), operation, bool(security), declared_errors(route.func))
        for status, meanings in sorted(errors.items()):
            responses[str(status)] = _error_response(" ".join(meanings))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(_error_schemas())
    used = _referenced(document.get("paths", {})) | _referenced(
        {name: schema for name, schema in schemas.items() if name not in _POWERTOOLS_SHAPES}
    )
    for name in _POWERTOOLS_SHAPES:
        if name not in used:
            schemas.pop(name, None)
    return document


class DocumentedRestResolver(APIGatewayRestResolver):
    """The REST resolver whose OpenAPI document (and Swagger UI) lists every answer it gives."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

        generated = super().get_openapi_schema(**kwargs)
        document = generated.model_dump(mode="json", by_alias=True, exclude_none=True)
        routes = self._static_routes + self._dynamic_routes
        return OpenAPI.model_validate(tell_the_truth(document, routes))

    def enable_swagger_lazily(self, options: Callable[[], dict[str, Any]], path: str = "/swagger") -> None:
        """Powertools' Swagger UI at `path`, set up by the first request for it, not at import.

        `enable_swagger` imports Powertools' OpenAPI models, about 90 ms of a cold start that only
        a request for the document needs. `options()` gives enable_swagger's other arguments (it
        may import the models, e.g. for security schemes). Powertools' handler is registered behind
        this one at the same path: the first match serves, so this one hands every request on.
        """
        served: list[Callable[[], Any]] = []
        setting_up = threading.Lock()

        def swagger_handler() -> Any:
            with setting_up:
                if not served:
                    with warnings.catch_warnings():  # the second route at `path` is meant
                        warnings.filterwarnings("ignore", "A route like this was already registered")
                        super(DocumentedRestResolver, self).enable_swagger(path=path, **options())
                    served.append(self._static_routes[-1].func)
            return served[0]()

        self.get(path, include_in_schema=False)(swagger_handler)
