"""The shop simulator over real HTTP: webhook formats and signatures, each platform's delivery rules,
the photos it serves, and its /_shop admin API. A receiver in the test plays the hook.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from PIL import Image

from reelay_local.simulators.shop import (
    HookAddressRefused,
    LocalShop,
    ShopConfig,
    WebhookPingFailed,
)

SECRET = "shpss_test_secret"
SHOPIFY_PRODUCT_FIELDS = {
    "id", "title", "body_html", "vendor", "product_type", "created_at", "handle", "updated_at",
    "published_at", "tags", "status", "admin_graphql_api_id", "variants", "options", "images", "image",
}  # fmt: skip
SHOPIFY_IMAGE_FIELDS = {
    "id", "product_id", "position", "created_at", "updated_at", "alt", "width", "height", "src",
    "variant_ids", "admin_graphql_api_id",
}  # fmt: skip
WOO_PRODUCT_FIELDS = {
    "id", "name", "slug", "permalink", "date_created", "date_modified", "type", "status", "description",
    "short_description", "sku", "price", "regular_price", "categories", "tags", "images", "attributes",
    "meta_data",
}  # fmt: skip
WOO_IMAGE_FIELDS = {"id", "date_created", "date_modified", "src", "name", "alt"}

# What the receiver answers: a status, or (seconds to wait first, status).
Answer = int | tuple[float, int]


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A webhook endpoint on 127.0.0.1 that records every POST and answers what `answer` says."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answer: Callable[[Received], Answer] = lambda request: 200
        self.in_flight = 0
        self.max_in_flight = 0
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = Received({k.lower(): v for k, v in self.headers.items()}, body)
                with receiver._arrived:
                    receiver.received.append(request)
                    receiver.in_flight += 1
                    receiver.max_in_flight = max(receiver.max_in_flight, receiver.in_flight)
                    receiver._arrived.notify_all()
                answer = receiver.answer(request)
                delay, status = answer if isinstance(answer, tuple) else (0.0, answer)
                time.sleep(delay)
                with receiver._arrived:
                    receiver.in_flight -= 1
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the shop gave up waiting (the timeout test)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/shop"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        with self._arrived:
            assert self._arrived.wait_for(lambda: len(self.received) >= count, timeout), (
                f"expected {count} requests, got {len(self.received)}"
            )
            return list(self.received)

    def topic(self, topic: str) -> list[Received]:
        with self._arrived:
            return [
                r
                for r in self.received
                if topic in (r.header("X-Shopify-Topic"), r.header("X-WC-Webhook-Topic"))
            ]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.close()


def start_shop(platform: str = "shopify", **settings: Any) -> LocalShop:
    return LocalShop(ShopConfig(platform=platform, retry_base_seconds=0.01, **settings)).start()


@pytest.fixture
def shopify() -> Iterator[LocalShop]:
    with start_shop("shopify") as shop:
        yield shop


@pytest.fixture
def woo() -> Iterator[LocalShop]:
    with start_shop("woocommerce") as shop:
        yield shop


def signature(secret: str, body: bytes) -> str:
    # Written here from the platforms' docs, not imported, so the test checks the simulator.
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


# --------------------------------------------------------------------------- Shopify


def test_shopify_products_create_is_signed_over_the_exact_body_and_carries_the_rest_product(
    shopify: LocalShop, receiver: Receiver
):
    shopify.configure_webhook(receiver.url, SECRET)
    title = "Café <Trail> Runner / 跑鞋"
    created = shopify.create_product(
        title, product_type="Shoes", vendor="Acme", tags=["trail", "red"], images=2
    )

    (request,) = receiver.wait_for(1)
    assert request.header("X-Shopify-Hmac-Sha256") == signature(SECRET, request.body)
    assert request.header("Content-Type") == "application/json"
    assert request.header("X-Shopify-Topic") == "products/create"
    assert request.header("X-Shopify-Shop-Domain") == "reelay-demo.myshopify.com"
    assert request.header("X-Shopify-API-Version") == "2025-07"
    uuid.UUID(request.header("X-Shopify-Webhook-Id"))
    assert request.header("X-Shopify-Event-Id")
    datetime.fromisoformat(request.header("X-Shopify-Triggered-At"))
    # Rails escapes '<' and '/', so only the raw bytes verify; re-serialised JSON would not.
    assert b"\\u003cTrail\\u003e" in request.body and b"\\/" in request.body

    product = request.json()
    assert product == created
    assert set(product) >= SHOPIFY_PRODUCT_FIELDS
    assert product["title"] == title and product["vendor"] == "Acme" and product["product_type"] == "Shoes"
    assert isinstance(product["id"], int) and product["id"] > 2**32
    assert product["tags"] == "red, trail"
    assert product["admin_graphql_api_id"] == f"gid://shopify/Product/{product['id']}"
    assert len(product["variants"]) == 1 and product["variants"][0]["product_id"] == product["id"]
    assert [image["position"] for image in product["images"]] == [1, 2]
    for image in product["images"]:
        assert set(image) == SHOPIFY_IMAGE_FIELDS
        assert image["product_id"] == product["id"]
        assert image["src"].startswith(shopify.base_url + "/")
        assert "?v=" in image["src"]
    assert product["image"] == product["images"][0]


def test_shopify_retries_a_failed_delivery_with_the_same_webhook_id_and_body_until_it_succeeds(
    shopify: LocalShop, receiver: Receiver
):
    answers = iter([500, 503])
    receiver.answer = lambda request: next(answers, 200)
    shopify.configure_webhook(receiver.url, SECRET)
    product = shopify.create_product("Retry Mug")

    requests = receiver.wait_for(3)
    assert shopify.wait_for_deliveries(5)
    assert len({r.header("X-Shopify-Webhook-Id") for r in requests}) == 1
    assert len({r.header("X-Shopify-Event-Id") for r in requests}) == 1
    assert len({r.body for r in requests}) == 1
    assert all(r.header("X-Shopify-Hmac-Sha256") == signature(SECRET, r.body) for r in requests)
    attempts = shopify.deliveries
    assert [(a.attempt, a.status_code, a.ok) for a in attempts] == [
        (1, 500, False),
        (2, 503, False),
        (3, 200, True),
    ]
    assert {a.product_id for a in attempts} == {product["id"]}
    assert {a.delivery_id for a in attempts} == {requests[0].header("X-Shopify-Webhook-Id")}


def test_shopify_counts_a_receiver_slower_than_the_timeout_as_failed_and_retries_it(receiver: Receiver):
    answers = iter([(1.0, 200)])
    receiver.answer = lambda request: next(answers, 200)
    with start_shop("shopify", timeout_seconds=0.3) as shop:
        shop.configure_webhook(receiver.url, SECRET)
        shop.create_product("Slow Lamp")
        assert shop.wait_for_deliveries(5)
        attempts = shop.deliveries
    first, last = attempts[0], attempts[-1]
    assert (first.attempt, first.ok, first.status_code) == (1, False, None)
    assert "timeout" in (first.error or "")
    assert last.attempt > 1 and last.ok and last.status_code == 200
    assert {a.delivery_id for a in attempts} == {first.delivery_id}
    assert len(receiver.received) == len(attempts)


def test_shopify_gives_up_after_the_configured_retries(receiver: Receiver):
    receiver.answer = lambda request: 500
    with start_shop("shopify", max_retries=3) as shop:
        shop.configure_webhook(receiver.url, SECRET)
        shop.create_product("Doomed Vase")
        assert shop.wait_for_deliveries(5)
        assert [a.attempt for a in shop.deliveries] == [1, 2, 3, 4]
        assert shop.pending_deliveries == 0
    assert len(receiver.received) == 4


def test_shopify_product_created_without_images_is_followed_by_an_update_carrying_the_image(
    shopify: LocalShop, receiver: Receiver
):
    shopify.configure_webhook(receiver.url, SECRET)
    created = shopify.create_product("Bare Kettle", images=0)
    (create,) = receiver.wait_for(1)
    assert create.json()["images"] == [] and create.json()["image"] is None
    assert created["images"] == []

    updated = shopify.add_image(created["id"], alt="Kettle, front")
    receiver.wait_for(2)
    (update,) = receiver.topic("products/update")
    assert update.header("X-Shopify-Hmac-Sha256") == signature(SECRET, update.body)
    assert update.header("X-Shopify-Webhook-Id") != create.header("X-Shopify-Webhook-Id")
    product = update.json()
    assert product == updated
    assert len(product["images"]) == 1 and product["image"] == product["images"][0]
    assert product["image"]["alt"] == "Kettle, front"
    assert httpx.get(product["image"]["src"]).status_code == 200


def test_shopify_update_product_sends_products_update_with_the_new_fields(
    shopify: LocalShop, receiver: Receiver
):
    shopify.configure_webhook(receiver.url, SECRET, topics=["products/update"])
    product = shopify.create_product("Old Name", tags="a, b")
    shopify.update_product(product["id"], title="New Name", price=24.5, tags=["c"])
    (update,) = receiver.wait_for(1)
    assert shopify.wait_for_deliveries(5)
    assert len(receiver.received) == 1, "subscribed to products/update only"
    body = update.json()
    assert (body["title"], body["tags"], body["variants"][0]["price"]) == ("New Name", "c", "24.50")
    assert body["handle"] == "old-name", "Shopify keeps the handle when the title changes"


# --------------------------------------------------------------------------- WooCommerce


def test_woocommerce_pings_unsigned_when_a_webhook_is_saved_then_signs_product_created(
    woo: LocalShop, receiver: Receiver
):
    webhook = woo.configure_webhook(receiver.url, SECRET)
    (ping,) = receiver.wait_for(1)
    assert ping.header("Content-Type") == "application/x-www-form-urlencoded"
    assert parse_qs(ping.body.decode()) == {"webhook_id": [str(webhook.id)]}
    assert ping.header("X-WC-Webhook-Signature") is None

    created = woo.create_product(
        "Ceramic Bowl é", product_type="Kitchen", tags=["bowl"], sku="CB-1", images=1
    )
    _, delivery = receiver.wait_for(2)
    assert delivery.header("X-WC-Webhook-Signature") == signature(SECRET, delivery.body)
    assert delivery.header("Content-Type") == "application/json"
    assert delivery.header("X-WC-Webhook-Source") == woo.base_url + "/"
    assert delivery.header("X-WC-Webhook-Topic") == "product.created"
    assert delivery.header("X-WC-Webhook-Resource") == "product"
    assert delivery.header("X-WC-Webhook-Event") == "created"
    assert delivery.header("X-WC-Webhook-ID") == str(webhook.id)
    assert delivery.header("X-WC-Webhook-Delivery-ID")
    product = delivery.json()
    assert product == created
    assert set(product) >= WOO_PRODUCT_FIELDS
    assert (product["name"], product["type"], product["status"], product["sku"]) == (
        "Ceramic Bowl é",
        "simple",
        "publish",
        "CB-1",
    )
    assert [c["name"] for c in product["categories"]] == ["Kitchen"]
    assert [t["name"] for t in product["tags"]] == ["bowl"]
    (image,) = product["images"]
    assert set(image) >= WOO_IMAGE_FIELDS
    assert image["src"].startswith(woo.base_url + "/wp-content/uploads/")


def test_woocommerce_sends_a_new_delivery_id_each_time_and_never_retries_a_500(
    woo: LocalShop, receiver: Receiver
):
    first_delivery = threading.Event()

    def answer(request: Received) -> Answer:
        if request.header("X-WC-Webhook-Topic") and not first_delivery.is_set():
            first_delivery.set()
            return 500
        return 200

    receiver.answer = answer
    woo.configure_webhook(receiver.url, SECRET)
    failed = woo.create_product("Teapot")
    assert woo.wait_for_deliveries(5)
    woo.create_product("Teacup")
    assert woo.wait_for_deliveries(5)

    deliveries = receiver.topic("product.created")
    assert len(deliveries) == 2, "the 500 was not retried"
    assert len({d.header("X-WC-Webhook-Delivery-ID") for d in deliveries}) == 2
    events = [a for a in woo.deliveries if a.kind == "event"]
    assert [(a.attempt, a.status_code) for a in events] == [(1, 500), (1, 200)]
    assert events[0].product_id == failed["id"]


def test_woocommerce_refuses_to_save_a_webhook_whose_ping_is_not_answered_2xx(
    woo: LocalShop, receiver: Receiver
):
    receiver.answer = lambda request: 404
    with pytest.raises(WebhookPingFailed, match="returned response code: 404"):
        woo.configure_webhook(receiver.url, SECRET)
    assert woo.webhooks == []
    woo.create_product("Unheard Chair")
    assert woo.wait_for_deliveries(5)
    assert len(receiver.received) == 1, "only the ping"

    answer = httpx.post(f"{woo.base_url}/_shop/webhooks", json={"address": receiver.url})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "delivery_url_error"


def test_woocommerce_disables_a_webhook_after_repeated_failed_deliveries(receiver: Receiver):
    receiver.answer = lambda request: 200 if request.header("X-WC-Webhook-Topic") is None else 500
    with start_shop("woocommerce", woocommerce_max_failures=2) as shop:
        webhook = shop.configure_webhook(receiver.url, SECRET)
        for n in range(4):
            shop.create_product(f"Flaky {n}")
            assert shop.wait_for_deliveries(5)
        assert webhook.status == "disabled"
    assert len(receiver.topic("product.created")) == 3, "the third failure disabled it"


# --------------------------------------------------------------------------- both


@pytest.mark.parametrize("platform", ["shopify", "woocommerce"])
@pytest.mark.parametrize(
    "address", ["https://example.com/hooks", "http://10.1.2.3:8080/hook", "http://169.254.169.254/"]
)
def test_a_hook_address_off_the_machine_is_refused(platform: str, address: str):
    with start_shop(platform) as shop:
        with pytest.raises(HookAddressRefused, match="not on this machine"):
            shop.configure_webhook(address, SECRET)
        answer = httpx.post(f"{shop.base_url}/_shop/webhooks", json={"address": address, "secret": SECRET})
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "hook_address_refused"
        assert shop.webhooks == [] and shop.deliveries == []


@pytest.mark.parametrize("platform", ["shopify", "woocommerce"])
def test_product_photos_are_served_as_jpeg_and_png_and_differ_between_products(platform: str):
    with start_shop(platform, image_size=160) as shop:
        first = shop.create_product("Photo Stool", images=3)
        second = shop.create_product("Photo Stool", images=1)
        photos = []
        for image in first["images"]:
            answer = httpx.get(image["src"])
            assert answer.status_code == 200
            decoded = Image.open(io.BytesIO(answer.content))
            decoded.load()
            expected = {"image/jpeg": "JPEG", "image/png": "PNG"}[answer.headers["content-type"]]
            assert decoded.format == expected
            if platform == "shopify":
                assert decoded.size == (image["width"], image["height"])
            photos.append(answer.content)
        assert [Image.open(io.BytesIO(p)).format for p in photos] == ["JPEG", "PNG", "JPEG"]
        other = httpx.get(second["images"][0]["src"]).content
        assert other != photos[0], "two products never share a photo"
        assert httpx.get(shop.base_url + "/cdn/shop/files/missing-1.jpg").status_code == 404


def test_a_burst_of_products_is_delivered_concurrently_and_creating_them_does_not_wait(receiver: Receiver):
    receiver.answer = lambda request: (0.05, 200)
    with start_shop("shopify", workers=8) as shop:
        shop.configure_webhook(receiver.url, SECRET)
        started = time.perf_counter()
        ids = {shop.create_product(f"Burst {n}", images=1)["id"] for n in range(120)}
        creating = time.perf_counter() - started
        assert shop.wait_for_deliveries(10)
    # 120 deliveries at 50 ms each would take 6 s in a row; creating them must not wait for any.
    assert creating < 1.5
    assert {r.json()["id"] for r in receiver.received} == ids
    assert receiver.max_in_flight > 1


def test_stop_frees_the_port_and_drops_pending_retries(receiver: Receiver):
    receiver.answer = lambda request: 500
    shop = LocalShop(ShopConfig(retry_base_seconds=30)).start()
    port = int(shop.base_url.rsplit(":", 1)[1])
    shop.configure_webhook(receiver.url, SECRET)
    shop.create_product("Left Behind")
    receiver.wait_for(1)
    started = time.perf_counter()
    shop.stop()
    assert time.perf_counter() - started < 3, "a retry 30 s away does not hold stop()"
    shop.stop()  # twice is fine
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))
    assert len(receiver.received) == 1
    LocalShop().stop()  # never started: nothing to stop, no error


# --------------------------------------------------------------------------- the admin API over HTTP


def test_the_admin_api_drives_the_shop_from_another_client(receiver: Receiver):
    with start_shop("shopify") as shop, httpx.Client(base_url=shop.base_url) as client:
        assert client.get("/_shop/health").json()["platform"] == "shopify"
        hook = client.post("/_shop/webhooks", json={"address": receiver.url, "secret": SECRET})
        assert hook.status_code == 201 and hook.json()["topics"] == ["products/create", "products/update"]

        created = client.post(
            "/_shop/products", json={"title": "Curl Cap", "tags": "hat, cap", "images": 0, "price": "12"}
        )
        assert created.status_code == 201
        product_id = created.json()["id"]
        with_image = client.post(f"/_shop/products/{product_id}/images", json={"alt": "cap"})
        assert with_image.status_code == 201 and len(with_image.json()["images"]) == 1
        patched = client.patch(f"/_shop/products/{product_id}", json={"vendor": "Caps Inc"})
        assert patched.status_code == 200 and patched.json()["vendor"] == "Caps Inc"
        fetched = client.get(f"/_shop/products/{product_id}").json()
        assert fetched == patched.json()
        assert [p["id"] for p in client.get("/_shop/products").json()] == [product_id]
        assert client.get(fetched["image"]["src"]).status_code == 200

        report = client.get("/_shop/deliveries", params={"wait_seconds": 5}).json()
        assert report["pending"] == 0
        assert sorted(a["topic"] for a in report["attempts"]) == [
            "products/create",
            "products/update",
            "products/update",
        ]
        assert all(a["ok"] for a in report["attempts"])
        assert [w["address"] for w in client.get("/_shop/webhooks").json()] == [receiver.url]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("GET", "/_shop/products/999", None, 404, "product_not_found"),
        ("GET", "/_shop/products/abc", None, 404, "product_not_found"),
        ("POST", "/_shop/products/999/images", None, 404, "product_not_found"),
        ("PATCH", "/_shop/products/999", b'{"title": "x"}', 404, "product_not_found"),
        ("PATCH", "/_shop/products/999", b'{"product_id": 1}', 400, "invalid_input"),
        ("POST", "/_shop/products", b'{"title": "Mug",', 400, "invalid_input"),
        ("POST", "/_shop/products", b'["Mug"]', 400, "invalid_input"),
        ("POST", "/_shop/products", b"{}", 400, "invalid_input"),
        ("POST", "/_shop/products", b'{"title": "  "}', 400, "invalid_input"),
        ("POST", "/_shop/products", b'{"title": "Mug", "colour": "red"}', 400, "invalid_input"),
        ("POST", "/_shop/products", b'{"title": "Mug", "images": -1}', 400, "invalid_input"),
        ("POST", "/_shop/products", b'{"title": "Mug", "price": "cheap"}', 400, "invalid_input"),
        ("POST", "/_shop/webhooks", b'{"address": "https://example.com/h"}', 400, "hook_address_refused"),
        ("POST", "/_shop/webhooks", b"{}", 400, "invalid_input"),
        (
            "POST",
            "/_shop/webhooks",
            b'{"address": "http://127.0.0.1:1/", "topics": ["x"]}',
            400,
            "invalid_input",
        ),
        ("GET", "/_shop/deliveries?wait_seconds=soon", None, 400, "invalid_input"),
        ("DELETE", "/_shop/products", None, 405, "method_not_allowed"),
        ("GET", "/_shop/nothing", None, 404, "not_found"),
    ],
)
def test_the_admin_api_answers_bad_input_with_a_json_error(
    shopify: LocalShop, method: str, path: str, body: bytes | None, status: int, code: str
):
    shopify.create_product("Existing")
    answer = httpx.request(method, shopify.base_url + path, content=body)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/json"
    error = answer.json()["error"]
    assert error["code"] == code and error["message"]


def test_the_module_runs_a_shop_until_interrupted_and_prints_its_url_first():
    process = subprocess.Popen(
        [sys.executable, "-m", "reelay_local.simulators.shop", "--platform", "woocommerce"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        health = httpx.get(base_url + "/_shop/health").json()
        assert health == {"status": "ok", "platform": "woocommerce", "base_url": base_url}
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
