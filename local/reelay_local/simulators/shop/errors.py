"""What can go wrong when driving the shop simulator, as exceptions the HTTP front maps to 4xx."""

from __future__ import annotations


class ShopError(Exception):
    """Base of the simulator's refusals; `code` is the machine-readable name the HTTP front sends."""

    code = "shop_error"
    status = 400


class InvalidInput(ShopError, ValueError):
    code = "invalid_input"


class HookAddressRefused(ShopError, ValueError):
    """The hook address is not on this machine (or not an http(s) URL)."""

    code = "hook_address_refused"


class WebhookPingFailed(ShopError):
    """WooCommerce's ping was not answered with 2xx, so the webhook was not saved."""

    code = "delivery_url_error"


class UnknownProduct(ShopError, LookupError):
    code = "product_not_found"
    status = 404
