"""One error shape for every answer that is not a success, and the one place errors are mapped:

    {"error": {"code": "<machine code>", "message": "<for a person>", "field": "<at fault>"}}

Validation errors name the field at fault (dotted path for nested fields) and are 400s;
bad input never becomes a 5xx. Logic's errors (`reelay.errors`) become their answers here,
once for every route, so a route only says what it does when all goes well: `LOGIC_ERRORS`
is the one table of those answers, which the OpenAPI document reads too (`http.openapi`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

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
from reelay.http.proxy_events import error_answer, outage_answer
from reelay.models.records import MISSING_FIELD, UNKNOWN_FIELD, InvalidRecord

logger = Logger(child=True)

# What a record says of a field, as the API says it to a person.
_SAID = {MISSING_FIELD: "this field is required", UNKNOWN_FIELD: "unknown field"}


def refusal_of_record(invalid: InvalidRecord) -> dict[str, Any]:
    """400 for a body a record cannot hold, naming the field at fault (dotted when nested)."""
    if not invalid.field:  # the body itself: a list, a string, a number
        return error_answer(400, "validation_error", "body: should be a JSON object", "body")
    message = _SAID.get(invalid.why, invalid.why)
    return error_answer(400, "validation_error", f"{invalid.field}: {message}", invalid.field)


def answer_logic_error(exc: Exception) -> dict[str, Any] | None:
    """The answer to one of logic's errors (`LOGIC_ERRORS`), or None for any other exception."""
    for kind in type(exc).__mro__:
        if kind in LOGIC_ERRORS:
            return LOGIC_ERRORS[kind].answer(exc)
    return None


def answer_outage(exc: Exception, path: Any) -> dict[str, Any] | None:
    """AWS still busy or failing after the clients' retries: a 503 the caller may retry, not a 502.

    Every route that writes is safe to repeat (a submission with its Idempotency-Key finds the
    task it made, a review action answers what the first did), so the caller's retry finishes
    what this request could not. None for any other exception.
    """
    if not is_aws_outage(exc):
        return None
    logger.exception("AWS unavailable after retries", extra={"path": path})
    return outage_answer()


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

    def answer(self, exc: Exception) -> dict[str, Any]:
        field = getattr(exc, "field", None) or self.field
        if self.log_refusal:
            logger.warning("request refused", extra={"code": self.code, "field": field, "reason": str(exc)})
        return error_answer(self.status, self.code, self.message or str(exc), field)


# Every error of logic's that reaches the API, and its one answer. A route declares the ones it
# may raise with `errors=(...)` (reelay.http.rest), so the document lists exactly these answers.
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
