"""Requests that go to an address checked beforehand, never to what DNS says a moment later.

The URL guard resolves a host once and checks every address it got; a second look-up at
connect time could answer differently (DNS rebinding: public for the check, 127.0.0.1 for
the connection). So the request is sent to one of the checked addresses, while the Host
header and TLS (SNI and the certificate's name check) keep the URL's host name, through
httpx's `sni_hostname` request extension, which exists for connecting to an explicit address.
"""

from __future__ import annotations

from typing import Any

import httpx


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
