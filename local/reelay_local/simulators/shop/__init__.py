"""Plays the merchant's shop (Shopify or WooCommerce) on 127.0.0.1, for tests, demos and benchmarks. Dev only.

It creates products with photos it draws and serves itself, and sends each change to a hook as
the platform does: the platform's REST JSON, its headers and HMAC signature, and its delivery
behaviour (Shopify: 5 s timeout, 8 retries with the same webhook id; WooCommerce: an unsigned
ping when a webhook is saved, one try per delivery). Webhooks go to loopback addresses only.

    with LocalShop(ShopConfig(platform="shopify", retry_base_seconds=0.01)) as shop:
        shop.configure_webhook("http://127.0.0.1:9000/hooks/shopify", secret="shpss_...")
        product = shop.create_product("Trail Runner", product_type="Shoes", images=2)
        shop.wait_for_deliveries()

Run one on its own with `python -m reelay_local.simulators.shop --platform woocommerce`.
"""

from reelay_local.simulators.shop.config import PLATFORMS, ShopConfig
from reelay_local.simulators.shop.delivery import DeliveryAttempt
from reelay_local.simulators.shop.errors import (
    HookAddressRefused,
    InvalidInput,
    ShopError,
    UnknownProduct,
    WebhookPingFailed,
)
from reelay_local.simulators.shop.events import Webhook
from reelay_local.simulators.shop.shop import LocalShop

__all__ = [
    "PLATFORMS",
    "DeliveryAttempt",
    "HookAddressRefused",
    "InvalidInput",
    "LocalShop",
    "ShopConfig",
    "ShopError",
    "UnknownProduct",
    "Webhook",
    "WebhookPingFailed",
]
