"""What differs between the shops the simulator plays: ids, URLs, JSON shapes, encodings, headers.

`LocalShop` does the same things for every platform (keep products, emit events, deliver them);
a `Dialect` (shopify.py, woocommerce.py) says how that platform spells each of them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Protocol

from reelay_local.simulators.shop.catalog import Catalog, Product
from reelay_local.simulators.shop.events import EventKind, ShopEvent, Webhook
from reelay_local.simulators.shop.images import ImageFormat

IdKind = Literal["product", "image", "variant", "option", "webhook"]


class Dialect(Protocol):
    platform: str
    # The topic each event kind is published under, e.g. {"create": "products/create", ...}.
    topics: dict[EventKind, str]
    # A topic's delivery is retried this many times after a failure (0: one try only).
    retries: int
    user_agent: str

    def next_id(self, kind: IdKind) -> int: ...

    def new_handle(self, title: str, catalog: Catalog) -> str:
        """A unique handle (Shopify) or slug (WooCommerce) for a new product."""
        ...

    def image_location(self, title: str, image_id: int, fmt: ImageFormat, created_at: datetime) -> str:
        """The path the image file is served at, in the platform's own layout (no query string)."""
        ...

    def product_json(self, product: Product) -> dict[str, Any]:
        """The product as the platform's REST API (and its webhooks) show it."""
        ...

    def encode(self, payload: dict[str, Any]) -> bytes:
        """The body bytes exactly as the platform's JSON encoder writes them (they are signed as is)."""
        ...

    def event_headers(
        self, topic: str, body: bytes, webhook: Webhook, event: ShopEvent
    ) -> tuple[str, dict[str, str]]:
        """The delivery's id and its headers; retries of the delivery send the same ones."""
        ...

    def ping(self, webhook: Webhook) -> tuple[bytes, dict[str, str]] | None:
        """The request sent when a webhook is saved, or None where the platform sends none."""
        ...
