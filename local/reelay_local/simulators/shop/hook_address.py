"""The shop's one outbound rule: webhooks go to this machine (127.0.0.0/8, ::1, localhost) only.

Names other than `localhost` are refused without a DNS lookup, rather than resolved: a name
that resolves to 127.0.0.1 today may not tomorrow, and a dev tool has no reason to need one.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from reelay_local.simulators.shop.errors import HookAddressRefused


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def check_hook_address(address: str) -> str:
    """Return `address` if a webhook may be posted to it, else raise HookAddressRefused saying why."""
    if not isinstance(address, str) or not address:
        raise HookAddressRefused("the hook address must be a non-empty URL string")
    try:
        parts = urlsplit(address)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number or out of range
    except ValueError as error:
        raise HookAddressRefused(f"the hook address {address!r} is not a valid URL: {error}") from error
    if parts.scheme not in ("http", "https"):
        raise HookAddressRefused(f"the hook address must be an http:// or https:// URL, not {address!r}")
    host = parts.hostname or ""
    if not is_loopback_host(host):
        raise HookAddressRefused(
            f"the hook address {address!r} is not on this machine: the shop simulator only posts to "
            "127.0.0.0/8, ::1 or localhost, so no test or demo sends traffic off the machine"
        )
    return address
