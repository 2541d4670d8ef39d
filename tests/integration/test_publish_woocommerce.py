"""Write-back to WooCommerce on the embedded stack: a product created in the local store ends with
Reelay's media link in its meta and a playable video block in its description.

The whole path runs as for Shopify (tests/integration/test_publish_shopify.py): the store's hook
makes the task, the media worker archives the video, and the publish worker writes the product
through the store's wc/v3 REST API, which the local shop plays strictly (its REST API key).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests

from reelay_cli.api_client import ReelayClient
from reelay_local.aws.embedded import EmbeddedStack
from reelay_local.commands.local_shop import ShopLink, admin_override, connect_local_shop
from reelay_local.simulators.shop import LocalShop, ShopConfig
from tests.integration.pipeline import RunningStack, TenantApi


@pytest.fixture
def shop() -> Iterator[LocalShop]:
    with LocalShop(ShopConfig(platform="woocommerce", retry_base_seconds=0.05, image_size=128)) as running:
        yield running


@pytest.fixture
def embedded(simulator, shop: LocalShop) -> Iterator[EmbeddedStack]:
    topics = {"status": ["video_generated", "failed"]}
    with RunningStack(simulator, topic_filter=topics, extra_env=admin_override(shop)) as stack:
        yield stack


@pytest.fixture
def api(embedded: EmbeddedStack) -> TenantApi:
    return TenantApi.create(embedded, "Woo Co")


@pytest.fixture
def link(embedded: EmbeddedStack, api: TenantApi, shop: LocalShop) -> ShopLink:
    with ReelayClient(embedded.api_url, api.tenant.api_key) as client:
        link = connect_local_shop(shop, client, write_back=True)
    path = f"/v1/shop-connections/{link.connection_id}"
    assert api.request("PATCH", path, json_body={"woo_video_in_description": True}).status == 200
    return link


def published(embedded: EmbeddedStack, api: TenantApi, product_id: int) -> dict[str, Any]:
    def task() -> dict[str, Any] | None:
        items = api.request("GET", "/v1/product-videos", query=f"product_id={product_id}").json()["items"]
        if items and (items[0].get("publication") or {}).get("state") in ("published", "failed"):
            return items[0]
        return None

    embedded.stack.pump(until=lambda: task() is not None, timeout=40)
    embedded.stack.pump()
    return api.get((task() or {})["id"])


def test_a_new_product_ends_with_reelays_video_in_its_meta_and_description(embedded, api, shop, link):
    product = shop.create_product("Canvas Tote", images=1)
    assert shop.wait_for_deliveries(10)

    task = published(embedded, api, product["id"])

    publication = task["publication"]
    assert (publication["state"], publication["reason"], publication["platform"]) == (
        "published",
        None,
        "woocommerce",
    )
    stored = shop.product(product["id"])
    (video_url,) = [m["value"] for m in stored["meta_data"] if m["key"] == "reelay_video_url"]
    assert video_url == task["media"]["video"]["url"]  # the lasting media link, not a presigned URL
    assert f'src="{video_url}"' in stored["description"].replace("&amp;", "&")
    # The link plays Reelay's archived copy: the API redirects it to a short-lived presigned URL.
    redirect = httpx.get(video_url)
    assert redirect.status_code == 302, redirect.text
    # In this process moto answers S3's own address (requests is what its in-process mock takes).
    archived = requests.get(redirect.headers["location"], timeout=10).content
    assert archived == httpx.get(task["generated_video_url"]).content
    page = httpx.get(f"{shop.base_url}/products/{product['id']}").text
    assert video_url.replace("&", "&amp;") in page or video_url in page
    events = [e for e in embedded.consumers.events() if e["detail-type"] == "Product Video Published"]
    assert [e["detail"]["event_id"] for e in events] == [f"evt_{task['id']}_published"]


def test_a_store_that_rejects_the_key_fails_once_with_the_reason(embedded, api, shop, link):
    shop.woo_admin.set_api_key(consumer_secret="cs_" + "0" * 40)  # the store's key changed
    product = shop.create_product("Canvas Tote", images=1)
    assert shop.wait_for_deliveries(10)

    task = published(embedded, api, product["id"])

    assert task["publication"]["state"] == "failed"
    assert task["publication"]["reason"].startswith("consumer key rejected")
    assert "cs_" not in task["publication"]["reason"]
    assert not [m for m in shop.product(product["id"])["meta_data"] if m["key"] == "reelay_video_url"]
