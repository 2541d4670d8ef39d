"""The Creatify simulator sends nothing off this machine: product images and webhooks on loopback only.

`socket.getaddrinfo` answers the test's made-up names (no emulator covers DNS), and
`socket.create_connection` records every connection and refuses any that would leave the
machine, so a test sees an attempt without one packet going anywhere but 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from reelay_local.simulators.creatify import CreatifySimulator, SimulatorConfig, media

AUTH = {"X-API-ID": "sim-api-id", "X-API-KEY": "sim-api-key"}
PUBLIC_ADDRESS = "93.184.216.34"
NAMES = {"cdn.shop.test": [PUBLIC_ADDRESS], "mixed.shop.test": ["127.0.0.1", PUBLIC_ADDRESS]}


class Network:
    """Made-up names answered from NAMES (`rebinding`: a new answer per look-up); connects recorded."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, rebinding: list[str] | None = None) -> None:
        self.connects: list[str] = []
        self.lookups = 0
        real_getaddrinfo, real_connect = socket.getaddrinfo, socket.create_connection

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if host == "rebinding.shop.test" and rebinding:
                self.lookups += 1
                addresses = [rebinding[min(self.lookups, len(rebinding)) - 1]]
            elif host in NAMES:
                addresses = NAMES[host]
            else:
                return real_getaddrinfo(host, port, *args, **kwargs)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, int(port))) for a in addresses]

        def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
            self.connects.append(address[0])
            try:
                on_this_machine = ipaddress.ip_address(address[0]).is_loopback
            except ValueError:
                on_this_machine = False
            if not on_this_machine:
                raise ConnectionRefusedError(f"test network: nothing leaves this machine ({address[0]})")
            return real_connect(address, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket, "create_connection", create_connection)

    def off_machine(self) -> list[str]:
        return [a for a in self.connects if not _loopback(a)]


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


class ImageHost:
    """A loopback server: GET /redirect?to=URL answers 302 there; anything else is a PNG; hits counted."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host.hits.append(self.path)
                if self.path.startswith("/redirect?to="):
                    self.send_response(302)
                    self.send_header("Location", self.path.removeprefix("/redirect?to="))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = media.sample_product_png("mug")
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                host.hits.append(self.path)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


@pytest.fixture
def sim() -> Iterator[CreatifySimulator]:
    with CreatifySimulator(SimulatorConfig(image_seconds=0.05, video_seconds=0.05, media_size=128)) as s:
        yield s


@pytest.fixture
def host() -> Iterator[ImageHost]:
    server = ImageHost()
    yield server
    server.server.shutdown()
    server.server.server_close()


def preview_of(sim: CreatifySimulator, product_url: str, **fields: Any) -> tuple[dict[str, Any], bytes]:
    """Start an image stage on the simulator and wait for its preview; the task and the JPEG."""
    with httpx.Client(base_url=sim.base_url, headers=AUTH, timeout=10, trust_env=False) as client:
        body = {"product_url": product_url, **fields}
        answer = client.post("/api/product_to_videos/gen_image/", json=body)
        assert answer.status_code == 200, answer.text
        task_id = answer.json()["id"]
        for _ in range(500):
            task = client.get(f"/api/product_to_videos/{task_id}/").json()
            if task["status"] in ("image_generated", "failed"):
                break
            threading.Event().wait(0.01)
        assert task["status"] == "image_generated", task
        return task, client.get(task["generated_photo_url"]).content


def stand_in_preview(task: dict[str, Any], size: int = 128) -> bytes:
    """What the simulator draws with no product image: the preview with a labelled stand-in box."""
    request = media.PreviewRequest(
        variant_key=task["id"],
        aspect_ratio=task["aspect_ratio"],
        product_name=media.product_name_from_url(task["product_url"]),
    )
    return media.render_preview_jpeg(request, None, size)


@pytest.mark.parametrize(
    "product_url",
    [
        "https://cdn.shop.test/products/red-sneaker.png",  # a name that resolves off the machine
        "http://mixed.shop.test/products/red-sneaker.png",  # one address on loopback, one not
        "http://10.0.0.5/products/red-sneaker.png",
        "http://169.254.169.254/latest/meta-data/red-sneaker.png",
        "http://[2002:a9fe:a9fe::1]/red-sneaker.png",
    ],
)
def test_a_product_url_off_this_machine_gets_a_stand_in_without_a_fetch(
    monkeypatch, caplog, sim, product_url
):
    network = Network(monkeypatch)
    with caplog.at_level(logging.INFO, logger=media.__name__):
        task, preview = preview_of(sim, product_url)

    assert network.off_machine() == []
    assert preview == stand_in_preview(task)
    assert any("drawing a stand-in" in record.getMessage() for record in caplog.records)


def test_a_loopback_product_image_is_fetched_and_used(sim, host):
    task, preview = preview_of(sim, host.url("/products/blue-mug.png"))

    assert host.hits == ["/products/blue-mug.png"]
    assert preview != stand_in_preview(task)


def test_a_redirect_on_loopback_is_followed_and_one_off_it_is_not(monkeypatch, sim, host):
    network = Network(monkeypatch)
    on_machine = host.url("/redirect?to=" + host.url("/products/blue-mug.png"))
    task, preview = preview_of(sim, on_machine)
    assert preview != stand_in_preview(task)

    away = host.url("/redirect?to=https://cdn.shop.test/products/blue-mug.png")
    task, preview = preview_of(sim, away)

    assert preview == stand_in_preview(task)
    assert network.off_machine() == []
    assert host.hits.count("/redirect?to=https://cdn.shop.test/products/blue-mug.png") == 1


def test_the_fetch_connects_to_the_address_it_checked(monkeypatch, sim, host):
    network = Network(monkeypatch, rebinding=["127.0.0.1", PUBLIC_ADDRESS])
    task, preview = preview_of(sim, host.url("/products/blue-mug.png", host="rebinding.shop.test"))

    assert network.lookups == 1
    assert network.connects.count(PUBLIC_ADDRESS) == 0
    assert host.hits == ["/products/blue-mug.png"]
    assert preview != stand_in_preview(task)


def test_webhooks_go_to_loopback_only(monkeypatch, sim, host):
    network = Network(monkeypatch)
    preview_of(sim, sim.sample_product_url(), webhook_url="https://cdn.shop.test/hooks")
    preview_of(sim, sim.sample_product_url(), webhook_url=host.url("/hooks"))

    sent = {record.url: record for record in _wait_for_webhooks(sim, 2)}
    assert sent["https://cdn.shop.test/hooks"].status_code is None
    assert "refused" in (sent["https://cdn.shop.test/hooks"].error or "")
    assert sent[host.url("/hooks")].status_code == 200
    assert host.hits == ["/hooks"]
    assert network.off_machine() == []


def _wait_for_webhooks(sim: CreatifySimulator, count: int) -> list[Any]:
    for _ in range(500):
        records = sim.webhooks_sent
        if len(records) >= count:
            return records
        threading.Event().wait(0.01)
    raise AssertionError(f"fewer than {count} webhooks: {sim.webhooks_sent}")
