"""What the shop tells its hooks: webhook subscriptions, the product events they hear, the signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

EventKind = Literal["create", "update"]


@dataclass
class Webhook:
    """One subscription: where the shop posts which topics, and the secret it signs them with."""

    id: int
    address: str
    topics: tuple[str, ...]
    secret: str
    created_at: datetime
    # WooCommerce turns "disabled" after repeated failures; Shopify subscriptions stay "active".
    status: str = "active"
    failure_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "address": self.address,
            "topics": list(self.topics),
            "secret": self.secret,
            "status": self.status,
            "failure_count": self.failure_count,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class ShopEvent:
    """A product change as it happened: every delivery (and retry) of it carries this payload."""

    kind: EventKind
    product_id: int
    payload: dict[str, Any]
    # Shared by every subscription's delivery of the event (Shopify's X-Shopify-Event-Id).
    event_id: str
    triggered_at: datetime


def hmac_sha256_base64(secret: str, body: bytes) -> str:
    """The signature both platforms send: base64 of HMAC-SHA256 over the exact body bytes."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
