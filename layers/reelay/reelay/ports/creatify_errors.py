"""Typed failures of the Creatify client, sorted by what the caller may safely do next.

- ``CreatifyRetryable``: the request certainly did not take effect; sending it again is safe.
- ``CreatifyOutcomeUnknown``: a POST whose answer never came. Creatify may have processed it
  and spent credits, and its POSTs carry no idempotency key, so it must NOT be repeated
  blindly; the caller reconciles (lists the account's tasks) instead.
- ``CreatifyRejected`` (and its subclasses): Creatify answered and said no; repeating the
  same request gets the same answer.
- ``CreatifyConfigurationError``: our side cannot even build the request (credentials).

No exception here ever carries the API key: messages are built from status codes, paths and
the provider's error bodies only, and nothing but the message goes into ``args``.
"""

from __future__ import annotations


class CreatifyError(Exception):
    """Anything that went wrong talking to Creatify."""

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path
        self.status_code = status_code


class CreatifyConfigurationError(CreatifyError):
    """Credentials are missing or malformed. Names where they were looked for, never their value."""


class CreatifyRejected(CreatifyError):
    """Creatify answered with a 4xx: the request as sent will not be accepted."""

    status_code: int

    def __init__(
        self,
        status_code: int,
        detail: str = "",
        field_errors: dict[str, list[str]] | None = None,
        *,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.detail = detail
        self.field_errors = dict(field_errors or {})
        super().__init__(
            _rejection_message(status_code, detail, self.field_errors),
            method=method,
            path=path,
            status_code=status_code,
        )


class CreatifyAuthError(CreatifyRejected):
    """401/403: the X-API-ID / X-API-KEY pair was missing, wrong or not allowed."""


class CreatifyNotFound(CreatifyRejected):
    """404: no such task or persona (or it belongs to another account)."""


class CreatifyInsufficientCredits(CreatifyRejected):
    """402, or a 400/403 whose detail talks about credits: the account cannot pay for the call."""


class CreatifyRetryable(CreatifyError):
    """The request certainly did not take effect; it is safe to send it again."""

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, method=method, path=path, status_code=status_code)
        self.retry_after = retry_after
        # How many attempts the client made before giving up; set when it gives up.
        self.attempts = 1


class CreatifyOutcomeUnknown(CreatifyError):
    """A POST that may or may not have been processed (and may have spent credits).

    Raised for a read timeout or a connection dropped after the request went out, for a 504
    Gateway Timeout (the gateway stopped waiting, the backend may still have finished the
    work), for a 500 or other unexpected 5xx, and for a 2xx whose body cannot be read. The
    client never retries it.
    """

    method: str
    path: str

    def __init__(self, message: str, *, method: str, path: str, status_code: int | None = None) -> None:
        super().__init__(message, method=method, path=path, status_code=status_code)


def _rejection_message(status_code: int, detail: str, field_errors: dict[str, list[str]]) -> str:
    parts = [detail] if detail else []
    parts.extend(f"{field}: {' '.join(messages)}" for field, messages in field_errors.items())
    reason = "; ".join(parts) if parts else "no reason given"
    return f"Creatify rejected the request ({status_code}): {reason}"
