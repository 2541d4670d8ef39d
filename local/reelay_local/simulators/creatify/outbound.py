"""The simulator's own outbound calls (product image downloads, webhooks): to this machine only.

Every URL is resolved once and used only when every address its host has is a loopback
address; the request then goes to the checked address itself (no second look-up, as
reelay/clients/pinned_http.py does for the layer's clients). A redirect is followed by hand,
each hop checked the same way. So no test or demo makes the simulator send traffic off the
machine, whatever URL a caller gives it: a product image elsewhere becomes a drawn stand-in, a
webhook elsewhere is recorded as refused.

Building a TLS context (loading the CA bundle) costs tens of milliseconds, and tests start a
fresh simulator per test, so every client shares one context built once per process.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import certifi
import httpx

USER_AGENT = "reelay-creatify-simulator"
MAX_REDIRECTS = 5


class OffMachine(Exception):
    """The URL is not (only) on this machine, or cannot be judged: nothing is sent."""


def pinned_request(
    client: httpx.Client, method: str, url: str, address: str, **options: Any
) -> httpx.Request:
    """A request for `url` that connects to `address` (an IP literal) and names the URL's host.

    An IP literal needs no resolving, so nothing between the check and the connection asks DNS.
    """
    target = httpx.URL(url)
    headers = {**options.pop("headers", {}), "Host": target.netloc.decode("ascii")}
    return client.build_request(
        method,
        target.copy_with(host=address),
        headers=headers,
        extensions={"sni_hostname": target.raw_host.decode("ascii")},
        **options,
    )


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    # The same CA bundle httpx would load by default.
    return ssl.create_default_context(cafile=certifi.where())


def outbound_client(timeout_seconds: float, **options: Any) -> httpx.Client:
    # trust_env=False: a proxy from the environment would carry loopback requests elsewhere.
    options.setdefault("trust_env", False)
    return httpx.Client(
        timeout=timeout_seconds, verify=_tls_context(), headers={"User-Agent": USER_AGENT}, **options
    )


def _is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def loopback_address(url: str) -> str:
    """The address to connect to for `url`, checked after resolution; OffMachine if any is not loopback."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise OffMachine(f"{url!r} is not a valid URL") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OffMachine(f"{url!r} is not an http(s) URL with a host")
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise OffMachine(f"{parts.hostname!r} does not resolve") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses or not all(_is_loopback(address) for address in addresses):
        raise OffMachine(f"{parts.hostname!r} is not on this machine ({', '.join(addresses)})")
    return addresses[0]


def send_on_loopback(
    client: httpx.Client, method: str, url: str, *, redirects: int = 0, **options: Any
) -> httpx.Response:
    """Send to `url` on this machine only, following at most `redirects` redirects, each checked.

    The answer is streamed: the caller closes it. Raises OffMachine before sending anything
    that would leave the machine, and httpx's errors for the rest.
    """
    for _ in range(redirects + 1):
        request = pinned_request(client, method, url, loopback_address(url), **options)
        response = client.send(request, stream=True, follow_redirects=False)
        location = response.headers.get("location")
        if not (response.is_redirect and location and redirects):
            return response
        response.close()
        url = str(httpx.URL(url).join(location))
    raise OffMachine(f"more than {redirects} redirects")
