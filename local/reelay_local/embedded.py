"""The whole Reelay stack on one machine: template deployed into moto, handlers, gateway, consumers.

`clients(service)` decides which moto: in-process (tests, inside `mock_aws`) or a moto
server on 127.0.0.1 (`reelay up`, `reelay demo`). Everything else is the same.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reelay_local.consumers import ConsumerQueues, attach_consumers
from reelay_local.deploy import DeployedStack, deploy
from reelay_local.gateway import Gateway
from reelay_local.stack import LocalStack

RECONCILER = "ReconcilerFunction"


@dataclass
class EmbeddedStack:
    clients: Callable[[str], Any]
    deployed: DeployedStack
    stack: LocalStack
    gateway: Gateway
    consumers: ConsumerQueues
    reconcile_every_seconds: float = 10.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        clients: Callable[[str], Any],
        *,
        creatify_base_url: str,
        creatify_credentials: tuple[str, str],
        stage: str = "local",
        reconcile_after_seconds: int = 30,
        callbacks: bool = True,
        topic_filter: dict[str, list[str]] | None = None,
        gateway_port: int = 0,
        extra_env: dict[str, str] | None = None,
    ) -> EmbeddedStack:
        gateway = Gateway(port=gateway_port)
        deployed = deploy(
            clients,
            {
                "Stage": stage,
                "CreatifyBaseUrl": creatify_base_url,
                "ReconcileAfterSeconds": str(reconcile_after_seconds),
                "PublicBaseUrl": gateway.url if callbacks else "none",
            },
            creatify_credentials=creatify_credentials,
        )
        consumers = attach_consumers(clients, deployed, topic_filter=topic_filter)
        env = {"REELAY_ALLOW_LOOPBACK_WEBHOOKS": "true", **(extra_env or {})}
        stack = LocalStack(deployed, clients, env_overrides=env, domain_name=gateway.host_header)
        gateway.stack = stack
        gateway.start()
        return cls(clients=clients, deployed=deployed, stack=stack, gateway=gateway, consumers=consumers)

    @property
    def api_url(self) -> str:
        return self.gateway.url

    def run_in_background(self, poll_interval: float = 0.1) -> None:
        """Feed event sources and fire the schedule from background threads, like Lambda's pollers."""

        def pump() -> None:
            while not self._stop.is_set():
                if self.stack.pump_once() == 0:
                    self._stop.wait(poll_interval)

        def schedule() -> None:
            while not self._stop.wait(self.reconcile_every_seconds):
                self.stack.run_schedule(RECONCILER)

        for target, name in ((pump, "event-sources"), (schedule, "schedule")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self.gateway.stop()

    def wait(self, condition: Callable[[], bool], timeout: float = 30.0, interval: float = 0.1) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(interval)
        return condition()
