"""Which publisher puts a video on a product of each platform, built once per worker instance."""

from __future__ import annotations

from reelay.ports.shop_publishing import PublishRefused, ShopPublisher


class ShopPublishers:
    """platform ("shopify", "woocommerce") → its ShopPublisher; the local emulator's base URL
    override and loopback permission apply to every one."""

    def __init__(self, *, base_url_override: str | None = None, allow_loopback: bool = False) -> None:
        self._override = base_url_override
        self._allow_loopback = allow_loopback
        self._built: dict[str, ShopPublisher] = {}

    def __call__(self, platform: str) -> ShopPublisher:
        if platform not in self._built:
            self._built[platform] = self._build(platform)
        return self._built[platform]

    def _build(self, platform: str) -> ShopPublisher:
        if platform == "shopify":
            from reelay.clients.shopify_admin import ShopifyPublisher

            return ShopifyPublisher(base_url_override=self._override, allow_loopback=self._allow_loopback)
        if platform == "woocommerce":
            from reelay.clients.woocommerce_admin import WooCommercePublisher

            return WooCommercePublisher(base_url_override=self._override)
        # Refused, not retried: the same platform gets the same answer.
        raise PublishRefused(f"no publisher for platform {platform!r}")
