"""HTTP client for Creatify's Product-to-Video API, plus the persona and credit endpoints.

Every call sends the X-API-ID / X-API-KEY pair as headers (never in the URL), accepts any
2xx, and turns everything else into one of the typed errors of ``creatify_errors`` (how an
answer is read lives in ``creatify_answers``). The split that matters is "safe to repeat"
versus "may have spent credits":

- GETs are free and idempotent: any 5xx, timeout or dropped connection is retried.
- POSTs spend credits and carry no idempotency key. They are retried only when the request
  certainly did not take effect (no connection made, 429, 503). A POST that went out
  and got no usable answer raises ``CreatifyOutcomeUnknown`` at once.

Logging goes through stdlib ``logging`` (logger ``reelay.clients.creatify``): a library
should not pick the handlers' formatter. Handlers using a Powertools Logger can route it into
their JSON output with ``copy_config_to_registered_loggers``. The API key is never logged:
urllib3 logs connections and request lines (method, path, status) at DEBUG, never a header.

Requests go through urllib3, which botocore has already loaded in every function: the functions
that call Creatify pay no HTTP package of their own at cold start (httpx and its dependencies
cost about a fifth of the boto3 baseline).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode
from uuid import UUID

from urllib3 import PoolManager, Timeout
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationValueError,
    SSLError,
    URLSchemeUnknown,
)

from reelay.clients.creatify_answers import read_answer, unusable_answer
from reelay.clients.creatify_credentials import CreatifyCredentials
from reelay.clients.http_answer import Answer
from reelay.clients.pinned_http import default_tls_context
from reelay.models.records import InvalidRecord
from reelay.models.upstream import (
    MAX_IDS_PER_LIST,
    GenImageRequest,
    GenVideoRequest,
    ProductToVideo,
    RegenImageRequest,
)
from reelay.ports.creatify_errors import (
    CreatifyConfigurationError,
    CreatifyOutcomeUnknown,
    CreatifyRetryable,
)

if TYPE_CHECKING:
    from reelay.models.creatify_catalog import Persona

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.creatify.ai"
_HEADERS = {"Accept": "application/json", "User-Agent": "reelay-creatify-client"}

_T = TypeVar("_T")


class CreatifyClient:
    """One Creatify account. Thread-safe; reuse one instance per cold start."""

    def __init__(
        self,
        credentials: CreatifyCredentials | Callable[[], CreatifyCredentials],
        *,
        base_url: str = DEFAULT_BASE_URL,
        connect_timeout: float = 3.05,
        read_timeout: float = 20.0,
        max_attempts: int = 3,
        backoff_base: float = 0.25,
        backoff_cap: float = 5.0,
    ) -> None:
        if isinstance(credentials, CreatifyCredentials):
            fixed = credentials
            self._credentials: Callable[[], CreatifyCredentials] = lambda: fixed
        elif callable(credentials):
            self._credentials = credentials
        else:
            raise TypeError("credentials must be CreatifyCredentials or a callable returning them")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self.base_url = base_url.rstrip("/")
        # Keeps connections for the next call; urllib3 retries nothing here (retries=False):
        # what may be repeated is decided in _call, by method and by what happened.
        self._http = PoolManager(
            timeout=Timeout(connect=connect_timeout, read=read_timeout),
            retries=False,
            ssl_context=default_tls_context(),
        )

    def __repr__(self) -> str:
        return f"CreatifyClient(base_url={self.base_url!r})"

    def __enter__(self) -> CreatifyClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.clear()

    # ---- product to video ------------------------------------------------------------------

    def gen_image(self, body: GenImageRequest) -> ProductToVideo:
        """Create a task and start its preview image (1 credit)."""
        return self._call(
            "POST", "/api/product_to_videos/gen_image/", ProductToVideo.from_answer, body.to_body()
        )

    def gen_video(self, task_id: str, body: GenVideoRequest | None = None) -> ProductToVideo:
        """Turn the task's preview image into a video (3 credits); the task must be image_generated."""
        path = f"/api/product_to_videos/{_uuid(task_id, 'task_id')}/gen_video/"
        return self._call("POST", path, ProductToVideo.from_answer, (body or GenVideoRequest()).to_body())

    def regen_image(self, task_id: str, body: RegenImageRequest | None = None) -> ProductToVideo:
        """Regenerate the preview image; Creatify answers with a NEW task (1 credit)."""
        path = f"/api/product_to_videos/{_uuid(task_id, 'task_id')}/regen_image/"
        return self._call("POST", path, ProductToVideo.from_answer, (body or RegenImageRequest()).to_body())

    def get(self, task_id: str) -> ProductToVideo:
        path = f"/api/product_to_videos/{_uuid(task_id, 'task_id')}/"
        return self._call("GET", path, ProductToVideo.from_answer)

    def list(self, ids: Iterable[str] | None = None) -> list[ProductToVideo]:
        """Tasks by id (unknown ids are simply absent), or all of the account's tasks when ids is None.

        Creatify takes at most MAX_IDS_PER_LIST ids per call, so longer lists are asked in batches.
        """
        path = "/api/product_to_videos/"
        if ids is None:
            return self._call("GET", path, _task_list)
        wanted = [*dict.fromkeys(_uuid(task_id, "ids") for task_id in ids)]
        tasks: list[ProductToVideo] = []
        for start in range(0, len(wanted), MAX_IDS_PER_LIST):
            batch = wanted[start : start + MAX_IDS_PER_LIST]
            tasks.extend(self._call("GET", path, _task_list, params={"ids": ",".join(batch)}))
        return tasks

    # ---- avatars and account ---------------------------------------------------------------

    def personas(
        self, *, age_range: Sequence[str] | None = None, gender: Sequence[str] | None = None
    ) -> list[Persona]:
        params = {}
        if age_range:
            params["age_range"] = _csv(age_range)
        if gender:
            params["gender"] = _csv(gender)
        return self._call("GET", "/api/personas/", _persona_list, params=params or None)

    def remaining_credits(self) -> float:
        # Only the API asks for the catalog: its records are imported here, not at start.
        from reelay.models.creatify_catalog import read_remaining_credits

        return self._call("GET", "/api/remaining_credits/", read_remaining_credits)

    # ---- transport -------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        parse: Callable[[Any], _T],
        body: dict[str, Any] | None = None,
        *,
        params: dict[str, str] | None = None,
    ) -> _T:
        for attempt in range(1, self._max_attempts + 1):
            try:
                status, data = self._send(method, path, body, params)
                break
            except CreatifyRetryable as exc:
                exc.attempts = attempt
                if attempt == self._max_attempts:
                    raise
                delay = self._backoff(attempt, exc.retry_after)
                logger.warning(
                    "Creatify %s %s failed on attempt %d of %d (status %s); retrying in %.2f s: %s",
                    method,
                    path,
                    attempt,
                    self._max_attempts,
                    exc.status_code,
                    delay,
                    exc.message,
                    extra={
                        "creatify_method": method,
                        "creatify_path": path,
                        "attempt": attempt,
                        "status_code": exc.status_code,
                        "retry_in": round(delay, 3),
                    },
                )
                time.sleep(delay)
        try:
            return parse(data)
        except ValueError as exc:  # InvalidRecord included
            raise unusable_answer(
                method, path, status, f"does not match the contract ({_describe(exc)})"
            ) from None

    def _send(
        self, method: str, path: str, body: dict[str, Any] | None, params: dict[str, str] | None
    ) -> tuple[int, Any]:
        credentials = self._credentials()
        if not isinstance(credentials, CreatifyCredentials):
            # Only the type: a misbehaving provider might hand back the raw secret dict.
            raise CreatifyConfigurationError(
                f"the Creatify credentials provider returned {type(credentials).__name__}, "
                "not CreatifyCredentials"
            )
        started = time.monotonic()
        url = self.base_url + path + (f"?{urlencode(params)}" if params else "")
        headers = {**_HEADERS, **credentials.headers()}
        content = None
        if body is not None:
            content = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
            headers["Content-Type"] = "application/json"
        try:
            raw = self._http.request(
                method, url, body=content, headers=headers, redirect=False, retries=False
            )
        except (ConnectTimeoutError, SSLError) as exc:
            # No connection was made (refused, unreachable, no answer to the connect, or a TLS
            # handshake that failed; NewConnectionError is a ConnectTimeoutError): nothing
            # reached Creatify.
            raise CreatifyRetryable(
                f"Creatify {method} {path}: could not connect ({type(exc).__name__}: {exc})",
                method=method,
                path=path,
            ) from exc
        except (LocationValueError, URLSchemeUnknown) as exc:
            # Nothing was sent: the base URL cannot be used.
            raise CreatifyConfigurationError(
                f"Creatify {method} {path}: request could not be sent ({type(exc).__name__}: {exc})",
                method=method,
                path=path,
            ) from exc
        except HTTPError as exc:
            # The request may have reached Creatify: a read timeout, a connection reset or closed
            # after (part of) the request went out. A GET is simply asked again; a POST may have
            # been processed and spent credits, so its outcome is unknown.
            what = f"no usable answer ({type(exc).__name__}: {str(exc) or 'no details'})"
            if method == "GET":
                raise CreatifyRetryable(
                    f"Creatify {method} {path}: {what}", method=method, path=path
                ) from exc
            raise CreatifyOutcomeUnknown(
                f"Creatify {method} {path}: {what}; it may have been processed and spent credits, "
                "so it is not repeated",
                method=method,
                path=path,
            ) from exc
        response = Answer(raw.status, raw.reason or "", raw.headers, raw.data)
        logger.debug(
            "Creatify %s %s answered %d in %.0f ms",
            method,
            path,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return response.status_code, read_answer(response, method, path, credentials.api_key)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self._backoff_cap)
        # Full jitter: spreads the retries of many workers hit by the same 429 or outage.
        return random.uniform(0, min(self._backoff_cap, self._backoff_base * 2 ** (attempt - 1)))


