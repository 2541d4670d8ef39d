"""Webhook delivery off the caller's thread: a queue, a few workers, a retry timer and a log of attempts.

The admin call that changes a product only enqueues; `workers` threads post concurrently, so a
burst of 1,000 products reaches the receiver as a burst, as it would from the real platform. A
failed attempt (non-2xx, no connection, or no answer within the timeout) is put back on the
queue after `retry_base_seconds * 2 ** (attempt - 1)` while the delivery has retries left, with
the same body and headers. Every attempt is logged; `wait_idle` waits until nothing is queued,
in flight or waiting to be retried.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

import httpx

from reelay_local.simulators.creatify.outbound import outbound_client
from reelay_local.simulators.creatify.scheduler import Scheduler
from reelay_local.simulators.shop.errors import HookAddressRefused
from reelay_local.simulators.shop.events import Webhook
from reelay_local.simulators.shop.hook_address import check_hook_address

log = logging.getLogger(__name__)

STOP_WAIT_SECONDS = 1.0


@dataclass(frozen=True)
class DeliveryAttempt:
    """One POST the shop made (or refused to make) to a hook."""

    kind: Literal["event", "ping"]
    topic: str
    product_id: int | None
    webhook_id: int
    # X-Shopify-Webhook-Id or X-WC-Webhook-Delivery-ID; None for a ping.
    delivery_id: str | None
    address: str
    # 1 for the first try, 2 for the first retry, ...
    attempt: int
    ok: bool
    status_code: int | None
    error: str | None
    latency_seconds: float
    # When the attempt started, seconds since the epoch.
    time: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Delivery:
    """One event for one webhook; retries post exactly these bytes and headers again."""

    webhook: Webhook
    topic: str
    product_id: int
    delivery_id: str
    body: bytes
    headers: dict[str, str]
    retries: int
    attempt: int = 0


class DeliveryQueue:
    def __init__(
        self,
        *,
        workers: int,
        timeout_seconds: float,
        connect_timeout_seconds: float,
        retry_base_seconds: float,
        on_outcome: Callable[[Webhook, bool], None],
    ) -> None:
        self._timeout_seconds = timeout_seconds
        self._connect_timeout = connect_timeout_seconds
        self._retry_base = retry_base_seconds
        self._on_outcome = on_outcome
        # trust_env=False: an HTTP(S)_PROXY in the environment must not route loopback posts elsewhere.
        self._client = outbound_client(
            timeout_seconds,
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_connections=workers * 2, max_keepalive_connections=workers),
        )
        self._queue: queue.SimpleQueue[Delivery | None] = queue.SimpleQueue()
        self._retry_timer = Scheduler(name="shop-sim-retries")
        self._attempts: list[DeliveryAttempt] = []
        self._pending = 0
        self._state = threading.Condition()
        self._stopped = False
        self._workers = [
            threading.Thread(target=self._work, name=f"shop-sim-delivery-{n}", daemon=True)
            for n in range(workers)
        ]

    def start(self) -> None:
        self._retry_timer.start()
        for worker in self._workers:
            worker.start()

    def submit(self, delivery: Delivery) -> None:
        with self._state:
            if self._stopped:
                return
            self._pending += 1
        self._queue.put(delivery)

    def post_now(
        self, webhook: Webhook, body: bytes, headers: dict[str, str], timeout_seconds: float
    ) -> DeliveryAttempt:
        """Post once, in the caller's thread, no retry (WooCommerce's ping when a webhook is saved)."""
        return self._post("ping", "ping", None, webhook, None, 1, body, headers, timeout_seconds)

    @property
    def attempts(self) -> list[DeliveryAttempt]:
        with self._state:
            return list(self._attempts)

    @property
    def pending(self) -> int:
        """Deliveries queued, in flight, or waiting for a retry."""
        with self._state:
            return self._pending

    def wait_idle(self, timeout_seconds: float) -> bool:
        """True once no delivery is pending; False on timeout or when the queue was stopped."""
        with self._state:
            self._state.wait_for(lambda: self._pending == 0 or self._stopped, timeout_seconds)
            return self._pending == 0 and not self._stopped

    def stop(self) -> None:
        """Drop what is queued and scheduled, end the workers, close the client. Safe to call twice."""
        with self._state:
            if self._stopped:
                return
            self._stopped = True
            self._state.notify_all()
        self._retry_timer.stop()
        for _ in self._workers:
            self._queue.put(None)
        self._client.close()
        # A post in flight keeps its worker until the receiver answers or the timeout passes (a
        # closed httpx client does not interrupt a blocked read). Those daemon threads record
        # nothing more, so stop() waits for them only briefly.
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        for worker in self._workers:
            if worker.is_alive():
                worker.join(timeout=max(0.0, deadline - time.monotonic()))

    # ---- workers

    def _work(self) -> None:
        while True:
            delivery = self._queue.get()
            if delivery is None:
                return
            with self._state:
                if self._stopped:
                    continue
            try:
                self._attempt(delivery)
            except Exception:
                # A bug here must not kill the worker or leave wait_idle() waiting forever.
                log.exception("shop simulator: delivery %s failed", delivery.delivery_id)
                self._finish(delivery.webhook, ok=False)

    def _attempt(self, delivery: Delivery) -> None:
        delivery.attempt += 1
        attempt = self._post(
            "event",
            delivery.topic,
            delivery.product_id,
            delivery.webhook,
            delivery.delivery_id,
            delivery.attempt,
            delivery.body,
            delivery.headers,
            self._timeout_seconds,
        )
        if not attempt.ok and delivery.attempt <= delivery.retries:
            delay = self._retry_base * 2 ** (delivery.attempt - 1)
            self._retry_timer.call_later(delay, lambda: self._queue.put(delivery))
            return
        self._finish(delivery.webhook, attempt.ok)

    def _finish(self, webhook: Webhook, ok: bool) -> None:
        try:
            self._on_outcome(webhook, ok)
        except Exception:
            log.exception("shop simulator: recording a delivery outcome failed")
        finally:
            with self._state:
                if not self._stopped:
                    self._pending -= 1
                    self._state.notify_all()

    def _post(
        self,
        kind: Literal["event", "ping"],
        topic: str,
        product_id: int | None,
        webhook: Webhook,
        delivery_id: str | None,
        attempt_number: int,
        body: bytes,
        headers: dict[str, str],
        timeout_seconds: float,
    ) -> DeliveryAttempt:
        timeout = httpx.Timeout(timeout_seconds, connect=min(self._connect_timeout, timeout_seconds))
        started, clock = time.time(), time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            # Checked again here, not only when the webhook was saved: nothing leaves the machine.
            check_hook_address(webhook.address)
            response = self._client.post(webhook.address, content=body, headers=headers, timeout=timeout)
            status = response.status_code
        except HookAddressRefused as refused:
            error = str(refused)
        except httpx.TimeoutException:
            error = f"timeout: no answer within {timeout_seconds:g} s"
        except (httpx.HTTPError, RuntimeError) as failure:
            # RuntimeError: stop() closed the client while this post was in flight.
            error = f"{type(failure).__name__}: {failure}"
        latency = time.perf_counter() - clock
        if status is not None and latency > timeout_seconds:
            # httpx times each read, not the whole answer; the platform gives up on the whole.
            error = f"timeout: answered after {latency:.2f} s, more than {timeout_seconds:g} s"
        ok = status is not None and 200 <= status < 300 and error is None
        record = DeliveryAttempt(
            kind=kind,
            topic=topic,
            product_id=product_id,
            webhook_id=webhook.id,
            delivery_id=delivery_id,
            address=webhook.address,
            attempt=attempt_number,
            ok=ok,
            status_code=status,
            error=error,
            latency_seconds=latency,
            time=started,
        )
        log.debug("%s %s -> %s (attempt %d)", topic, webhook.address, status or error, attempt_number)
        with self._state:
            if not self._stopped:
                self._attempts.append(record)
        return record
