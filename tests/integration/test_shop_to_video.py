"""A product created in the local shop becomes a video, end to end on the embedded stack.

The shop is connected the way `reelay demo --shop` and `reelay up --shop` connect it (through
the API over HTTP, then a webhook saved in the shop), and delivers real-format signed webhooks
to the embedded gateway over HTTP. What a consumer relies on is checked at the consumer queue:
one `Product Video Generated` event whose external_ref names the product.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reelay_cli.api_client import ReelayClient
from reelay_local.aws.embedded import EmbeddedStack
from reelay_local.commands.local_shop import ShopLink, connect_local_shop
from reelay_local.simulators.shop import LocalShop, ShopConfig
from reelay_local.simulators.shop.config import Platform
from tests.integration.pipeline import TenantApi

FINISHED = ("Product Video Generated", "Product Video Failed")


@pytest.fixture
def api(embedded: EmbeddedStack) -> TenantApi:
    return TenantApi.create(embedded, "Trail Co")


def _connected_shop(embedded: EmbeddedStack, api: TenantApi, platform: Platform) -> Iterator[ShopLink]:
    config = ShopConfig(platform=platform, retry_base_seconds=0.05, image_size=128)
    with LocalShop(config) as shop, ReelayClient(embedded.api_url, api.tenant.api_key) as client:
        yield connect_local_shop(shop, client)


@pytest.fixture
def shopify(embedded: EmbeddedStack, api: TenantApi) -> Iterator[ShopLink]:
    yield from _connected_shop(embedded, api, "shopify")


@pytest.fixture
def woocommerce(embedded: EmbeddedStack, api: TenantApi) -> Iterator[ShopLink]:
    yield from _connected_shop(embedded, api, "woocommerce")


def _finished_events(embedded: EmbeddedStack, product_id: int) -> list[dict[str, Any]]:
    """Pump until a finished event names the product; every finished event the consumer got."""
    received: list[dict[str, Any]] = []

    def arrived() -> bool:
        received.extend(e for e in embedded.consumers.events() if e["detail-type"] in FINISHED)
        return any(e["detail"]["external_ref"]["product_id"] == str(product_id) for e in received)

    embedded.stack.pump(until=arrived, timeout=30)
    embedded.stack.pump()  # and until all is quiet: a second event would show up now
    received.extend(e for e in embedded.consumers.events() if e["detail-type"] in FINISHED)
    return received


def test_a_shopify_product_becomes_one_generated_event_naming_it(embedded, api, shopify):
    product = shopify.shop.create_product("Trail Runner", product_type="Shoes", vendor="Acme", images=2)
    assert shopify.shop.wait_for_deliveries(10)
    (delivery,) = [a for a in shopify.shop.deliveries if a.product_id == product["id"]]
    assert delivery.ok and delivery.status_code == 200 and delivery.attempt == 1

    events = _finished_events(embedded, product["id"])

    assert [e["detail-type"] for e in events] == ["Product Video Generated"]
    detail = events[0]["detail"]
    assert detail["external_ref"] == {
        "source": "shopify",
        "shop": "reelay-demo.myshopify.com",
        "product_id": str(product["id"]),
        "title": "Trail Runner",
        "admin_url": f"https://reelay-demo.myshopify.com/admin/products/{product['id']}",
    }
    assert detail["product_url"] == product["images"][0]["src"].split("?", 1)[0]
    assert detail["product_showcase_url"] == product["images"][1]["src"].split("?", 1)[0]
    assert detail["generated_video_url"]
    found = api.request("GET", "/v1/product-videos", query=f"source=shopify&product_id={product['id']}")
    assert [task["id"] for task in found.json()["items"]] == [detail["id"]]


def test_a_shopify_product_created_without_photos_becomes_a_video_once_its_first_photo_arrives(
    embedded, api, shopify
):
    product = shopify.shop.create_product("Bare Mug", images=0)
    assert shopify.shop.wait_for_deliveries(10)
    embedded.stack.pump()
    assert api.request("GET", "/v1/product-videos").json()["items"] == []  # no image, no task

    shopify.shop.add_image(product["id"])
    shopify.shop.add_image(product["id"])  # a second update must not start a second video
    assert shopify.shop.wait_for_deliveries(10)
    events = _finished_events(embedded, product["id"])

    assert [e["detail-type"] for e in events] == ["Product Video Generated"]
    assert events[0]["detail"]["external_ref"]["title"] == "Bare Mug"
    assert [a.topic for a in shopify.shop.deliveries if a.ok] == ["products/create", *["products/update"] * 2]


def test_a_woocommerce_product_becomes_one_generated_event_naming_it(embedded, api, woocommerce):
    assert [a.kind for a in woocommerce.shop.deliveries] == ["ping"]  # answered 200 when saved
    product = woocommerce.shop.create_product("Trail Runner", images=1)
    assert woocommerce.shop.wait_for_deliveries(10)

    events = _finished_events(embedded, product["id"])

    assert [e["detail-type"] for e in events] == ["Product Video Generated"]
    ref = events[0]["detail"]["external_ref"]
    assert (ref["source"], ref["shop"], ref["product_id"], ref["title"]) == (
        "woocommerce",
        woocommerce.shop.base_url,
        str(product["id"]),
        "Trail Runner",
    )
