"""Reading Creatify's answers: the JSON of a 2xx, or the typed error a status and body mean.

The split that matters is "safe to repeat" versus "may have spent credits": a 429 or 503
(and any 5xx to a GET) is retryable; any other 5xx to a POST leaves the outcome
unknown; a 4xx is a rejection, classed by what the caller can do about it. Nothing read
from an answer keeps the API key, even when an error page echoes the request's headers.
"""

from __future__ import annotations

import email.utils
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from reelay.ports.creatify_errors import (
    CreatifyAuthError,
    CreatifyError,
    CreatifyInsufficientCredits,
    CreatifyNotFound,
    CreatifyOutcomeUnknown,
    CreatifyRejected,
    CreatifyRetryable,
)

if TYPE_CHECKING:
    from reelay.clients.http_answer import Answer

# Statuses that prove the request was not processed, whatever the method: the rate limiter
# (429) or a gateway with no healthy backend (503) answered before the application did. Not
# 502: a proxy answers it also when the backend broke off after doing the work.
_NOT_PROCESSED_STATUSES = frozenset({429, 503})
# DRF puts request-wide messages under these keys; every other key of an error body is a field.
_DETAIL_KEYS = ("detail", "message", "non_field_errors", "error")
_MAX_BODY_EXCERPT = 300


def read_answer(response: Answer, method: str, path: str, secret: str) -> Any:
    status = response.status_code
    if 200 <= status < 300:
        try:
            return response.json()
        except ValueError:
            content_type = response.headers.get("content-type", "none")
            raise unusable_answer(
                method,
                path,
                status,
                f"is not JSON (content-type {content_type}, {len(response.content)} bytes)",
            ) from None
    if status in _NOT_PROCESSED_STATUSES or (status >= 500 and method == "GET"):
        raise CreatifyRetryable(
            f"Creatify {method} {path} answered {status} {response.reason_phrase}",
            method=method,
            path=path,
            status_code=status,
            retry_after=_retry_after(response.headers.get("retry-after")),
        )
    if status >= 500:
        # A 504 means the gateway stopped waiting, not that the backend stopped working; a 500 may
        # come after the task was created. Either way the credits may be gone.
        excerpt = _redact(_excerpt(response.text), secret)
        raise CreatifyOutcomeUnknown(
            f"Creatify {method} {path} answered {status} {response.reason_phrase}"
            + (f" ({excerpt})" if excerpt else "")
            + "; it may have been processed and spent credits, so it is not repeated",
            method=method,
            path=path,
            status_code=status,
        )
    if 400 <= status < 500:
        detail, field_errors = _error_body(response)
        detail = _redact(detail, secret)
        field_errors = {
            _redact(field, secret): [_redact(message, secret) for message in messages]
            for field, messages in field_errors.items()
        }
        if status == 402 or (status in (400, 403) and "credit" in detail.lower()):
            rejected: type[CreatifyRejected] = CreatifyInsufficientCredits
        elif status in (401, 403):
            rejected = CreatifyAuthError
        elif status == 404:
            rejected = CreatifyNotFound
        else:
            rejected = CreatifyRejected
        raise rejected(status, detail, field_errors, method=method, path=path)
    # 1xx/3xx: redirects are not followed on purpose (a redirected POST would change meaning).
    raise CreatifyError(
        f"Creatify {method} {path} answered an unexpected {status} {response.reason_phrase}",
        method=method,
        path=path,
        status_code=status,
    )


def unusable_answer(method: str, path: str, status: int, problem: str) -> CreatifyError:
    message = f"Creatify {method} {path} answered {status} but the body {problem}"
    if method == "POST":
        # The POST was accepted (credits spent) but we cannot tell which task it made.
        return CreatifyOutcomeUnknown(
            message + "; the request was processed but its result is unknown",
            method=method,
            path=path,
            status_code=status,
        )
    return CreatifyError(message, method=method, path=path, status_code=status)


def _error_body(response: Answer) -> tuple[str, dict[str, list[str]]]:
    """(detail, field errors) from a DRF-style error body: {"detail": ...} or {"field": ["msg"]}."""
    try:
        data = response.json()
    except ValueError:
        return _excerpt(response.text) or response.reason_phrase, {}
    if isinstance(data, dict):
        details: list[str] = []
        field_errors: dict[str, list[str]] = {}
        for key, value in data.items():
            if key in _DETAIL_KEYS:
                details.extend(_messages(value))
            else:
                field_errors[str(key)] = _messages(value)
        return " ".join(details), field_errors
    return " ".join(_messages(data)), {}


def _messages(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [message for item in value for message in _messages(item)]
    if isinstance(value, dict):
        # A nested serializer's errors: {"sub_field": ["msg"]}.
        return [f"{key}: {' '.join(_messages(item))}" for key, item in value.items()]
    return [str(value)]


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_BODY_EXCERPT else text[: _MAX_BODY_EXCERPT - 3] + "..."


def _redact(text: str, secret: str) -> str:
    # Belt and braces: an error page that echoes request headers must not carry the key onward.
    return text.replace(secret, "***") if secret and secret in text else text


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)
