"""What a shop sends, as Reelay reads it: shop names, product payloads, prompt templates, signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from reelay.models.connection import Platform, normalize_shop
from reelay.models.prompt_templates import check_template, render
from reelay.models.shop_products import image_url, shopify_product, woocommerce_product
from reelay.security.shop_signatures import signature_matches


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("acme.myshopify.com", "acme.myshopify.com"),
        ("ACME.myshopify.com", "acme.myshopify.com"),
        ("https://acme.myshopify.com/admin/products", "acme.myshopify.com"),
        ("acme.myshopify.com.", "acme.myshopify.com"),
    ],
)
def test_a_shopify_shop_has_one_spelling(given: str, stored: str) -> None:
    assert normalize_shop(Platform.SHOPIFY, given) == stored


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://Shop.Example.com/", "https://shop.example.com"),
        ("https://example.com/shop/", "https://example.com/shop"),
        ("http://127.0.0.1:8089", "http://127.0.0.1:8089"),
    ],
)
def test_a_woocommerce_site_has_one_spelling(given: str, stored: str) -> None:
    assert normalize_shop(Platform.WOOCOMMERCE, given) == stored


@pytest.mark.parametrize(
    ("platform", "shop"),
    [
        (Platform.SHOPIFY, "acme.example.com"),
        (Platform.SHOPIFY, "evil.myshopify.com.attacker.net"),
        (Platform.WOOCOMMERCE, "shop.example.com"),
        (Platform.WOOCOMMERCE, "https://user:pw@shop.example.com"),
        (Platform.WOOCOMMERCE, "https://shop.example.com/?a=1"),
    ],
)
def test_a_shop_that_is_not_one_of_the_platform_is_refused(platform: Platform, shop: str) -> None:
    with pytest.raises(ValueError, match="must be"):
        normalize_shop(platform, shop)


def test_templates_fill_the_four_product_fields_and_nothing_else() -> None:
    template = check_template("{title} by {vendor} ({product_type}; {tags}) {{literal}}")
    values = {"title": "Mug", "vendor": "Acme", "product_type": "Kitchen", "tags": "blue, tall"}
    assert render(template, values, 100) == "Mug by Acme (Kitchen; blue, tall) {literal}"
    assert render("{title}!", values, 3) == "Mug"


@pytest.mark.parametrize(
    "template", ["{price}", "{title.__class__}", "{0}", "{}", "{title!r}", "{title:>9}", "{oops"]
)
def test_a_template_reaching_beyond_the_fields_is_refused(template: str) -> None:
    with pytest.raises(ValueError):
        check_template(template)


def test_a_shopify_product_reads_images_in_position_order_without_their_query() -> None:
    product = shopify_product(
        {
            "id": 8102913540374,
            "title": "  Trail Runner  ",
            "vendor": None,
            "tags": "running, trail, ",
            "images": [
                {"src": "https://cdn.shopify.com/b.png?v=2", "position": 2},
                {"src": "https://cdn.shopify.com/a.png?v=1", "position": 1},
                {"src": "data:image/png;base64,AAAA", "position": 3},
            ],
        },
        "acme.myshopify.com",
    )
    assert product.product_id == "8102913540374"
    assert product.title == "Trail Runner"
    assert product.vendor == ""
    assert product.tags == ["running", "trail"]
    assert product.image_urls == ["https://cdn.shopify.com/a.png", "https://cdn.shopify.com/b.png"]
    assert product.admin_url == "https://acme.myshopify.com/admin/products/8102913540374"


def test_a_woocommerce_product_takes_its_type_from_the_first_category() -> None:
    product = woocommerce_product(
        {
            "id": 1187,
            "name": "Tote",
            "categories": [{"name": "Bags"}, {"name": "Sale"}],
            "tags": [{"name": "cotton"}],
            "images": [{"src": "https://shop.example.com/tote.jpg"}],
        },
        "https://shop.example.com",
    )
    assert (product.product_type, product.vendor, product.tags) == ("Bags", "", ["cotton"])
    assert product.admin_url == "https://shop.example.com/wp-admin/post.php?post=1187&action=edit"


def test_a_body_without_a_product_id_is_no_product() -> None:
    with pytest.raises(ValueError, match=r"\.id: missing"):
        shopify_product({"title": "no id"}, "acme.myshopify.com")


def test_an_image_url_loses_its_query_and_fragment_only() -> None:
    assert (
        image_url("https://cdn.shopify.com/s/files/x.png?v=17#top") == "https://cdn.shopify.com/s/files/x.png"
    )


def _shopify_signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_a_signature_matches_under_either_secret_of_a_rotation_and_nothing_else() -> None:
    body = b'{"id": 1}'
    assert signature_matches(_shopify_signature("old", body), body, ["old", "new"])
    assert signature_matches(_shopify_signature("new", body), body, ["old", "new"])
    assert not signature_matches(_shopify_signature("other", body), body, ["old", "new"])
    assert not signature_matches(_shopify_signature("old", body), body + b" ", ["old"])
    assert not signature_matches(None, body, ["old"])
    assert not signature_matches("not base64 !", body, ["old"])
    assert not signature_matches(_shopify_signature("old", body), body, [])
