"""The WooCommerce publisher against the local shop's wc/v3 product endpoints over real HTTP.

The connection names the real store (https://shop.example); the publisher's base-URL override
sends its calls to the local shop on 127.0.0.1, as the local emulator does.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from reelay.clients.woocommerce_admin import WooCommercePublisher, video_block
from reelay.ports.shop_publishing import (
    MediaProgress,
    ProductGone,
    PublishRefused,
    PublishRequest,
    ShopCredentials,
    ShopThrottled,
    ShopUnavailable,
)
from reelay_local.simulators.shop import LocalShop, ShopConfig

KEY = "ck_" + "a1" * 20
SECRET = "cs_" + "b2" * 20
VIDEO = "https://api.reelay.example/media/task-1/video?sig=Zm9vYmFy"
OTHER_VIDEO = "https://api.reelay.example/media/task-2/video?sig=YmF6cXV4"


@pytest.fixture
def shop() -> Iterator[LocalShop]:
    config = ShopConfig(platform="woocommerce", woo_consumer_key=KEY, woo_consumer_secret=SECRET)
    with LocalShop(config) as running:
        yield running


@pytest.fixture
def publisher(shop: LocalShop) -> WooCommercePublisher:
    return WooCommercePublisher(base_url_override=shop.base_url)


def request_for(product: dict, **changes: object) -> PublishRequest:
    request = PublishRequest(
        task_id="task-1",
        shop="https://shop.example",
        product_id=str(product["id"]),
        credentials=ShopCredentials(consumer_key=KEY, consumer_secret=SECRET),
        alt=product["name"],
        video_url=VIDEO,
        settings={"video_meta_key": "reelay_video_url", "video_in_description": False},
    )
    return replace(request, **changes)  # type: ignore[arg-type]


def meta(product: dict, key: str = "reelay_video_url") -> list[object]:
    return [entry["value"] for entry in product["meta_data"] if entry["key"] == key]


def test_attach_puts_the_link_in_the_products_meta_and_find_sees_it_afterwards(shop, publisher):
    product = shop.create_product("Trail Runner", description="<p>Light and fast.</p>")
    neighbour = shop.create_product("Camp Mug")
    request = request_for(product)

    assert publisher.find(request) is None
    status = publisher.attach(request)

    assert (status.media_id, status.progress) == (str(product["id"]), MediaProgress.READY)
    stored = shop.product(product["id"])
    assert meta(stored) == [VIDEO]
    assert stored["description"] == "<p>Light and fast.</p>"  # meta mode leaves the description alone
    assert shop.product(neighbour["id"])["meta_data"] == []
    found = publisher.find(request)
    assert found is not None and found.media_id == str(product["id"])
    assert publisher.check(request, found.media_id).progress is MediaProgress.READY
    # find: 1 GET, attach: 1 PUT and no GET in meta mode, then find and check: 1 GET each.
    assert shop.woo_admin.calls() == {"get_product": 3, "update_product": 1}


def test_a_second_attach_replaces_reelays_description_block_and_keeps_the_merchants_text(shop, publisher):
    merchant_text = (
        "<p>Hand-made in Porto.</p>\n<!-- wp:paragraph -->\n<p>Care: hand wash.</p>\n<!-- /wp:paragraph -->"
    )
    product = shop.create_product("Linen Shirt", description=merchant_text)
    request = request_for(product, settings={"video_in_description": True})

    publisher.attach(request)
    first = shop.product(product["id"])["description"]
    assert first == f"{merchant_text}\n\n{video_block(VIDEO)}"

    publisher.attach(request)  # a retry after a lost answer changes nothing
    assert shop.product(product["id"])["description"] == first

    publisher.attach(replace(request, video_url=OTHER_VIDEO))  # a new video takes the block's place
    described = shop.product(product["id"])["description"]
    assert described == f"{merchant_text}\n\n{video_block(OTHER_VIDEO)}"
    assert described.count("<!-- wp:video") == 1
    assert meta(shop.product(product["id"])) == [OTHER_VIDEO]


def test_find_in_description_mode_wants_the_block_too_and_attach_puts_it_back(shop, publisher):
    product = shop.create_product("Wool Hat", description="<p>Warm.</p>")
    request = request_for(product, settings={"video_in_description": True})
    publisher.attach(request)
    # The merchant restores the old description; the meta still holds the link.
    httpx.put(
        f"{shop.base_url}/wp-json/wc/v3/products/{product['id']}",
        auth=(KEY, SECRET),
        json={"description": "<p>Warm.</p>"},
    ).raise_for_status()

    assert publisher.find(request) is None
    assert publisher.check(request, str(product["id"])).progress is MediaProgress.FAILED
    publisher.attach(request)
    assert publisher.find(request) is not None


def test_the_meta_key_is_a_setting_for_gallery_plugins(shop, publisher):
    product = shop.create_product("Desk Lamp")
    plugin = request_for(product, settings={"video_meta_key": "_nickx_video_text_url"})

    publisher.attach(plugin)

    stored = shop.product(product["id"])
    assert meta(stored, "_nickx_video_text_url") == [VIDEO]
    assert meta(stored) == []
    assert publisher.find(request_for(product)) is None  # the default key holds nothing


def test_a_check_after_the_merchant_replaced_the_link_fails_with_the_reason(shop, publisher):
    product = shop.create_product("Rain Jacket")
    request = request_for(product)
    media_id = publisher.attach(request).media_id
    httpx.put(
        f"{shop.base_url}/wp-json/wc/v3/products/{product['id']}",
        auth=(KEY, SECRET),
        json={"meta_data": [{"key": "reelay_video_url", "value": "https://elsewhere.example/v.mp4"}]},
    ).raise_for_status()

    status = publisher.check(request, media_id)

    assert status.progress is MediaProgress.FAILED
    assert status.reason and "no longer holds this task's video" in status.reason


@pytest.mark.parametrize("trash", [False, True], ids=["deleted", "trashed"])
def test_a_deleted_or_trashed_product_is_gone_for_find_attach_and_check(shop, publisher, trash):
    product = shop.create_product("Old Stock")
    request = request_for(product)
    httpx.delete(
        f"{shop.base_url}/_shop/products/{product['id']}", params={"trash": trash}
    ).raise_for_status()

    for step in (publisher.find, publisher.attach, lambda r: publisher.check(r, str(product["id"]))):
        with pytest.raises(ProductGone, match=f"product {product['id']}"):
            step(request)


def test_a_product_deleted_between_read_and_write_is_gone_too(shop, publisher):
    # WooCommerce answers a PUT on an unknown product 400 woocommerce_rest_product_invalid_id.
    product = shop.create_product("Flash Sale")
    shop.delete_product(product["id"])
    answer = httpx.put(
        f"{shop.base_url}/wp-json/wc/v3/products/{product['id']}", auth=(KEY, SECRET), json={"meta_data": []}
    )
    assert (answer.status_code, answer.json()["code"]) == (400, "woocommerce_rest_product_invalid_id")

    with pytest.raises(ProductGone):
        publisher.attach(request_for(product))


@pytest.mark.parametrize(
    ("credentials", "said"),
    [
        (ShopCredentials(consumer_key=KEY, consumer_secret="cs_" + "00" * 20), "Consumer secret is invalid"),
        (
            ShopCredentials(consumer_key="ck_" + "ff" * 20, consumer_secret=SECRET),
            "woocommerce_rest_cannot_edit",
        ),
    ],
    ids=["wrong-secret", "unknown-key"],
)
def test_a_rejected_key_is_refused_with_a_clear_reason_and_no_credential(shop, publisher, credentials, said):
    product = shop.create_product("Canvas Bag")
    request = request_for(product, credentials=credentials)

    with pytest.raises(PublishRefused) as refused:
        publisher.attach(request)

    reason = refused.value.reason
    assert reason.startswith("consumer key rejected: HTTP 401") and said in reason
    for secret_part in (credentials.consumer_key, credentials.consumer_secret, KEY, SECRET):
        assert secret_part not in reason and secret_part not in str(refused.value)
    assert shop.product(product["id"])["meta_data"] == []


def test_missing_credentials_are_refused_before_any_call(shop, publisher):
    product = shop.create_product("Tea Towel")

    with pytest.raises(PublishRefused, match="no WooCommerce consumer key and secret"):
        publisher.attach(request_for(product, credentials=ShopCredentials(consumer_key=KEY)))

    assert shop.woo_admin.calls() == {}


def test_a_read_only_key_can_find_but_its_attach_is_refused(shop, publisher):
    product = shop.create_product("Tin Cup")
    shop.woo_admin.set_api_key(permissions="read")
    request = request_for(product)

    assert publisher.find(request) is None
    with pytest.raises(PublishRefused, match="does not have write permissions"):
        publisher.attach(request)


def test_a_throttled_store_says_when_to_come_back_then_takes_the_attach(shop, publisher):
    product = shop.create_product("Beanie")
    request = request_for(product)
    shop.woo_admin.set_faults(throttle_next=1, retry_after_seconds=7)

    with pytest.raises(ShopThrottled) as throttled:
        publisher.attach(request)

    assert throttled.value.retry_after == 7.0
    assert shop.product(product["id"])["meta_data"] == []
    assert publisher.attach(request).progress is MediaProgress.READY


def test_an_outage_is_unavailable_and_safe_to_repeat(shop, publisher):
    product = shop.create_product("Scarf")
    request = request_for(product)
    shop.woo_admin.set_faults(outage_next=2)

    with pytest.raises(ShopUnavailable, match="HTTP 503"):
        publisher.find(request)
    with pytest.raises(ShopUnavailable, match="HTTP 503"):
        publisher.attach(request)
    assert publisher.attach(request).progress is MediaProgress.READY


def test_a_store_that_does_not_answer_is_unavailable():
    with LocalShop(ShopConfig(platform="woocommerce")) as gone:
        base_url = gone.base_url
        product = gone.create_product("Ghost")
    publisher = WooCommercePublisher(base_url_override=base_url)

    with pytest.raises(ShopUnavailable, match="could not be reached"):
        publisher.find(request_for(product))


def test_the_local_shop_refuses_malformed_bodies_like_wordpress(shop, caplog):
    # httpx logs each request's URL at INFO, and one request here carries the key in its query
    # string (as WooCommerce allows): the suite's secret scan would rightly refuse that line.
    # (The shop's own request log drops query strings.)
    caplog.set_level(logging.WARNING, logger="httpx")
    product = shop.create_product("Sock")
    url = f"{shop.base_url}/wp-json/wc/v3/products/{product['id']}"
    bad = [
        (b"{not json", "rest_invalid_json"),
        (b'{"meta_data": {"key": "a"}}', "rest_invalid_param"),
        (b'{"meta_data": [{"value": "no key"}]}', "rest_invalid_param"),
        (b'{"description": 7}', "rest_invalid_param"),
    ]
    for body, code in bad:
        answer = httpx.put(
            url, auth=(KEY, SECRET), content=body, headers={"Content-Type": "application/json"}
        )
        assert (answer.status_code, answer.json()["code"]) == (400, code), body
    assert shop.product(product["id"])["meta_data"] == []
    token = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    # An anonymous request for a product that exists is 401; the query-string key works too.
    assert httpx.get(url).json()["code"] == "woocommerce_rest_cannot_view"
    assert httpx.get(url, headers={"Authorization": f"Basic {token}"}).status_code == 200
    assert httpx.get(url, params={"consumer_key": KEY, "consumer_secret": SECRET}).status_code == 200


def test_the_local_shop_merges_meta_data_by_key_and_sends_product_updated(shop):
    product = shop.create_product("Boot")
    url = f"{shop.base_url}/wp-json/wc/v3/products/{product['id']}"
    put = lambda entries: httpx.put(url, auth=(KEY, SECRET), json={"meta_data": entries}).json()  # noqa: E731

    first = put([{"key": "colour", "value": "red"}, {"key": "size", "value": "42"}])
    colour_id = next(entry["id"] for entry in first["meta_data"] if entry["key"] == "colour")
    second = put([{"key": "colour", "value": "blue"}, {"key": "size", "value": None}])

    assert second["meta_data"] == [{"id": colour_id, "key": "colour", "value": "blue"}]
    assert second["date_modified"] >= first["date_created"]
