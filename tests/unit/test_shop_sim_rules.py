"""The shop simulator's pure rules: which hook addresses pass, settings, encodings, handles, photo shapes."""

from __future__ import annotations

import json

import pytest

from reelay_local.simulators.shop import HookAddressRefused, ShopConfig
from reelay_local.simulators.shop.catalog import Catalog, ascii_file_stem, handle_for
from reelay_local.simulators.shop.hook_address import check_hook_address
from reelay_local.simulators.shop.images import photo_format, photo_shape
from reelay_local.simulators.shop.shopify import ShopifyDialect
from reelay_local.simulators.shop.woocommerce import WooCommerceDialect

PAYLOAD = {"title": "Café <b>Mug</b> & co / 杯子", "src": "http://127.0.0.1:1/a.jpg?v=1", "n": 1, "x": None}


@pytest.mark.parametrize(
    "address",
    [
        "http://127.0.0.1:8080/hooks/shopify",
        "https://127.0.0.1/hook",
        "http://127.42.0.9:9/hook",
        "http://localhost:3000/",
        "http://LOCALHOST/hook",
        "http://[::1]:8000/hook",
        "http://[::ffff:127.0.0.1]/hook",
    ],
)
def test_loopback_hook_addresses_are_accepted(address):
    assert check_hook_address(address) == address


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("https://example.com/hook", "not on this machine"),
        ("http://10.0.0.5/hook", "not on this machine"),
        ("http://192.168.1.2/hook", "not on this machine"),
        ("http://169.254.169.254/latest/meta-data", "not on this machine"),
        ("http://[2001:db8::1]/hook", "not on this machine"),
        # Names are never resolved, even ones that point at 127.0.0.1 in public DNS.
        ("http://127.0.0.1.nip.io/hook", "not on this machine"),
        ("http://0.0.0.0:8000/hook", "not on this machine"),
        ("ftp://127.0.0.1/hook", "http:// or https://"),
        ("127.0.0.1:8000/hook", "http:// or https://"),
        ("http://127.0.0.1:99999/hook", "not a valid URL"),
        ("", "non-empty"),
    ],
)
def test_hook_addresses_off_the_machine_are_refused_with_the_reason(address, reason):
    with pytest.raises(HookAddressRefused, match=reason):
        check_hook_address(address)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"platform": "magento"}, "platform must be one of"),
        ({"host": "0.0.0.0"}, "loopback"),  # noqa: S104 - refused, never bound
        ({"host": "192.168.1.2"}, "loopback"),
        ({"api_version": "2025-08"}, "api_version"),
        ({"retry_base_seconds": -1}, "retry_base_seconds"),
        ({"timeout_seconds": 0}, "timeout_seconds"),
        ({"workers": 0}, "workers"),
        ({"shop_domain": "not a domain"}, "shop_domain"),
    ],
)
def test_shop_config_refuses_settings_that_would_mislead(settings, message):
    with pytest.raises(ValueError, match=message):
        ShopConfig(**settings)


def test_receiver_timeout_and_retries_default_to_each_platforms_own():
    shopify, woo = ShopConfig(platform="shopify"), ShopConfig(platform="woocommerce")
    assert (shopify.receiver_timeout_seconds, shopify.retries) == (5.0, 8)
    assert (woo.receiver_timeout_seconds, woo.retries) == (60.0, 0)
    assert ShopConfig(platform="woocommerce", timeout_seconds=2, max_retries=3).retries == 0


def test_shopify_bodies_are_escaped_as_rails_writes_them_and_decode_to_the_payload():
    body = ShopifyDialect(ShopConfig(), "http://127.0.0.1:1").encode(PAYLOAD)
    text = body.decode()
    assert "\\u003cb\\u003e" in text and "\\u0026" in text and "\\/" in text
    # Rails leaves other non-ASCII characters as UTF-8.
    assert "Café" in text and "杯子" in text
    assert json.loads(body) == PAYLOAD


def test_woocommerce_bodies_are_escaped_as_php_json_encode_writes_them_and_decode_to_the_payload():
    body = WooCommerceDialect(ShopConfig(platform="woocommerce"), "http://127.0.0.1:1").encode(PAYLOAD)
    assert body.isascii()
    text = body.decode()
    assert "Caf\\u00e9" in text and "<b>" in text and "http:\\/\\/127.0.0.1:1\\/a.jpg" in text
    assert json.loads(body) == PAYLOAD


def test_handles_keep_letters_of_any_script_and_a_taken_handle_gets_a_number():
    catalog = Catalog()
    assert handle_for("Trail Runner 2 — Blue!") == "trail-runner-2-blue"
    assert handle_for("Café 杯子") == "café-杯子"
    assert handle_for("!!!") == "product"
    assert [catalog.unique_handle("mug") for _ in range(3)] == ["mug", "mug-1", "mug-2"]
    assert ascii_file_stem("Café 杯子") == "cafe"


def test_photos_alternate_shapes_and_formats_so_consumers_meet_each():
    assert [photo_shape(position, 600) for position in (1, 2, 3, 4)] == [
        (600, 600),
        (600, 450),
        (450, 600),
        (600, 600),
    ]
    assert [photo_format(position) for position in (1, 2, 3)] == ["jpg", "png", "jpg"]
