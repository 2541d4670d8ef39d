"""Requests that go to an address checked beforehand, never to what DNS says a moment later.

The URL guard resolves a host once and checks every address it got; a second look-up at
connect time could answer differently (DNS rebinding: public for the check, 127.0.0.1 for
the connection). So the request is sent to one of the checked addresses, while the Host
header and TLS (SNI and the certificate's name check) keep the URL's host name.

`pinned_open` sends with urllib3, which botocore has already loaded in every function, so no
function's cold start pays an HTTP package of its own (httpx and its dependencies cost about a
fifth of the boto3 baseline): the webhook sender, the media copier and the shop publishers use
it. (The local Creatify simulator pins its own calls the same way with httpx, in
reelay_local.simulators.creatify.outbound: httpx is not in the layer.)
"""

from __future__ import annotations

import ssl
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from urllib3 import BaseHTTPResponse


class PinnedTarget(NamedTuple):
    """What a pinned request names: the host (IDNA, for SNI and the certificate), its port, the
    Host header, and the path with its query."""

    https: bool
    host: str
    port: int
    host_header: str
    path: str


def pinned_target(url: str) -> PinnedTarget:
    parts = urlsplit(url)
    host = (parts.hostname or "").encode("idna").decode("ascii")
    https = parts.scheme == "https"
    default_port = 443 if https else 80
    port = parts.port or default_port
    named = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets
    host_header = named if port == default_port else f"{named}:{port}"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return PinnedTarget(https, host, port, host_header, path)


@cache
def default_tls_context() -> ssl.SSLContext:
    """Certificates checked against certifi's roots when the layer has them (as httpx does)."""
    try:
        import certifi
    except ImportError:  # pragma: no cover - the layer ships certifi
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


def pinned_open(
    method: str,
    url: str,
    address: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    connect_timeout: float,
    read_timeout: float,
    tls: ssl.SSLContext | None = None,
) -> BaseHTTPResponse:
    """Send one request for `url` over a connection to `address` (an IP literal).

    No redirect is followed, no proxy is used, nothing is retried, and the connection is not
    kept: a kept connection is matched by address alone, so it could carry another host name's
    request over TLS checked for the first name. The answer's body is left unread, to be
    streamed or not (the caller closes the answer). urllib3's own errors are raised
    (NewConnectionError when no connection was made, SSLError, timeouts, ProtocolError).
    """
    from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, Timeout

    target = pinned_target(url)
    host, port = target.host, target.port
    options: dict[str, Any] = {
        "timeout": Timeout(connect=connect_timeout, read=read_timeout),
        "retries": False,
        "maxsize": 1,
    }
    if target.https:
        pool: Any = HTTPSConnectionPool(
            address,
            port,
            server_hostname=host,
            assert_hostname=host,
            cert_reqs="CERT_REQUIRED",
            ssl_context=tls or default_tls_context(),
            **options,
        )
    else:
        pool = HTTPConnectionPool(address, port, **options)
    try:
        return pool.urlopen(
            method,
            target.path,
            body=body,
            headers={**(headers or {}), "Host": target.host_header},
            redirect=False,
            retries=False,
            assert_same_host=False,
            preload_content=False,
            release_conn=False,
        )
    finally:
        pool.close()
