"""The local shop beside `reelay up` and `reelay demo`: started with the stack, connected through the API.

Connecting does what a merchant does: create a shop connection (`POST /v1/shop-connections`
with the shop's myshopify.com domain or WooCommerce site URL and a fresh random secret), then
save a webhook in the shop that posts to the `hook_url` the API answered, signed with that
secret. From then on every product the shop creates is delivered to Reelay as the platform
would deliver it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, cast

from reelay_cli.api_client import ReelayClient
from reelay_local.simulators.shop import LocalShop, ShopConfig, Webhook
from reelay_local.simulators.shop.config import Platform

PLATFORM_NAMES = {"shopify": "Shopify", "woocommerce": "WooCommerce"}


@dataclass
class ShopLink:
    """A running local shop, the connection Reelay holds for it, and the webhook the shop posts to."""

    shop: LocalShop
    connection: dict[str, Any]
    webhook: Webhook

    @property
    def platform(self) -> str:
        return self.shop.platform

    @property
    def connection_id(self) -> str:
        return str(self.connection["id"])

    @property
    def hook_url(self) -> str:
        return str(self.connection["hook_url"])


def start_local_shop(platform: str) -> LocalShop:
    """A Shopify-like or WooCommerce-like shop on a free loopback port, with the platform's timings."""
    # ShopConfig refuses a platform it does not play.
    return LocalShop(ShopConfig(platform=cast(Platform, platform))).start()


def admin_override(shop: LocalShop | None) -> dict[str, str]:
    """The functions' setting that sends every shop admin call to the local shop (dev only).

    A connection names the real shop (acme.myshopify.com); only the local stack points its
    admin calls here, never the template.
    """
    return {"REELAY_SHOP_ADMIN_BASE_URL": shop.base_url} if shop is not None else {}


def shop_identity(shop: LocalShop) -> str:
    """What a connection names: Shopify's myshopify.com domain, or the WooCommerce site's URL."""
    return shop.config.shop_domain if shop.platform == "shopify" else shop.base_url


def connect_local_shop(shop: LocalShop, client: ReelayClient, *, write_back: bool = False) -> ShopLink:
    """Connect `shop` for the tenant `client` acts for, and point the shop's webhook at its hook_url.

    With `write_back`, the connection also holds the shop's admin credentials (a Shopify shop's
    Admin API token, a WooCommerce shop's REST API key), so each finished video goes onto its
    product. A WooCommerce shop pings the hook_url before
    it saves the webhook (WebhookPingFailed if that is not answered 2xx); the API's errors come
    back as ApiError.
    """
    secret = secrets.token_urlsafe(32)
    request: dict[str, Any] = {"platform": shop.platform, "shop": shop_identity(shop)}
    request["webhook_secret"] = secret
    if write_back and shop.admin is not None:
        request.update(write_back=True, admin_access_token=shop.admin.access_token)
    elif write_back and shop.platform == "woocommerce":
        key = shop.woo_admin.api_key()
        request.update(
            write_back=True, consumer_key=key["consumer_key"], consumer_secret=key["consumer_secret"]
        )
    connection = client.connect_shop(request)
    webhook = shop.configure_webhook(connection["hook_url"], secret=secret)
    return ShopLink(shop=shop, connection=connection, webhook=webhook)
