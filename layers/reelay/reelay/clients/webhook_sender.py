"""POSTing a signed webhook to a receiver over HTTP, once, with short timeouts.

The POST goes to an address the URL guard checked (see clients/pinned_http.py): the sender
never resolves the receiver's name itself, and it follows no redirect. It is sent with urllib3,
which botocore has already loaded, so a delivery worker's cold start pays no HTTP client of its own.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence

from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError, ReadTimeoutError, SSLError

from reelay.clients.pinned_http import pinned_open
from reelay.ports.services import WebhookAnswer

# Short, so one slow receiver cannot hold a worker.
CONNECT_TIMEOUT_SECONDS = 3.0
READ_TIMEOUT_SECONDS = 10.0


class HttpWebhookSender:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        # `tls`: the certificates to trust (default: certifi's roots, as before with httpx). A
        # redirect is not followed, since the URL guard checked this URL and not wherever it
        # points (a 3xx is a failed attempt with its status). No connection is kept for the next
        # delivery, and no proxy from the environment is used: the guard checked the receiver's
        # addresses, not a proxy's.
        self._tls = tls

    def post(self, url: str, addresses: Sequence[str], body: bytes, headers: dict[str, str]) -> WebhookAnswer:
        answer = WebhookAnswer(status_code=None, error="NoAddress")
        for address in addresses:
            try:
                response = pinned_open(
                    "POST",
                    url,
                    address,
                    body=body,
                    headers=headers,
                    connect_timeout=CONNECT_TIMEOUT_SECONDS,
                    read_timeout=READ_TIMEOUT_SECONDS,
                    tls=self._tls,
                )
            except (NewConnectionError, SSLError):
                # Refused or unreachable at once (e.g. an IPv6 address without an IPv6 route), or
                # a handshake that failed: the host's next checked address may answer, as a
                # resolver-driven connect would try. (The error names are httpx's, as stored before.)
                answer = WebhookAnswer(status_code=None, error="ConnectError")
                continue
            except ConnectTimeoutError:
                return WebhookAnswer(status_code=None, error="ConnectTimeout")
            except ReadTimeoutError:
                return WebhookAnswer(status_code=None, error="ReadTimeout")
            except HTTPError as exc:
                return WebhookAnswer(status_code=None, error=type(exc).__name__)
            # Only the status counts, so the answer's body is never read: a receiver whose body
            # is large or slow can neither hold the worker nor turn its 2xx into a failure.
            response.close()
            return WebhookAnswer(status_code=response.status)
        return answer