def _uuid(value: str | UUID, what: str) -> str:
    """Creatify ids are UUIDs; checking here also keeps a stray '/' or '?' out of the path."""
    try:
        return str(UUID(str(value)))
    except ValueError:
        raise ValueError(f"{what} must be a UUID, got {str(value)[:64]!r}") from None


def _csv(values: Sequence[str]) -> str:
    if isinstance(values, str):
        return values
    return ",".join(str(value) for value in values)


def _task_list(data: Any) -> list[ProductToVideo]:
    return [ProductToVideo.from_answer(item) for item in _json_array(data)]


def _persona_list(data: Any) -> list[Persona]:
    # Only the API asks for the catalog: its records are imported here, not at start.
    from reelay.models.creatify_catalog import read_persona

    # One persona Creatify describes oddly must not take the whole catalogue down with it.
    personas: list[Persona] = []
    for item in _json_array(data):
        try:
            personas.append(read_persona(item))
        except ValueError as exc:
            logger.warning("Creatify persona skipped: %s", exc)
    return personas


def _json_array(data: Any) -> list[Any]:
    if not isinstance(data, list):
        raise ValueError(f"expected a JSON array, got a JSON {type(data).__name__}")
    return data


def _describe(exc: ValueError) -> str:
    # The field and what is wrong with it only: the answer's values are not repeated (the
    # catalog's readers word theirs the same way).
    return exc.without_value() if isinstance(exc, InvalidRecord) else str(exc)
