"""POSTing a signed webhook to a receiver over HTTP, once, with short timeouts."""

from __future__ import annotations

import httpx

from reelay.ports.services import WebhookAnswer


class HttpWebhookSender:
    def __init__(self, client: httpx.Client | None = None) -> None:
        # Short timeouts, so one slow receiver cannot hold a worker; a redirect is not followed,
        # since the URL guard checked this URL and not wherever it points.
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(10.0, connect=3.0), follow_redirects=False
        )

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> WebhookAnswer:
        try:
            # Only the status counts, so the answer's body is never read: a receiver whose body is
            # large or slow can neither hold the worker nor turn its 2xx into a failed attempt.
            with self._client.stream("POST", url, content=body, headers=headers) as answer:
                return WebhookAnswer(status_code=answer.status_code)
        except httpx.HTTPError as exc:
            return WebhookAnswer(status_code=None, error=type(exc).__name__)
