"""Shopify's spelling: REST Product JSON, CDN image URLs, Rails-escaped bodies, X-Shopify-* headers.

Facts this follows (shopify.dev, "About webhooks" and the REST Product resource):
- product, variant, option and image ids are large integers with `admin_graphql_api_id` gids;
- `tags` is one comma-separated string; `image` is the first of `images`, or null;
- image `src` is a CDN URL carrying `?v=<timestamp>`;
- the body is written by Rails, which escapes `<`, `>`, `&` (and `/`) inside strings, so a
  receiver that re-serialises the JSON before checking the HMAC gets it wrong, as with Shopify;
- every retry of a delivery repeats its X-Shopify-Webhook-Id, X-Shopify-Event-Id and
  X-Shopify-Triggered-At (the original payload is re-sent, not a fresh one).
"""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from datetime import datetime
from typing import Any

from reelay_local.simulators.shop.catalog import Catalog, Product, ProductImage, ascii_file_stem, handle_for
from reelay_local.simulators.shop.config import ShopConfig
from reelay_local.simulators.shop.dialect import IdKind
from reelay_local.simulators.shop.events import EventKind, ShopEvent, Webhook, hmac_sha256_base64
from reelay_local.simulators.shop.images import ImageFormat

TOPICS: dict[EventKind, str] = {"create": "products/create", "update": "products/update"}

# Where each id space starts; real ids are of these magnitudes (13-14 digits, 11 for options).
_ID_BASES: dict[str, int] = {
    "product": 8_412_000_000_001,
    "variant": 45_310_000_000_001,
    "option": 10_530_000_001,
    "image": 36_020_000_000_001,
    "webhook": 1_402_000_001,
}

# ActiveSupport's JSON escapes, plus the `\/` Shopify's encoder writes.
_RAILS_ESCAPES: tuple[tuple[str, str], ...] = (
    ("&", "\\u0026"),
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
    ("/", "\\/"),
)


class ShopifyDialect:
    platform = "shopify"
    topics = TOPICS
    user_agent = "Shopify-Captain-Hook"

    def __init__(self, config: ShopConfig, base_url: str) -> None:
        self._config = config
        self._base_url = base_url
        self.retries = config.retries
        self._counters = {kind: itertools.count(base) for kind, base in _ID_BASES.items()}
        self._lock = threading.Lock()

    def next_id(self, kind: IdKind) -> int:
        with self._lock:
            return next(self._counters[kind])

    def new_handle(self, title: str, catalog: Catalog) -> str:
        return catalog.unique_handle(handle_for(title))

    def image_location(self, title: str, image_id: int, fmt: ImageFormat, created_at: datetime) -> str:
        return f"/cdn/shop/files/{ascii_file_stem(title)}-{image_id}.{fmt}"

    def product_json(self, product: Product) -> dict[str, Any]:
        images = [self._image_json(product, image) for image in product.images]
        created, updated = _time(product.created_at), _time(product.updated_at)
        return {
            "id": product.id,
            "title": product.title,
            "body_html": product.description,
            "vendor": product.vendor,
            "product_type": product.product_type,
            "created_at": created,
            "handle": product.handle,
            "updated_at": updated,
            "published_at": created,
            "template_suffix": None,
            "status": "active",
            "published_scope": "global",
            # Shopify stores tags sorted and answers them as one string.
            "tags": ", ".join(sorted(product.tags)),
            "admin_graphql_api_id": f"gid://shopify/Product/{product.id}",
            "variants": [
                {
                    "id": product.variant_id,
                    "product_id": product.id,
                    "title": "Default Title",
                    "price": product.price,
                    "position": 1,
                    "inventory_policy": "deny",
                    "compare_at_price": None,
                    "option1": "Default Title",
                    "option2": None,
                    "option3": None,
                    "created_at": created,
                    "updated_at": updated,
                    "taxable": True,
                    "barcode": None,
                    "sku": product.sku,
                    "inventory_quantity": 0,
                    "old_inventory_quantity": 0,
                    "admin_graphql_api_id": f"gid://shopify/ProductVariant/{product.variant_id}",
                    "image_id": None,
                }
            ],
            "options": [
                {
                    "id": product.option_id,
                    "product_id": product.id,
                    "name": "Title",
                    "position": 1,
                    "values": ["Default Title"],
                }
            ],
            "images": images,
            "image": images[0] if images else None,
        }

    def _image_json(self, product: Product, image: ProductImage) -> dict[str, Any]:
        stamp = _time(image.created_at)
        return {
            "id": image.id,
            "product_id": product.id,
            "position": image.position,
            "created_at": stamp,
            "updated_at": stamp,
            "alt": image.alt,
            "width": image.width,
            "height": image.height,
            # The CDN's cache-busting version is the image's last change, in epoch seconds.
            "src": f"{self._base_url}{image.path}?v={int(image.created_at.timestamp())}",
            "variant_ids": [],
            "admin_graphql_api_id": f"gid://shopify/ProductImage/{image.id}",
        }

    def encode(self, payload: dict[str, Any]) -> bytes:
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        # JSON has no '/', '<', '>' or '&' outside strings, so replacing them in the text is exact.
        for raw, escaped in _RAILS_ESCAPES:
            text = text.replace(raw, escaped)
        return text.encode()

    def event_headers(
        self, topic: str, body: bytes, webhook: Webhook, event: ShopEvent
    ) -> tuple[str, dict[str, str]]:
        webhook_id = str(uuid.uuid4())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": self.user_agent,
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": hmac_sha256_base64(webhook.secret, body),
            "X-Shopify-Shop-Domain": self._config.shop_domain,
            "X-Shopify-API-Version": self._config.api_version,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Event-Id": event.event_id,
            "X-Shopify-Triggered-At": event.triggered_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        return webhook_id, headers

    def ping(self, webhook: Webhook) -> tuple[bytes, dict[str, str]] | None:
        # Creating a Shopify subscription sends nothing; the first event is the first request.
        return None


def _time(value: datetime) -> str:
    # Shopify writes seconds and the shop's UTC offset: 2025-07-01T12:00:00+00:00.
    return value.isoformat(timespec="seconds")
