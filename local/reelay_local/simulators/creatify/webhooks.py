"""Webhook delivery as Creatify does it (one unsigned JSON POST, no retry), plus delivery faults.

Webhooks go to this machine only (a URL elsewhere is recorded as refused, see outbound.py).

Faults apply per webhook at the moment a stage ends: drop (never sent), duplicate (the same body
posted twice, back to back), delay (sent after `webhook_delay_seconds`), reorder (the image-stage
webhook is held and posted right after the task's video-stage webhook; see `Faults`).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, Literal

import httpx

from reelay_local.simulators.creatify.config import Faults
from reelay_local.simulators.creatify.outbound import OffMachine, outbound_client, send_on_loopback
from reelay_local.simulators.creatify.scheduler import Scheduler

log = logging.getLogger(__name__)

Stage = Literal["image", "video"]


@dataclass(frozen=True)
class WebhookRecord:
    """One webhook the simulator POSTed (or, with `dropped`, decided not to)."""

    url: str
    body: dict[str, Any]
    status_code: int | None
    error: str | None
    time: float
    dropped: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Delivery:
    url: str
    body: dict[str, Any]
    copies: int


class WebhookSender:
    def __init__(
        self, faults: Callable[[], Faults], scheduler: Scheduler, rng: random.Random, timeout_seconds: float
    ) -> None:
        # A getter, so replacing the config's Faults object (not just its fields) is obeyed too.
        self._faults = faults
        self._scheduler = scheduler
        self._rng = rng
        self._rng_lock = threading.Lock()
        self._client = outbound_client(timeout_seconds, follow_redirects=False)
        # Enough workers that a receiver which never answers cannot stall every other webhook.
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="creatify-sim-webhook")
        self._records: list[WebhookRecord] = []
        self._held: dict[str, _Delivery] = {}
        self._lock = threading.Lock()
        self._stopped = False

    @property
    def records(self) -> list[WebhookRecord]:
        with self._lock:
            return list(self._records)

    def deliver(self, task_id: str, stage: Stage, url: str, body: dict[str, Any]) -> None:
        """Post `body` to `url` in the background, applying the webhook fault knobs."""
        faults = self._faults()
        with self._rng_lock:
            dropped = self._rng.random() < faults.webhook_drop_rate
            copies = 2 if self._rng.random() < faults.webhook_duplicate_rate else 1
        if dropped:
            self._record(
                WebhookRecord(url, body, None, "dropped by fault injection", time.time(), dropped=True)
            )
            return
        delivery = _Delivery(url, body, copies)
        if stage == "image" and faults.webhook_reorder:
            with self._lock:
                self._held[task_id] = delivery
            self._scheduler.call_later(faults.reorder_max_hold_seconds, lambda: self._release(task_id))
            return
        with self._lock:
            held = self._held.pop(task_id, None) if stage == "video" else None
        batch = [delivery] if held is None else [delivery, held]
        self._scheduler.call_later(faults.webhook_delay_seconds, lambda: self._submit(batch))

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._held.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._client.close()

    def _release(self, task_id: str) -> None:
        with self._lock:
            held = self._held.pop(task_id, None)
        if held is not None:
            self._submit([held])

    def _submit(self, batch: list[_Delivery]) -> None:
        with self._lock:
            if self._stopped:
                return
            # One job per batch keeps a released image webhook strictly after its video webhook.
            self._pool.submit(self._send_batch, batch)

    def _send_batch(self, batch: list[_Delivery]) -> None:
        for delivery in batch:
            for _ in range(delivery.copies):
                self._post(delivery.url, delivery.body)

    def _post(self, url: str, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        try:
            # This machine only, no redirect followed (see outbound.py).
            response = send_on_loopback(
                self._client, "POST", url, content=payload, headers={"Content-Type": "application/json"}
            )
            response.close()
            record = WebhookRecord(url, body, response.status_code, None, time.time())
        except OffMachine as refusal:
            log.warning("webhook not sent: %s", refusal)
            record = WebhookRecord(url, body, None, f"refused: {refusal}", time.time())
        except (httpx.HTTPError, RuntimeError) as error:
            # RuntimeError: the client was closed by stop() while this post was in flight.
            record = WebhookRecord(url, body, None, f"{type(error).__name__}: {error}", time.time())
        log.debug("webhook %s -> %s", url, record.status_code or record.error)
        self._record(record)

    def _record(self, record: WebhookRecord) -> None:
        with self._lock:
            self._records.append(record)
