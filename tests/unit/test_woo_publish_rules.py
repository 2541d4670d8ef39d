"""WooCommerce write-back rules that need no HTTP: the description block, Retry-After, the URL guard
in front of every call, the local shop's meta merge and its product-page rendering."""

from __future__ import annotations

import pytest
import urllib3.util.connection

from reelay.clients.http_answer import Answer
from reelay.clients.woocommerce_admin import (
    MAX_RETRY_AFTER,
    WooCommercePublisher,
    _retry_after,
    holds_video_block,
    video_block,
    with_video_block,
)
from reelay.ports.shop_publishing import PublishRefused, PublishRequest, ShopCredentials
from reelay_local.simulators.shop.woo_admin import merge_meta, render_product_video

URL = "https://api.reelay.example/media/t-1/video?sig=abc"
NEW_URL = "https://api.reelay.example/media/t-2/video?sig=def"


def test_the_block_is_a_core_video_block_marked_as_reelays():
    assert video_block(URL) == (
        '<!-- wp:video {"className":"reelay-video"} -->\n'
        f'<figure class="wp-block-video reelay-video"><video controls src="{URL}"></video></figure>\n'
        "<!-- /wp:video -->"
    )
    assert 'src="https://x.example/v?a=1&amp;b=&quot;2&quot;"' in video_block('https://x.example/v?a=1&b="2"')


@pytest.mark.parametrize("description", ["", "   ", "<p>Soft cotton.</p>"])
def test_the_block_goes_at_the_end_and_the_text_before_it_stays(description):
    updated = with_video_block(description, URL)

    assert updated.endswith(video_block(URL))
    assert updated.startswith(description.strip())
    assert holds_video_block(updated, URL) and not holds_video_block(updated, NEW_URL)


def test_a_new_video_replaces_reelays_block_in_place_and_drops_stray_copies():
    core_block = (
        '<!-- wp:video -->\n<figure class="wp-block-video"><video src="/own.mp4"></video></figure>\n'
        "<!-- /wp:video -->"
    )
    description = f"<p>A</p>\n{video_block(URL)}\n<p>B</p>\n{core_block}\n{video_block(URL)}"

    updated = with_video_block(description, NEW_URL)

    assert updated == f"<p>A</p>\n{video_block(NEW_URL)}\n<p>B</p>\n{core_block}\n"
    assert with_video_block(updated, NEW_URL) == updated


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7", 7.0), ("0", 1.0), ("86400", MAX_RETRY_AFTER), ("soon", 30.0), (None, 30.0)],
)
def test_retry_after_is_read_in_seconds_within_bounds(value, expected):
    headers = {"Retry-After": value} if value is not None else {}
    assert _retry_after(Answer(429, "Too Many Requests", headers, b"")) == expected


def test_retry_after_as_an_http_date_counts_from_now():
    assert _retry_after(_throttled("Wed, 21 Oct 2015 07:28:00 GMT")) == 1.0


def _throttled(retry_after: str) -> Answer:
    return Answer(429, "Too Many Requests", {"Retry-After": retry_after}, b"")


@pytest.fixture(autouse=True)
def no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection the publisher opens (through urllib3) fails the test: none may be made."""

    def refuse(address: tuple[str, int], *args: object, **kwargs: object) -> None:
        raise AssertionError(f"no request may leave: {address}")

    monkeypatch.setattr(urllib3.util.connection, "create_connection", refuse)


def _request(**changes: object) -> PublishRequest:
    fields: dict = {
        "task_id": "t-1",
        "shop": "https://shop.example",
        "product_id": "101",
        "credentials": ShopCredentials(consumer_key="ck_1", consumer_secret="cs_1"),
        "alt": "Mug",
        "video_url": URL,
    }
    return PublishRequest(**{**fields, **changes})


@pytest.mark.parametrize(
    "shop",
    [
        "https://10.0.0.7",
        "https://192.168.1.20/shop",
        "https://169.254.169.254",
        "https://127.0.0.1:8443",
        "https://[::1]",
        "https://[fd00:ec2::254]",
    ],
)
def test_a_store_url_off_the_public_internet_is_refused_before_any_connection(shop):
    publisher = WooCommercePublisher()

    for step in (publisher.find, publisher.attach):
        with pytest.raises(PublishRefused, match="site URL is refused"):
            step(_request(shop=shop))


def test_the_local_override_opens_loopback_only_not_private_addresses():
    publisher = WooCommercePublisher(base_url_override="http://10.1.2.3:8080")

    with pytest.raises(PublishRefused, match="resolves to a private address"):
        publisher.find(_request())


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"shop": "http://shop.example"}, "must be https"),
        ({"product_id": "gid://shopify/Product/1"}, "not a WooCommerce product id"),
        ({"video_url": None}, "no lasting link"),
        ({"settings": {"video_meta_key": "wp_video"}}, "starts with wp_"),
    ],
)
def test_requests_that_can_never_work_are_refused_before_any_connection(changes, said):
    publisher = WooCommercePublisher()

    with pytest.raises(PublishRefused, match=said):
        publisher.attach(_request(**changes))


def test_meta_merges_by_id_then_by_key_and_a_null_value_deletes():
    ids = iter(range(10, 100))
    meta = [
        {"id": 1, "key": "a", "value": "1"},
        {"id": 2, "key": "b", "value": "2"},
        {"id": 3, "key": "b", "value": "3"},
    ]

    merge_meta(meta, {"key": "b", "value": "new"}, lambda: next(ids))
    merge_meta(meta, {"id": 1, "key": "a2", "value": "renamed"}, lambda: next(ids))
    merge_meta(meta, {"key": "c", "value": "added"}, lambda: next(ids))
    merge_meta(meta, {"key": "gone", "value": None}, lambda: next(ids))

    assert meta == [
        {"id": 1, "key": "a2", "value": "renamed"},
        {"id": 2, "key": "b", "value": "new"},
        {"id": 10, "key": "c", "value": "added"},
    ]
    merge_meta(meta, {"key": "c", "value": None}, lambda: next(ids))
    assert [entry["key"] for entry in meta] == ["a2", "b"]


def test_the_product_page_shows_the_meta_video_and_the_description():
    product = {
        "description": f"<p>Mug.</p>\n{video_block(URL)}",
        "meta_data": [
            {"id": 1, "key": "other", "value": "x"},
            {"id": 2, "key": "reelay_video_url", "value": URL},
        ],
    }

    page = render_product_video(product)

    assert f'<video controls preload="metadata" src="{URL}"></video>' in page
    assert video_block(URL) in page and "<p>Mug.</p>" in page
    assert render_product_video({"description": "", "meta_data": []}) == ""
    assert "<video" not in render_product_video(
        {"meta_data": [{"key": "reelay_video_url", "value": "javascript:x"}]}
    )
