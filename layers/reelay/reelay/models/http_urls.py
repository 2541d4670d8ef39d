"""The one rule for a URL Reelay takes and sends on to Creatify: an absolute http(s) URL with a host.

Creatify declares its URLs `format: uri`, and the value Reelay keeps and sends on is the raw
string, so a URL is refused here unless Creatify can read it as given: no spaces or control
characters (which a URL parser would quietly percent-encode), an http or https scheme, and a host
the URL standard's parser accepts. The API's request models and the bodies the provider worker
sends Creatify both call `check_http_url`; its verdicts are those of pydantic's `AnyUrl` (the
URL standard's parser, in Rust), which it replaced so that the workers import no pydantic to
check a URL (tests/unit/test_http_urls.py holds the two to the same verdicts).

What that parser does with an http(s) URL, as done here:
- the scheme is case-insensitive, and any run of `/` or `\\` after it is skipped (`http:x.com`
  and `http:///x.com` name the host `x.com`);
- the authority ends at the first `/`, `\\`, `?` or `#`; user info ends at its last `@`;
- the port, after the host's first `:` outside an IPv6 literal's brackets, is empty or digits
  up to 65535;
- the host is an IPv6 literal in brackets, or a percent-decoded domain, lower-cased, free of the
  code points no domain may hold, and read as an IPv4 address (decimal, octal or hex parts)
  when its last label is a number.
A domain that is not ASCII once percent-decoded, or has an ACE (`xn--`) label, is checked by
Unicode's IDNA tables, which only that parser has: such a URL (rare) is handed to pydantic-core's
parser, the one `AnyUrl` used, imported only then.
"""

from __future__ import annotations

import ipaddress
import string
from urllib.parse import unquote

_SCHEMES = frozenset({"http", "https"})
_AUTHORITY_ENDS = "/\\?#"
# Code points a domain may not hold (the URL standard's forbidden domain code points), with the
# C0 controls, space and DEL that percent-decoding may bring in.
_FORBIDDEN_IN_DOMAIN = frozenset("#%/:<>?@[\\]^| \x7f" + "".join(map(chr, range(0x20))))
_DECIMAL = frozenset(string.digits)
_HEX = frozenset(string.hexdigits)
_OCTAL = frozenset(string.octdigits)


def check_http_url(value: str | None) -> str | None:
    """`value` unchanged if it is an absolute http(s) URL Creatify can take; ValueError otherwise."""
    if value is None:
        return None
    # A parser would quietly percent-encode these, but the raw string is what Creatify gets.
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ValueError("must not contain spaces or control characters")
    if not _is_absolute_http_url(value):
        raise ValueError("must be an absolute http or https URL")
    return value


def _is_absolute_http_url(value: str) -> bool:
    scheme, colon, rest = value.partition(":")
    if not colon or scheme.lower() not in _SCHEMES:
        return False
    rest = rest.lstrip("/\\")
    end = min((i for i in map(rest.find, _AUTHORITY_ENDS) if i >= 0), default=len(rest))
    _, at, host_port = rest[:end].rpartition("@")
    if at and not host_port:
        return False
    host, port = _split_port(host_port)
    if not host or (port and (not all(ch in _DECIMAL for ch in port) or int(port) > 65535)):
        return False
    if host.startswith("["):
        return _is_ipv6_literal(host)
    domain = unquote(host, errors="replace")
    if not domain.isascii() or "xn--" in domain.lower():
        return _parsed_by_url_standard(value)
    return _is_ascii_domain(domain.lower())


def _split_port(host_port: str) -> tuple[str, str]:
    """(host, port) split at the first `:` outside an IPv6 literal's brackets."""
    in_brackets = False
    for i, ch in enumerate(host_port):
        if ch == "[":
            in_brackets = True
        elif ch == "]":
            in_brackets = False
        elif ch == ":" and not in_brackets:
            return host_port[:i], host_port[i + 1 :]
    return host_port, ""


def _is_ipv6_literal(host: str) -> bool:
    literal = host[1:-1]
    if not host.endswith("]") or "%" in literal:  # a URL's host has no zone id
        return False
    try:
        ipaddress.IPv6Address(literal)
    except ValueError:
        return False
    return True


def _is_ascii_domain(domain: str) -> bool:
    if any(ch in _FORBIDDEN_IN_DOMAIN for ch in domain):
        return False
    labels = domain.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()
    last = labels[-1]
    if last and (all(ch in _DECIMAL for ch in last) or _ipv4_number(last) is not None):
        return _is_ipv4(labels)
    return True


def _ipv4_number(part: str) -> int | None:
    """An IPv4 address's part as the URL standard reads it: decimal, octal (0...) or hex (0x...)."""
    if not part:
        return None
    digits, allowed, base = part, _DECIMAL, 10
    if part[:2] == "0x":
        digits, allowed, base = part[2:], _HEX, 16
    elif len(part) > 1 and part[0] == "0":
        digits, allowed, base = part[1:], _OCTAL, 8
    if not digits:
        return 0
    return int(digits, base) if all(ch in allowed for ch in digits) else None


def _is_ipv4(labels: list[str]) -> bool:
    if len(labels) > 4:
        return False
    numbers = [_ipv4_number(label) for label in labels]
    if None in numbers:
        return False
    *leading, last = [number for number in numbers if number is not None]
    return all(number <= 255 for number in leading) and last < 256 ** (5 - len(numbers))


def _parsed_by_url_standard(value: str) -> bool:
    from pydantic_core import Url

    try:
        url = Url(value)
    except ValueError:  # pydantic-core's ValidationError
        return False
    return url.scheme in _SCHEMES and bool(url.host)
