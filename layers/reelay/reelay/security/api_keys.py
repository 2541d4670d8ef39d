"""Tenant API keys: shown once, stored only as a SHA-256 hash.

The keys are 256-bit random tokens, so a fast hash is enough (no password stretching
needed) and lets the API look a tenant up by hash in one GetItem.
"""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "rly_"


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()
