"""Settings of the shop simulator: which platform it plays, where it listens, how it delivers webhooks.

Delivery timings default to the platforms' own, except Shopify's retry schedule: Shopify spreads
8 retries over 4 hours, the simulator doubles from `retry_base_seconds` (1 s, 2 s, ... 128 s) so a
run sees every retry, and tests set it to a few milliseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from reelay_local.simulators.shop.hook_address import is_loopback_host

Platform = Literal["shopify", "woocommerce"]
PLATFORMS: tuple[str, ...] = ("shopify", "woocommerce")

# Shopify gives a receiver 1 s to accept the connection and 5 s to answer. WooCommerce posts
# with wp_remote_post and a one-minute timeout.
DEFAULT_TIMEOUT_SECONDS: dict[str, float] = {"shopify": 5.0, "woocommerce": 60.0}

_API_VERSION = re.compile(r"^\d{4}-(01|04|07|10)$")
_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")


@dataclass
class ShopConfig:
    platform: Platform = "shopify"
    # What X-Shopify-Shop-Domain says; WooCommerce names itself by its URL (the simulator's own).
    shop_domain: str = "reelay-demo.myshopify.com"
    host: str = "127.0.0.1"
    # 0 asks the OS for a free port.
    port: int = 0
    # The Admin API version a Shopify subscription is pinned to (X-Shopify-API-Version).
    api_version: str = "2025-07"
    retry_base_seconds: float = 1.0
    # Shopify's count; WooCommerce never retries, whatever this says.
    max_retries: int = 8
    # How long a receiver may take to answer; None means the platform's own (see above).
    timeout_seconds: float | None = None
    # Shopify's connection timeout; WooCommerce has none of its own (the whole timeout applies).
    connect_timeout_seconds: float = 1.0
    # Deliveries in flight at once: a burst of products is delivered concurrently, as both
    # platforms do (Shopify's fleet, WooCommerce's Action Scheduler runners).
    workers: int = 8
    # WooCommerce disables a webhook whose deliveries keep failing: after this many consecutive
    # failures the next failure disables it (WC_Webhook::failed_delivery, filter default 5).
    woocommerce_max_failures: int = 5
    # Long side of the drawn product images, in pixels.
    image_size: int = 600
    # Shopify's Admin API: the token it takes (a random shpat_ one when None), and how long a
    # video takes to go UPLOADED -> PROCESSING -> READY.
    admin_access_token: str | None = None
    media_processing_seconds: float = 1.0
    # The WooCommerce REST API key the shop accepts (WooCommerce > Settings > Advanced > REST API);
    # None: generated at start in WooCommerce's format (ck_/cs_ and 40 hex digits). Read the
    # pair from LocalShop.woo_admin or GET /_shop/woocommerce/api-key.
    woo_consumer_key: str | None = None
    woo_consumer_secret: str | None = None

    def __post_init__(self) -> None:
        if self.platform not in PLATFORMS:
            raise ValueError(f"platform must be one of {', '.join(PLATFORMS)}")
        if not is_loopback_host(self.host):
            # The simulator is a dev tool with no authentication; it never listens beyond this machine.
            raise ValueError(f"host must be a loopback address, not {self.host!r}")
        if not 0 <= self.port <= 65535:
            raise ValueError("port must be between 0 and 65535")
        if not _DOMAIN.match(self.shop_domain):
            raise ValueError(f"shop_domain {self.shop_domain!r} is not a host name")
        if not _API_VERSION.match(self.api_version):
            raise ValueError("api_version must look like 2025-07 (Shopify releases quarterly)")
        if self.retry_base_seconds < 0:
            raise ValueError("retry_base_seconds must not be negative")
        if self.max_retries < 0:
            raise ValueError("max_retries must not be negative")
        if self.timeout_seconds is not None and self.timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        if self.connect_timeout_seconds <= 0:
            raise ValueError("connect_timeout_seconds must be positive")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if self.woocommerce_max_failures < 0:
            raise ValueError("woocommerce_max_failures must not be negative")
        if self.media_processing_seconds < 0:
            raise ValueError("media_processing_seconds must not be negative")
        if not 64 <= self.image_size <= 4096:
            raise ValueError("image_size must be between 64 and 4096 pixels")
        for name in ("woo_consumer_key", "woo_consumer_secret"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ValueError(f"{name} must be a non-empty string")

    @property
    def receiver_timeout_seconds(self) -> float:
        if self.timeout_seconds is not None:
            return self.timeout_seconds
        return DEFAULT_TIMEOUT_SECONDS[self.platform]

    @property
    def retries(self) -> int:
        return self.max_retries if self.platform == "shopify" else 0
