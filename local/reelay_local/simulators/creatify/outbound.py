"""HTTP clients for the simulator's own outbound calls: product image downloads and webhooks.

Building a TLS context (loading the CA bundle) costs tens of milliseconds, and tests start a
fresh simulator per test, so every client shares one context built once per process.
"""

from __future__ import annotations

import ssl
from functools import lru_cache
from typing import Any

import certifi
import httpx

USER_AGENT = "reelay-creatify-simulator"


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    # The same CA bundle httpx would load by default.
    return ssl.create_default_context(cafile=certifi.where())


def outbound_client(timeout_seconds: float, **options: Any) -> httpx.Client:
    return httpx.Client(
        timeout=timeout_seconds, verify=_tls_context(), headers={"User-Agent": USER_AGENT}, **options
    )
