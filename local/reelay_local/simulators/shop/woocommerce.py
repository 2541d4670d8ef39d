"""WooCommerce's spelling: REST API v3 product JSON, wp-content uploads, PHP-encoded bodies, X-WC-* headers.

Facts this follows (WooCommerce REST API docs and WC_Webhook):
- products and their image attachments are WordPress posts, so they share one id sequence;
  categories and tags are terms with ids of their own, "Uncategorized" (15) by default;
- dates are the site's local time without an offset, with `_gmt` twins (the site runs on UTC here);
- the body is `wp_json_encode` output: compact, `/` written as `\\/`, non-ASCII as `\\uXXXX`;
- a delivery carries X-WC-Webhook-Source (the site URL with a trailing slash), -Topic,
  -Resource, -Event, -Signature (base64 HMAC-SHA256 of the body), -ID (the webhook's) and a
  -Delivery-ID that is new on every delivery; there are no retries;
- saving a webhook first posts `webhook_id=<id>` as a form, unsigned (the ping).
"""

from __future__ import annotations

import copy
import itertools
import json
import secrets
import threading
from datetime import datetime
from typing import Any
from urllib.parse import quote

from reelay_local.simulators.shop.catalog import Catalog, Product, ProductImage, ascii_file_stem, handle_for
from reelay_local.simulators.shop.config import ShopConfig
from reelay_local.simulators.shop.dialect import IdKind
from reelay_local.simulators.shop.events import EventKind, ShopEvent, Webhook, hmac_sha256_base64
from reelay_local.simulators.shop.images import ImageFormat

TOPICS: dict[EventKind, str] = {"create": "product.created", "update": "product.updated"}
WC_VERSION = "9.9.5"
WP_VERSION = "6.8.2"
UNCATEGORIZED = {"id": 15, "name": "Uncategorized", "slug": "uncategorized"}


class WooCommerceDialect:
    platform = "woocommerce"
    topics = TOPICS
    user_agent = f"WooCommerce/{WC_VERSION} Hookshot (WordPress/{WP_VERSION})"

    def __init__(self, config: ShopConfig, base_url: str) -> None:
        self._base_url = base_url
        self.retries = config.retries
        # A fresh WordPress has a few posts already; products start after them.
        self._posts = itertools.count(101)
        self._webhooks = itertools.count(1)
        self._terms: dict[str, int] = {}
        self._next_term = itertools.count(16)
        self._lock = threading.Lock()

    def next_id(self, kind: IdKind) -> int:
        with self._lock:
            return next(self._webhooks) if kind == "webhook" else next(self._posts)

    def new_handle(self, title: str, catalog: Catalog) -> str:
        # WordPress's sanitize_title keeps other scripts percent-encoded, in lower case.
        return catalog.unique_handle(quote(handle_for(title), safe="-").lower())

    def image_location(self, title: str, image_id: int, fmt: ImageFormat, created_at: datetime) -> str:
        return f"/wp-content/uploads/{created_at:%Y/%m}/{ascii_file_stem(title)}-{image_id}.{fmt}"

    def product_json(self, product: Product) -> dict[str, Any]:
        created, modified = _local(product.created_at), _local(product.updated_at)
        categories = [self._term(product.product_type)] if product.product_type else [dict(UNCATEGORIZED)]
        return {
            "id": product.id,
            "name": product.title,
            "slug": product.handle,
            "permalink": f"{self._base_url}/product/{product.handle}/",
            "date_created": created,
            "date_created_gmt": created,
            "date_modified": modified,
            "date_modified_gmt": modified,
            "type": "simple",
            "status": product.status,
            "featured": False,
            "catalog_visibility": "visible",
            "description": product.description,
            "short_description": "",
            "sku": product.sku,
            "price": product.price,
            "regular_price": product.price,
            "sale_price": "",
            "on_sale": False,
            "purchasable": True,
            "total_sales": 0,
            "virtual": False,
            "downloadable": False,
            "stock_quantity": None,
            "stock_status": "instock",
            "categories": categories,
            "tags": [self._term(tag) for tag in product.tags],
            "images": [self._image_json(image) for image in product.images],
            "attributes": [],
            "default_attributes": [],
            "variations": [],
            "meta_data": copy.deepcopy(product.meta_data),
        }

    def _term(self, name: str) -> dict[str, Any]:
        with self._lock:
            if name not in self._terms:
                self._terms[name] = next(self._next_term)
            term_id = self._terms[name]
        return {"id": term_id, "name": name, "slug": quote(handle_for(name), safe="-").lower()}

    def _image_json(self, image: ProductImage) -> dict[str, Any]:
        stamp = _local(image.created_at)
        return {
            "id": image.id,
            "date_created": stamp,
            "date_created_gmt": stamp,
            "date_modified": stamp,
            "date_modified_gmt": stamp,
            "src": f"{self._base_url}{image.path}",
            "name": image.file_name,
            # WordPress keeps an empty alt text as "", never null.
            "alt": image.alt or "",
        }

    def encode(self, payload: dict[str, Any]) -> bytes:
        # PHP's json_encode defaults: ASCII only, and '/' escaped (never outside a string in JSON).
        return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode()

    def event_headers(
        self, topic: str, body: bytes, webhook: Webhook, event: ShopEvent
    ) -> tuple[str, dict[str, str]]:
        resource, action = topic.split(".", 1)
        # WC_Webhook::get_new_delivery_id is wp_hash() of the id and the time: 32 hex digits.
        delivery_id = secrets.token_hex(16)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": self.user_agent,
            "X-WC-Webhook-Source": f"{self._base_url}/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": action,
            "X-WC-Webhook-Signature": hmac_sha256_base64(webhook.secret, body),
            "X-WC-Webhook-ID": str(webhook.id),
            "X-WC-Webhook-Delivery-ID": delivery_id,
        }
        return delivery_id, headers

    def ping(self, webhook: Webhook) -> tuple[bytes, dict[str, str]] | None:
        # wp_safe_remote_post with a string body: a form post, WordPress's own User-Agent, no signature.
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": f"WordPress/{WP_VERSION}; {self._base_url}",
        }
        return f"webhook_id={webhook.id}".encode(), headers


def _local(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S")
