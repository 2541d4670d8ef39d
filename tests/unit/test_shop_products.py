"""A shop's product body read into a `ShopProduct`: what is taken, what is left out, and what is
refused with the field at fault.

The edge cases of each platform's body, beside the product read from it (or the field a refusal
names). The real-format samples in events/ (what the shops and the shop simulator send) are read
whole; the rest are the sample with one field changed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reelay.models.connection import Platform
from reelay.models.records import InvalidRecord
from reelay.models.shop_products import ShopProduct, shopify_product, woocommerce_product

EVENTS = Path(__file__).resolve().parents[2] / "events"
SHOP = "acme.myshopify.com"
SITE = "https://shop.example.com"


def sample(name: str) -> dict[str, Any]:
    return json.loads(json.loads((EVENTS / name).read_text())["body"])


SHOPIFY = sample("shop_webhook_shopify_products_create.json")
WOO = sample("shop_webhook_woocommerce_product_created.json")


def shopify(**changes: Any) -> dict[str, Any]:
    return {**SHOPIFY, **changes}


def woo(**changes: Any) -> dict[str, Any]:
    return {**WOO, **changes}


def test_shopifys_sample_is_read_whole() -> None:
    assert shopify_product(SHOPIFY, SHOP) == ShopProduct(
        platform=Platform.SHOPIFY,
        shop=SHOP,
        product_id="8102913540374",
        title="Trail Runner 2 \u2013 Ocean Blue",
        product_type="Sneakers",
        vendor="Acme Shoes",
        tags=["running", "trail", "recycled"],
        image_urls=[
            "https://cdn.shopify.com/s/files/1/0712/3456/7890/files/trail-runner-2-side.png",
            "https://cdn.shopify.com/s/files/1/0712/3456/7890/files/trail-runner-2-sole.png",
        ],
        admin_url=f"https://{SHOP}/admin/products/8102913540374",
    )


def test_woocommerces_sample_is_read_whole() -> None:
    assert woocommerce_product(WOO, SITE) == ShopProduct(
        platform=Platform.WOOCOMMERCE,
        shop=SITE,
        product_id="1187",
        title="Canvas Tote \u2013 Natural",
        product_type="Bags",
        vendor="",
        tags=["cotton", "everyday"],
        image_urls=["https://shop.acme-shoes.example/wp-content/uploads/2026/11/canvas-tote-natural.jpg"],
        admin_url=f"{SITE}/wp-admin/post.php?post=1187&action=edit",
    )


# (body, the product's fields expected to differ from the sample's reading)
SHOPIFY_READINGS = {
    "id as a string": (shopify(id="8102913540374"), {}),
    "id as a whole float": (
        shopify(id=42.0),
        {"product_id": "42", "admin_url": f"https://{SHOP}/admin/products/42"},
    ),
    "id of any size": (
        shopify(id=10**30),
        {"product_id": "1" + "0" * 30, "admin_url": f"https://{SHOP}/admin/products/1{'0' * 30}"},
    ),
    "id text kept as sent": (
        shopify(id=" gid-7"),
        {"product_id": " gid-7", "admin_url": f"https://{SHOP}/admin/products/ gid-7"},
    ),
    "no images": ({k: v for k, v in SHOPIFY.items() if k not in ("images", "image")}, {"image_urls": []}),
    "images null": (shopify(images=None), {"image_urls": []}),
    "images empty": (shopify(images=[]), {"image_urls": []}),
    "only unusable images": (
        shopify(
            images=[{"src": "data:image/png;base64,AAAA"}, {"src": ""}, {"src": "ftp://x.example/a.png"}, {}]
        ),
        {"image_urls": []},
    ),
    "images without positions keep their order, after positioned ones": (
        shopify(
            images=[{"src": "https://c.example/b.png"}, {"src": "https://c.example/a.png", "position": "5"}]
        ),
        {"image_urls": ["https://c.example/a.png", "https://c.example/b.png"]},
    ),
    "image src padded": (
        shopify(images=[{"src": "  https://c.example/a.png?v=1#x  "}]),
        {"image_urls": ["https://c.example/a.png"]},
    ),
    "blank title": (shopify(title="   "), {"title": ""}),
    "null title, type and vendor": (
        shopify(title=None, product_type=None, vendor=None),
        {"title": "", "product_type": "", "vendor": ""},
    ),
    "missing title, type and vendor": (
        {k: v for k, v in SHOPIFY.items() if k not in ("title", "product_type", "vendor")},
        {"title": "", "product_type": "", "vendor": ""},
    ),
    "HTML in the title is text": (shopify(title=" <b>Mug</b> & co "), {"title": "<b>Mug</b> & co"}),
    "HTML body and unknown fields ignored": (
        shopify(body_html="<script>x</script>", new_field={"a": [1]}),
        {},
    ),
    "long title cut to 255": (shopify(title="x" * 300), {"title": "x" * 255}),
    "tags as a list": (shopify(tags=[" a ", "", "b"]), {"tags": ["a", "b"]}),
    "blank tags": (shopify(tags=" , ,"), {"tags": []}),
}


@pytest.mark.parametrize("body, differs", SHOPIFY_READINGS.values(), ids=SHOPIFY_READINGS.keys())
def test_a_shopify_body_is_read_tolerantly(body: dict[str, Any], differs: dict[str, Any]) -> None:
    assert shopify_product(body, SHOP) == shopify_product(SHOPIFY, SHOP).replace(**differs)


WOO_READINGS = {
    "id as a string": (woo(id=str(WOO["id"])), {}),
    "no images": ({k: v for k, v in WOO.items() if k != "images"}, {"image_urls": []}),
    "null lists": (
        woo(images=None, categories=None, tags=None, brands=None),
        {"image_urls": [], "product_type": "", "tags": []},
    ),
    "first brand is the vendor": (woo(brands=[{"name": " Acme "}, {"name": "Other"}]), {"vendor": "Acme"}),
    "terms without names": (woo(categories=[{}], tags=[{"name": " "}, {}]), {"product_type": "", "tags": []}),
    "blank name": (woo(name=" "), {"title": ""}),
    "unknown fields ignored": (woo(description="<p>HTML</p>", meta_data=[{"key": "k"}]), {}),
}


@pytest.mark.parametrize("body, differs", WOO_READINGS.values(), ids=WOO_READINGS.keys())
def test_a_woocommerce_body_is_read_tolerantly(body: dict[str, Any], differs: dict[str, Any]) -> None:
    assert woocommerce_product(body, SITE) == woocommerce_product(WOO, SITE).replace(**differs)


# (platform, body, the field the refusal names)
REFUSALS = {
    "shopify without an id": ("shopify", {"title": "no id"}, "id"),
    "shopify null id": ("shopify", shopify(id=None), "id"),
    "shopify boolean id": ("shopify", shopify(id=True), "id"),
    "shopify blank id": ("shopify", shopify(id="  "), "id"),
    "shopify fractional id": ("shopify", shopify(id=1.5), "id"),
    "shopify id as a list": ("shopify", shopify(id=[1]), "id"),
    "shopify title a number": ("shopify", shopify(title=5), "title"),
    "shopify null tags": ("shopify", shopify(tags=None), "tags"),
    "shopify a tag a number": ("shopify", shopify(tags=["a", 1]), "tags.1"),
    "shopify images an object": ("shopify", shopify(images={}), "images"),
    "shopify an image null": ("shopify", shopify(images=[None]), "images.0"),
    "shopify an image src null": ("shopify", shopify(images=[{"src": None}]), "images.0.src"),
    "shopify a position as words": (
        "shopify",
        shopify(images=[{"src": "https://c.example/a.png", "position": "two"}]),
        "images.0.position",
    ),
    "shopify a boolean position": (
        "shopify",
        shopify(images=[{"src": "https://c.example/a.png", "position": True}]),
        "images.0.position",
    ),
    "woocommerce without an id": ("woocommerce", {"name": "no id"}, "id"),
    "woocommerce boolean id": ("woocommerce", woo(id=False), "id"),
    "woocommerce null name": ("woocommerce", woo(name=None), "name"),
    "woocommerce a tag's name null": ("woocommerce", woo(tags=[{"name": None}]), "tags.0.name"),
    "woocommerce an image src a number": ("woocommerce", woo(images=[{"src": 1}]), "images.0.src"),
}


@pytest.mark.parametrize("platform, body, field", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_body_that_is_no_product_is_refused_naming_the_field(
    platform: str, body: dict[str, Any], field: str
) -> None:
    read = shopify_product if platform == "shopify" else woocommerce_product
    with pytest.raises(InvalidRecord) as refused:
        read(body, SHOP if platform == "shopify" else SITE)
    assert refused.value.field == field
