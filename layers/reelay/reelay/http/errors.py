"""One error shape for every answer that is not a success, and the one place errors are mapped:

    {"error": {"code": "<machine code>", "message": "<for a person>", "field": "<at fault>"}}

Validation errors name the field at fault (dotted path for nested fields) and are 400s;
bad input never becomes a 5xx. Logic's errors (`reelay.errors`) become their answers here,
once for every route, so a route only says what it does when all goes well: `LOGIC_ERRORS`
is the one table of those answers, which the OpenAPI document reads too (`http.openapi`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from reelay.clients.aws import is_aws_outage
from reelay.errors import (
    ConnectionNotFound,
    CredentialNotForPlatform,
    IdempotencyConflict,
    InvalidCursor,
    MediaLinkInvalid,
    MediaNotArchived,
    NothingToDeliver,
    ProviderUnavailable,
    ShopAlreadyConnected,
    TaskNotFound,
    UnsafeRequestUrl,
    WrongStatus,
)
from reelay.http.json_bodies import only_json_bodies, sent_as_non_json
from reelay.http.proxy_events import RETRY_AFTER_SECONDS
from reelay.models.api import ErrorBody, ErrorDetail

logger = Logger(child=True)


def error_response(status: int, code: str, message: str, field: str | None = None) -> Response[dict]:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, field=field))
    # A dict, not a JSON string: routes declare `Response[dict]` and Powertools validates what a
    # route returns against it, so a string body would turn every error into a validation error.
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump(mode="json", exclude_none=True),
    )


def _field_of(location: Sequence[Any]) -> str | None:
    # Powertools and pydantic locate errors like ("body", "external_ref", "shop") or
    # ("query", "limit"); the first element says where, the rest is the field's path.
    parts = [str(p) for p in location[1:] if not isinstance(p, int)] if len(location) > 1 else []
    return ".".join(parts) or (str(location[0]) if location else None)


def validation_error_response(errors: Sequence[dict[str, Any]]) -> Response[dict]:
    if not errors:
        return error_response(400, "validation_error", "the request is not valid")
    first = errors[0]
    field = _field_of(first.get("loc", ()))
    message = str(first.get("msg", "invalid value"))
    if first.get("type") == "json_invalid":
        return error_response(400, "invalid_json", "the request body is not valid JSON")
    if first.get("type") == "missing" and field:
        message = "this field is required"
    elif first.get("type") == "extra_forbidden":
        message = "unknown field"
    message = message.removeprefix("Value error, ")
    return error_response(400, "validation_error", f"{field}: {message}" if field else message, field)


def _aws_outage_as_503(app: APIGatewayRestResolver, next_middleware: Callable[..., Response]) -> Response:
    """AWS still busy or failing after the clients' retries: a 503 the caller may retry, not a 502.

    Every route that writes is safe to repeat (a submission with its Idempotency-Key finds the
    task it made, a review action answers what the first did), so the caller's retry finishes
    what this request could not.
    """
    try:
        return next_middleware(app)
    except Exception as exc:
        if not is_aws_outage(exc):
            raise
        logger.exception("AWS unavailable after retries", extra={"path": app.current_event.path})
        answer = error_response(503, "temporarily_unavailable", "the service is busy; try again shortly")
        answer.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return answer


def use_error_shape(app: APIGatewayRestResolver, *, json_bodies_only: bool = True) -> None:
    """Answer every failure the resolver itself detects in the one error shape, never as a 5xx.

    The resolver must parse bodies with `json_bodies.strict_json_loads` (its json_body_deserializer)
    for duplicate keys and deep nesting to be the caller's mistake too. `json_bodies_only` answers
    415 for a body that is not JSON (off for shop hooks: WooCommerce pings with a form).
    """
    if json_bodies_only:
        app.use(middlewares=[only_json_bodies(error_response)])
    app.use(middlewares=[_aws_outage_as_503])

    @app.exception_handler(RequestValidationError)
    def on_validation_error(exc: RequestValidationError) -> Response[dict]:
        if json_bodies_only and sent_as_non_json(app):
            # Parsed as a form, a JSON body lacks every field: say what is really wrong.
            answer = error_response(
                415, "unsupported_media_type", "send the body as application/json", "Content-Type"
            )
        else:
            answer = validation_error_response(exc.errors())
        # A refusal leaves a line, so a client stuck on 4xx can be helped from the log.
        logger.warning("request refused", extra={"path": app.current_event.path, "answer": answer.body})
        return answer

    @app.exception_handler(RequestUnsupportedContentType)
    def on_unsupported_content_type(_: RequestUnsupportedContentType) -> Response[dict]:
        logger.warning("request refused: not JSON", extra={"path": app.current_event.path})
        return error_response(
            415, "unsupported_media_type", "send the body as application/json", "Content-Type"
        )

    @app.exception_handler(UnicodeDecodeError)
    def on_undecodable_body(_: UnicodeDecodeError) -> Response[dict]:
        # Powertools decodes the body as UTF-8 before parsing it; bytes that are not text are the
        # caller's mistake, like any other body that is not JSON.
        logger.warning("request refused: not UTF-8", extra={"path": app.current_event.path})
        return error_response(400, "invalid_json", "the request body is not valid UTF-8 JSON")

    @app.not_found
    def on_not_found(_: Exception) -> Response[dict]:
        return error_response(404, "not_found", "no such route")


@dataclass(frozen=True)
class ErrorAnswer:
    """How one of logic's errors is answered, and what the OpenAPI document says of it.

    `message` is fixed, or None for the exception's own text; `field` is the field at fault,
    unless the exception names it itself (an `exc.field`).
    """

    status: int
    code: str
    meaning: str
    field: str | None = None
    message: str | None = None
    log_refusal: bool = False

    def answer(self, exc: Exception) -> Response[dict]:
        field = getattr(exc, "field", None) or self.field
        if self.log_refusal:
            logger.warning("request refused", extra={"code": self.code, "field": field, "reason": str(exc)})
        return error_response(self.status, self.code, self.message or str(exc), field)


# Every error of logic's that reaches the API, and its one answer. A route declares the ones it
# may raise with `reelay.http.openapi.raises(...)`, so the document lists exactly these answers.
LOGIC_ERRORS: dict[type[Exception], ErrorAnswer] = {
    TaskNotFound: ErrorAnswer(
        404, "not_found", "No such product video among the tenant's.", "id", "no such product video"
    ),
    ConnectionNotFound: ErrorAnswer(
        404, "not_found", "No such shop connection among the tenant's.", "id", "no such shop connection"
    ),
    WrongStatus: ErrorAnswer(409, "wrong_status", "The task is not at the status this needs.", "status"),
    IdempotencyConflict: ErrorAnswer(
        409,
        "idempotency_conflict",
        "The Idempotency-Key was used before with a different body.",
        "Idempotency-Key",
    ),
    ShopAlreadyConnected: ErrorAnswer(
        409, "shop_already_connected", "The shop already feeds a connection.", "shop"
    ),
    InvalidCursor: ErrorAnswer(
        400,
        "validation_error",
        "The cursor is not one this listing issued.",
        "cursor",
        "cursor: not a cursor from this listing",
    ),
    CredentialNotForPlatform: ErrorAnswer(
        400, "validation_error", "An admin credential of another platform than the connection's."
    ),
    UnsafeRequestUrl: ErrorAnswer(
        400,
        "validation_error",
        "A URL leads to an address Reelay never fetches from or posts to (the field says which).",
        log_refusal=True,
    ),
    NothingToDeliver: ErrorAnswer(
        409, "nothing_to_deliver", "The task has nothing to deliver (not finished, or no webhook_url)."
    ),
    MediaLinkInvalid: ErrorAnswer(
        403, "forbidden", "The link's signature does not match (nothing is said about the task).", "sig"
    ),
    MediaNotArchived: ErrorAnswer(404, "not_found", "No archived copy of this asset.", "asset"),
    ProviderUnavailable: ErrorAnswer(503, "provider_unavailable", "Creatify could not answer; try again."),
}


def map_logic_errors(app: APIGatewayRestResolver) -> None:
    """Answer each of logic's errors the same way on every route of the public API."""
    for error_type, answer in LOGIC_ERRORS.items():
        app.exception_handler(error_type)(answer.answer)
