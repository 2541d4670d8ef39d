"""The delivery worker connects to the address it checked, follows no redirect, refuses hostile URLs.

DNS is the one thing no emulator covers here, so `socket.getaddrinfo` is patched to play a
rebinding resolver, and `socket.create_connection` is wrapped so that any connection to an
address off this machine is refused before a packet leaves: the tests see where the worker
tried to connect without ever sending traffic anywhere but 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import urllib3.util.connection

from reelay.config import settings
from reelay.deps import Deps
from reelay.logic.deliver import DeliveryResult, deliver
from reelay.logic.tenants import NewTenant, create_tenant
from reelay.models.events import event_id
from reelay.models.jobs import DeliveryJob
from reelay.models.task import Task
from reelay_local.consumers.webhook_receiver import WebhookReceiver
from tests.integration.pipeline import stored
from tests.unit.test_url_guard import REFUSED

REPO_ROOT = Path(__file__).resolve().parents[2]
REBINDING_HOST = "hooks.rebinding.test"
PUBLIC_ADDRESS = "93.184.216.34"  # what the name answers first: a public address, so the guard passes it


class Network:
    """A resolver that answers REBINDING_HOST differently on each look-up, and a record of connects."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, answers: list[str]) -> None:
        self.answers = answers
        self.lookups: list[str] = []
        self.connects: list[tuple[str, int]] = []
        real_getaddrinfo, real_connect = socket.getaddrinfo, socket.create_connection

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if host != REBINDING_HOST:
                return real_getaddrinfo(host, port, *args, **kwargs)
            self.lookups.append(host)
            address = self.answers[min(len(self.lookups), len(self.answers)) - 1]
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port)))]

        def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
            self.connects.append((address[0], address[1]))
            try:
                on_this_machine = ipaddress.ip_address(address[0]).is_loopback
            except ValueError:
                on_this_machine = False  # a name: the worker should never connect to one
            if not on_this_machine:
                raise ConnectionRefusedError(f"test network: nothing leaves this machine ({address[0]})")
            return real_connect(address, *args, **kwargs)

        def urllib3_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
            # The webhook sender connects through urllib3, whose own create_connection does not
            # call socket.create_connection: record and fence it the same way.
            self.connects.append((address[0], address[1]))
            if not ipaddress.ip_address(address[0]).is_loopback:
                raise ConnectionRefusedError(f"test network: nothing leaves this machine ({address[0]})")
            return real_urllib3_connect(address, *args, **kwargs)

        real_urllib3_connect = urllib3.util.connection.create_connection
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket, "create_connection", create_connection)
        monkeypatch.setattr(urllib3.util.connection, "create_connection", urllib3_connection)


