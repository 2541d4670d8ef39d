"""Outbound URL guard: Reelay never posts a tenant's webhook to an internal address.

The check runs on the addresses the name resolves to (after DNS), since a public-looking
host name can point at 127.0.0.1 or the instance metadata service.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

# Cloud metadata endpoints that are not covered by the link-local test (AWS IPv6 IMDS).
_METADATA = {ipaddress.ip_address("fd00:ec2::254")}


class UnsafeUrl(ValueError):
    """The URL points somewhere Reelay must not send data to."""


class HostDoesNotResolve(UnsafeUrl):
    """The host has no address right now; unlike the other refusals, this may pass by itself."""


# IPv6 prefixes that carry an IPv4 address inside, which is what a packet finally reaches:
# NAT64 (RFC 6052 well-known and RFC 8215 local-use) puts it in the last 32 bits.
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to (mapped, 6to4, NAT64, Teredo, compatible)."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour:
        found.append(ip.sixtofour)
    if ip.teredo:
        found.extend(ip.teredo)
    if any(ip in net for net in _NAT64):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    packed = ip.packed
    if packed[:12] == bytes(12) and int(ip) > 1:
        found.append(ipaddress.IPv4Address(packed[12:]))  # IPv4-compatible ::a.b.c.d (deprecated)
    return found


def _forbidden(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_loopback: bool) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address):
        for inner in _embedded_ipv4(ip):
            reason = _forbidden(inner, allow_loopback)
            if reason:
                return reason
        if ip.ipv4_mapped:
            return None  # judged as the IPv4 address it is
        if ip.is_site_local:
            return "private"  # fec0::/10, deprecated but still routed inside some networks
    if ip.is_loopback:
        return None if allow_loopback else "loopback"
    if ip in _METADATA:
        return "metadata"
    if ip.is_link_local:
        return "link-local"
    if ip.is_private:
        return "private"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "reserved"
    if not ip.is_global:
        # Ranges that are neither private nor public, e.g. 100.64.0.0/10 (carrier-grade NAT),
        # which an AWS VPC may use for its own subnets.
        return "non-public"
    return None


def check_outbound_url(url: str, *, allow_loopback: bool = False) -> list[str]:
    """Return the resolved addresses of `url`, or raise UnsafeUrl naming why it is refused.

    A caller that goes on to connect uses these addresses (clients/pinned_http.py) rather than
    the name, so what it connects to is what was checked.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl(f"scheme {parts.scheme!r} is not allowed; use https")
    host = parts.hostname
    if not host:
        raise UnsafeUrl("URL has no host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError as exc:
        # The IDNA codec refuses it (e.g. a label over 63 characters): no resolver ever will.
        raise UnsafeUrl(f"host {host!r} is not a valid host name") from exc
    except socket.gaierror as exc:
        raise HostDoesNotResolve(f"host {host!r} does not resolve") from exc
    # In the resolver's order (it prefers what this host can reach), each address once.
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        reason = _forbidden(ipaddress.ip_address(address.split("%", 1)[0]), allow_loopback)
        if reason:
            raise UnsafeUrl(f"host {host!r} resolves to a {reason} address")
    return addresses
