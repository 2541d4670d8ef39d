"""POSTing a signed webhook to a receiver over HTTP, once, with short timeouts.

The POST goes to an address the URL guard checked (see clients/pinned_http.py): the sender
never resolves the receiver's name itself, and it follows no redirect.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from reelay.clients.pinned_http import pinned_request
from reelay.ports.services import WebhookAnswer


class HttpWebhookSender:
    def __init__(self, client: httpx.Client | None = None) -> None:
        # Short timeouts, so one slow receiver cannot hold a worker; a redirect is not followed,
        # since the URL guard checked this URL and not wherever it points (a 3xx is a failed
        # attempt with its status). No connection is kept for the next delivery: a pooled
        # connection is matched by address alone, so it could carry another host name's request
        # over TLS checked for the first name. And no proxy from the environment: the guard
        # checked the receiver's addresses, not a proxy's.
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(10.0, connect=3.0),
            follow_redirects=False,
            limits=httpx.Limits(max_keepalive_connections=0),
            trust_env=False,
        )

    def post(self, url: str, addresses: Sequence[str], body: bytes, headers: dict[str, str]) -> WebhookAnswer:
        answer = WebhookAnswer(status_code=None, error="NoAddress")
        for address in addresses:
            request = pinned_request(self._client, "POST", url, address, content=body, headers=headers)
            try:
                # Only the status counts, so the answer's body is never read: a receiver whose body
                # is large or slow can neither hold the worker nor turn its 2xx into a failure.
                response = self._client.send(request, stream=True, follow_redirects=False)
            except httpx.ConnectError as exc:
                # Refused or unreachable at once (e.g. an IPv6 address without an IPv6 route):
                # the host's next checked address may answer, as a resolver-driven connect would try.
                answer = WebhookAnswer(status_code=None, error=type(exc).__name__)
                continue
            except httpx.HTTPError as exc:
                return WebhookAnswer(status_code=None, error=type(exc).__name__)
            response.close()
            return WebhookAnswer(status_code=response.status_code)
        return answer