class CountingServer:
    """A loopback HTTP server that answers every request with `status` (and `location`), counting hits."""

    def __init__(
        self, status: int = 200, location: str | None = None, host: str = "127.0.0.1", port: int = 0
    ):
        self.hits: list[tuple[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.hits.append((self.command, self.path))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _answer

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer((host, port), Handler)
        threading.Thread(target=self._server.serve_forever, name="counting-server", daemon=True).start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/hooks/reelay") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def deps(embedded: Any) -> Deps:
    """The embedded stack's own settings: loopback receivers allowed, nothing else internal."""
    return Deps()


@pytest.fixture
def tenant(deps: Deps) -> NewTenant:
    return create_tenant("Acme", deps)


@pytest.fixture
def counting() -> Iterator[list[CountingServer]]:
    servers: list[CountingServer] = []
    yield servers
    for server in servers:
        server.close()


def deliver_to(url: str, tenant: NewTenant, deps: Deps, task_id: str = "pinned-1") -> Any:
    task = Task(
        id=task_id,
        tenant_id=tenant.tenant.tenant_id,
        product_url="https://cdn.example.com/p.png",
        status="video_generated",
        webhook_url=url,
    )
    deps.tasks.create(task, stays_open=False)
    return deliver(DeliveryJob(task_id=task.id, event_id=event_id(task.id, task.status)), deps)


def test_a_name_that_rebinds_to_loopback_after_the_check_is_never_connected_to(monkeypatch, deps, tenant):
    network = Network(monkeypatch, answers=[PUBLIC_ADDRESS, "127.0.0.1"])
    with WebhookReceiver(secret=tenant.webhook_secret) as receiver:
        port = int(receiver.url.split(":")[2].split("/")[0])
        outcome = deliver_to(f"http://{REBINDING_HOST}:{port}/hooks/reelay", tenant, deps)

    assert network.lookups == [REBINDING_HOST]  # resolved once, by the check
    assert network.connects == [(PUBLIC_ADDRESS, port)]  # the checked address, and nothing else
    assert receiver.received == []  # the loopback listener the name pointed to later got nothing
    assert outcome.result == DeliveryResult.RETRY_SCHEDULED
    assert stored("pinned-1").last_delivery["error"] == "ConnectError"


def test_the_post_goes_to_the_checked_address_and_still_names_the_host(monkeypatch, deps, tenant, counting):
    # Checked: 127.0.0.1 (the receiver). Later look-ups would say 127.0.0.2, where another server
    # listens on the same port and counts what reaches it.
    with WebhookReceiver(secret=tenant.webhook_secret) as receiver:
        port = int(receiver.url.split(":")[2].split("/")[0])
        counting.append(elsewhere := CountingServer(host="127.0.0.2", port=port))
        network = Network(monkeypatch, answers=["127.0.0.1", "127.0.0.2"])
        outcome = deliver_to(f"http://{REBINDING_HOST}:{port}/hooks/reelay", tenant, deps)

    assert outcome.result == DeliveryResult.DELIVERED
    assert network.lookups == [REBINDING_HOST]
    assert network.connects == [("127.0.0.1", port)]
    assert elsewhere.hits == []
    assert len(receiver.received) == 1
    (received,) = receiver.received
    assert received.verified
    assert received.headers["host"] == f"{REBINDING_HOST}:{port}"


def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(deps, tenant, counting):
    counting.append(target := CountingServer(status=200))
    counting.append(redirector := CountingServer(status=302, location=target.url("/elsewhere")))

    outcome = deliver_to(redirector.url(), tenant, deps)

    assert redirector.hits == [("POST", "/hooks/reelay")]
    assert target.hits == []
    assert outcome.result == DeliveryResult.RETRY_SCHEDULED
    assert outcome.status_code == 302
    assert stored("pinned-1").last_delivery["status_code"] == 302


@pytest.mark.parametrize("allow_loopback", [False, True], ids=["strict", "embedded-stack"])
def test_every_hostile_url_form_is_refused_at_delivery_without_a_connection(
    monkeypatch, embedded, allow_loopback
):
    # The embedded stack's own settings, or the same with its loopback allowance taken away.
    deps = (
        Deps()
        if allow_loopback
        else Deps(config=dataclasses.replace(settings(), allow_loopback_webhooks=False))
    )
    tenant = create_tenant("Acme", deps)
    network = Network(monkeypatch, answers=[PUBLIC_ADDRESS])
    hostile = [(url, reason) for url, reason in REFUSED if not (allow_loopback and reason == "loopback")]
    assert len(hostile) >= 15

    for n, (url, reason) in enumerate(hostile):
        outcome = deliver_to(url, tenant, deps, task_id=f"hostile-{n}")
        assert outcome.result == DeliveryResult.REFUSED, url
        last = stored(f"hostile-{n}").last_delivery
        assert last["result"] == "refused" and reason in last["error"], (url, last)

    assert network.connects == []


def test_the_embedded_stack_allows_loopback_by_an_explicit_switch_the_template_never_sets(embedded):
    # The local stack's receivers are on 127.0.0.1: it turns on the loopback allowance (and only
    # that; the test above shows every other internal form still refused). A deployed stack
    # gets its settings from the template, which never names the switch.
    assert settings().allow_loopback_webhooks is True
    assert all(
        "REELAY_ALLOW_LOOPBACK_WEBHOOKS" not in f.environment for f in embedded.deployed.functions.values()
    )
    assert "REELAY_ALLOW_LOOPBACK_WEBHOOKS" not in (REPO_ROOT / "template.yaml").read_text()
