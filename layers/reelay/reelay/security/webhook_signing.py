"""Standard Webhooks signatures (https://www.standardwebhooks.com/) for outbound deliveries.

Signed content is `<webhook-id>.<webhook-timestamp>.<body>`, HMAC-SHA256 with the tenant's
secret, sent as `webhook-signature: v1,<base64>`. Secrets look like `whsec_<base64>`, so
consumers can use any Standard Webhooks library to verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping, Sequence

SECRET_PREFIX = "whsec_"  # noqa: S105 (a format prefix, not a secret)
DEFAULT_TOLERANCE_SECONDS = 300


class WebhookVerificationError(ValueError):
    pass


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    raw = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(raw, validate=True)
    except ValueError as exc:
        raise ValueError("webhook secret is not valid base64 after the whsec_ prefix") from exc


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    mac = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def headers(
    secret: str | Sequence[str], msg_id: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    """The Standard Webhooks headers; several secrets (a roll in progress) give one signature each."""
    ts = int(time.time()) if timestamp is None else timestamp
    secrets_ = [secret] if isinstance(secret, str) else list(secret)
    if not secrets_:
        raise ValueError("at least one secret is needed to sign")
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        # Space-separated, as the spec allows, so a receiver holding either secret verifies.
        "webhook-signature": " ".join(sign(s, msg_id, ts, body) for s in secrets_),
    }


def verify(
    secret: str,
    received: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    """Raise WebhookVerificationError unless the headers carry a valid, fresh signature."""
    lower = {k.lower(): v for k, v in received.items()}
    try:
        msg_id = lower["webhook-id"]
        ts = int(lower["webhook-timestamp"])
        signatures = lower["webhook-signature"]
    except (KeyError, ValueError) as exc:
        raise WebhookVerificationError("missing or malformed webhook headers") from exc
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance:
        raise WebhookVerificationError("webhook timestamp outside the tolerance window")
    expected = sign(secret, msg_id, ts, body).split(",", 1)[1]
    # The header may carry several space-separated signatures (secret rotation).
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return
    raise WebhookVerificationError("no matching webhook signature")
