"""The one rule for a URL Reelay takes in and later sends to Creatify: an absolute http(s) URL with a host.

Creatify declares its URLs `format: uri`, and the value Reelay keeps and sends on is the raw
string, so a URL is refused unless Creatify can read it as given: no spaces or control
characters (which a URL parser would quietly percent-encode), an http or https scheme, and a
host, by pydantic-core's `Url`: the URL standard's parser, in Rust, that pydantic's `AnyUrl`
runs, called directly so that a path checking a URL need not import pydantic itself (shop
intake checks each product's image URLs on its first invocation).

Checked where a URL comes in (the API's request models, shop intake), not in the bodies the
provider worker builds from a task: those hold what was checked here, and the workers stay
clear of pydantic's import (most of a worker's cold start beyond boto3's).
"""

from __future__ import annotations


def check_http_url(value: str | None) -> str | None:
    """`value` unchanged if it is an absolute http(s) URL Creatify can take; ValueError otherwise."""
    if value is None:
        return None
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ValueError("must not contain spaces or control characters")
    # Here, not at the top: the parser is needed only by a path that takes a URL in.
    from pydantic_core import Url, ValidationError

    try:
        url = Url(value)
    except ValidationError:
        raise ValueError("must be an absolute http or https URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("must be an absolute http or https URL")
    return value
