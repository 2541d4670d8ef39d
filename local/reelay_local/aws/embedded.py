"""The whole Reelay stack on one machine: template deployed into moto, handlers, gateway, consumers.

`clients(service)` decides which moto: in-process (tests, inside `mock_aws`) or a moto
server on 127.0.0.1 (`reelay up`, `reelay demo`). Everything else is the same.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reelay_local.aws.deploy import DeployedStack, deploy
from reelay_local.aws.gateway import Gateway
from reelay_local.aws.stack import LocalStack
from reelay_local.consumers.queues import ConsumerQueues, attach_consumers

log = logging.getLogger(__name__)


@dataclass
class EmbeddedStack:
    clients: Callable[[str], Any]
    deployed: DeployedStack
    stack: LocalStack
    gateway: Gateway
    consumers: ConsumerQueues
    reconcile_every_seconds: float = 10.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _wake: threading.Event = field(default_factory=threading.Event)
    # One per poller of its own (a queue with a maximum concurrency); `wake()` sets them all.
    _source_wakes: list[threading.Event] = field(default_factory=list)
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
        log_level: str | None = None,
        provider_concurrency: int | None = None,
    ) -> EmbeddedStack:
        gateway = Gateway(port=gateway_port, stage=stage)
        parameters = {
            "Stage": stage,
            "CreatifyBaseUrl": creatify_base_url,
            "ReconcileAfterSeconds": str(reconcile_after_seconds),
            "PublicBaseUrl": gateway.api_url if callbacks else "none",
        }
        if log_level:
            parameters["LogLevel"] = log_level
        if provider_concurrency is not None:
            parameters["ProviderConcurrency"] = str(provider_concurrency)
        try:
            deployed = deploy(clients, parameters, creatify_credentials=creatify_credentials)
            consumers = attach_consumers(clients, deployed, topic_filter=topic_filter)
            env = {"REELAY_ALLOW_LOOPBACK_WEBHOOKS": "true", **(extra_env or {})}
            stack = LocalStack(deployed, clients, env_overrides=env, domain_name=gateway.host_header)
        except BaseException:
            gateway.close()  # bound but never served: free the port
            raise
        gateway.stack = stack
        embedded = cls(clients=clients, deployed=deployed, stack=stack, gateway=gateway, consumers=consumers)
        # A request may have written the table or a queue: poll now rather than after a nap.
        gateway.after_request = embedded.wake
        for source in stack.sqs_sources.values():
            source.after_invoke = embedded.wake
        gateway.start()
        return embedded

    @property
    def api_url(self) -> str:
        return self.gateway.api_url

    def wake(self) -> None:
        """Something may have changed (an API request, a schedule run): poll the sources now."""
        self._wake.set()
        for wake in self._source_wakes:
            wake.set()

    def run_in_background(self, poll_interval: float = 0.1, idle_interval: float = 1.0) -> None:
        """Feed event sources and fire the schedule from background threads, like Lambda's pollers.

        Polls every `poll_interval` while records flow; after a couple of seconds with none,
        every `idle_interval` (an idle `reelay up` should not keep a core busy), and at once
        when `wake()` says a request or a schedule run may have written something. A queue
        whose mapping has a MaximumConcurrency (the provider queue: ProviderConcurrency) gets a
        poller of its own that keeps up to that many invocations running; the others share one
        poller, one batch at a time.
        """
        idle_after = max(1, int(2.0 / poll_interval))

        def pump() -> None:
            quiet_rounds = 0
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    handled = self.stack.pump_once()
                except Exception:  # a poller keeps polling, as Lambda's does
                    log.exception("event source poll failed")
                    handled = 0
                if handled:
                    quiet_rounds = 0
                    continue
                quiet_rounds += 1
                self._wake.wait(poll_interval if quiet_rounds < idle_after else idle_interval)
                if self._wake.is_set():
                    quiet_rounds = 0

        # The template's schedules (moto never fires them); today that is the reconciler's.
        scheduled = [logical_id for logical_id, spec in self.deployed.functions.items() if spec.schedule]

        def schedule() -> None:
            while not self._stop.wait(self.reconcile_every_seconds):
                for logical_id in scheduled:
                    try:
                        self.stack.run_schedule(logical_id)
                    except Exception:  # one failed run does not cancel the schedule
                        log.exception("scheduled run of %s failed", logical_id)
                self.wake()

        scaled = {
            logical_id: q for logical_id, q in self.stack.sqs_sources.items() if q.instances is not None
        }
        for source in scaled.values():
            # Marked before any poller starts, so the shared one never takes these queues' batches.
            source.serving = True
        for target, name in ((pump, "event-sources"), (schedule, "schedule")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        for logical_id, source in scaled.items():
            wake = threading.Event()
            self._source_wakes.append(wake)
            thread = threading.Thread(
                target=source.serve,
                args=(self._stop, wake, poll_interval, idle_interval),
                name=f"event-source-{logical_id}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self.wake()
        for thread in self._threads:
            thread.join(timeout=10)
        for source in self.stack.sqs_sources.values():
            source.join_running(timeout=10)
        self.gateway.stop()
