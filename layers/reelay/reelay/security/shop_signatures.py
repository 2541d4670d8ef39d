"""Shop webhook signatures: Shopify's `X-Shopify-Hmac-Sha256` and WooCommerce's `X-WC-Webhook-Signature`.

Both platforms send the base64 HMAC-SHA256 of the raw request body, keyed with the secret
the merchant set up. The check runs on the bytes as received, before anything parses them,
and compares in constant time against every secret the connection holds (two during a
rotation), so an attacker learns nothing from how long a refusal takes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable


def signature_matches(received: str | None, body: bytes, secrets: Iterable[str]) -> bool:
    """Whether `received` is the body's signature under any of `secrets`."""
    if not received:
        return False
    try:
        digest = base64.b64decode(received.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    matched = False
    for secret in secrets:
        expected = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        # Every secret is tried even after a match, so the time taken does not say which matched.
        matched |= hmac.compare_digest(expected, digest)
    return matched
