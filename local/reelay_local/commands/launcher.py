"""Everything `reelay up` and `reelay demo` run, started in order and stopped in reverse.

moto server → Creatify (the simulator, or the real API when CREATIFY_API_ID and
CREATIFY_API_KEY are set) → the template deployed into moto → gateway, pollers and the
schedule → consumer queues → one tenant → the local shop, if asked for (`connect_shop()`
then connects it through the API). `stop()` ends every server and thread it started, so no
port stays open after it returns.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelay_local.aws.function_logs import FunctionLogs

CREATIFY_API = "https://api.creatify.ai"
# The template's MinValue for ReconcileAfterSeconds (moto does not check it; AWS would). With
# no callbacks this is how long a real Creatify task waits, per stage, for the reconciler.
MIN_RECONCILE_AFTER_SECONDS = 30

log = logging.getLogger(__name__)


@dataclass
class SimulatorOptions:
    image_seconds: float = 3.0
    video_seconds: float = 5.0
    credits: float = 100.0
    faults: dict[str, Any] = field(default_factory=dict)


@dataclass
class LaunchOptions:
    simulator: SimulatorOptions = field(default_factory=SimulatorOptions)
    gateway_port: int = 0
    stage: str = "local"
    log_level: str = "INFO"
    reconcile_after_seconds: int = MIN_RECONCILE_AFTER_SECONDS
    reconcile_every_seconds: float | None = None
    tenant_name: str = "Local Shop"
    # None keeps function output on the console.
    log_path: Path | None = None
    # "shopify" or "woocommerce": also start a local shop of that platform.
    shop: str | None = None


@dataclass(frozen=True)
class RealCreatify:
    base_url: str
    api_id: str
    api_key: str


def real_creatify_from_env(environ: Mapping[str, str] = os.environ) -> RealCreatify | None:
    api_id, api_key = environ.get("CREATIFY_API_ID", ""), environ.get("CREATIFY_API_KEY", "")
    if not api_id or not api_key:
        return None
    return RealCreatify(environ.get("CREATIFY_BASE_URL") or CREATIFY_API, api_id, api_key)


@dataclass
class Launched:
    logs: FunctionLogs
    moto: Any
    simulator: Any | None
    embedded: Any
    creatify_base_url: str
    callbacks: bool
    tenant_id: str
    api_key: str
    webhook_secret: str
    started_seconds: float
    _stoppers: list[Callable[[], None]] = field(default_factory=list)
    shop: Any | None = None
    # Set by connect_shop().
    shop_link: Any | None = None

    @property
    def api_url(self) -> str:
        return str(self.embedded.api_url)

    @property
    def swagger_url(self) -> str:
        return f"{self.api_url}/swagger"

    @property
    def uses_simulator(self) -> bool:
        return self.simulator is not None

    def ports(self) -> list[tuple[str, int]]:
        """Every listening address this launch opened."""
        addresses = [self.moto.address, self.embedded.gateway.address]
        for server in (self.simulator, self.shop):
            if server is not None:
                host, port = server.base_url.removeprefix("http://").rsplit(":", 1)
                addresses.append((host, int(port)))
        return addresses

    def connect_shop(self) -> Any:
        """Connect the local shop for this launch's tenant, through the API (see local_shop.py)."""
        from reelay_cli.api_client import ReelayClient
        from reelay_local.commands.local_shop import connect_local_shop

        if self.shop is None:
            raise RuntimeError("this launch has no local shop (LaunchOptions.shop)")
        with ReelayClient(self.api_url, self.api_key) as client:
            # The shop also gets write-back: each finished video goes onto its product.
            self.shop_link = connect_local_shop(self.shop, client, write_back=True)
        return self.shop_link

    def ready_info(self) -> dict[str, Any]:
        """What a script (or a test) needs to use the running stack; also written to .reelay/up.json."""
        consumers = self.embedded.consumers
        return {
            "api_url": self.api_url,
            "swagger_url": self.swagger_url,
            "api_key": self.api_key,
            "webhook_secret": self.webhook_secret,
            "tenant_id": self.tenant_id,
            "simulator_url": self.simulator.base_url if self.simulator is not None else None,
            "creatify_base_url": self.creatify_base_url,
            "callbacks": self.callbacks,
            "aws_endpoint_url": self.moto.endpoint_url,
            "region": self.embedded.deployed.region,
            "table_name": self.embedded.deployed.table_name,
            "event_bus_name": self.embedded.deployed.outputs["EventBusName"],
            "topic_arn": self.embedded.deployed.outputs["TopicArn"],
            "consumer_events_queue_url": consumers.events_queue_url,
            "consumer_topic_queue_url": consumers.topic_queue_url,
            "ports": [port for _, port in self.ports()],
            "log_path": str(self.logs.path) if self.logs.path else None,
            "pid": os.getpid(),
            "shop_url": self.shop.base_url if self.shop is not None else None,
            "shop_platform": self.shop.platform if self.shop is not None else None,
            "shop_connection_id": self.shop_link.connection_id if self.shop_link is not None else None,
            "shop_hook_url": self.shop_link.hook_url if self.shop_link is not None else None,
        }

    def stop(self) -> None:
        """Stop in reverse order of start; every step runs even if an earlier one fails."""
        _run_stoppers(self._stoppers)


def launch(options: LaunchOptions, environ: Mapping[str, str] = os.environ) -> Launched:
    """Start the whole local stack; on any failure, stop what was started and re-raise."""
    began = time.monotonic()
    stoppers: list[Callable[[], None]] = []
    logs = FunctionLogs(options.log_path).open()
    stoppers.append(logs.close)
    try:
        return _launch(options, environ, logs, stoppers, began)
    except BaseException:
        _run_stoppers(stoppers)
        raise


def _run_stoppers(stoppers: list[Callable[[], None]]) -> None:
    while stoppers:
        stopper = stoppers.pop()
        try:
            stopper()
        except Exception:  # the next server must still be stopped
            log.exception("stopping %s failed", getattr(stopper, "__qualname__", stopper))


def _launch(
    options: LaunchOptions,
    environ: Mapping[str, str],
    logs: FunctionLogs,
    stoppers: list[Callable[[], None]],
    began: float,
) -> Launched:
    # Imported here: moto, boto3 and the translator cost seconds, and `reelay status` needs none.
    from reelay_local.aws.embedded import EmbeddedStack
    from reelay_local.aws.moto_server import MotoServer
    from reelay_local.simulators.creatify import CreatifySimulator, Faults, SimulatorConfig

    real = real_creatify_from_env(environ)
    if real is not None and options.shop is not None:
        raise ValueError(
            "--shop needs the Creatify simulator: the local shop serves its photos on 127.0.0.1, "
            "which the real Creatify cannot fetch (unset CREATIFY_API_ID to use the simulator)"
        )
    moto = MotoServer().start()
    stoppers.append(moto.stop)

    simulator = None
    if real is None:
        faults = Faults()
        faults.update(**options.simulator.faults)
        api_id, api_key = "sim-api-id", "sim-api-key"
        simulator = CreatifySimulator(
            SimulatorConfig(
                image_seconds=options.simulator.image_seconds,
                video_seconds=options.simulator.video_seconds,
                accounts={api_id: (api_key, options.simulator.credits)},
                faults=faults,
            )
        ).start()
        stoppers.append(simulator.stop)
        base_url, credentials = simulator.base_url, (api_id, api_key)
    else:
        base_url, credentials = real.base_url, (real.api_id, real.api_key)

    # With the real Creatify there is no public URL it could call back, so polling carries
    # each task: the reconciler runs every few seconds and re-reads tasks quiet for 30 s.
    callbacks = real is None
    reconcile_after = max(options.reconcile_after_seconds, MIN_RECONCILE_AFTER_SECONDS)
    shop = None
    if options.shop is not None:
        from reelay_local.commands.local_shop import start_local_shop

        # Started before the stack, whose functions send the shop's admin calls to its address.
        shop = start_local_shop(options.shop)
    from reelay_local.commands.local_shop import admin_override

    try:
        embedded = EmbeddedStack.start(
            moto.clients,
            creatify_base_url=base_url,
            creatify_credentials=credentials,
            stage=options.stage,
            reconcile_after_seconds=reconcile_after,
            callbacks=callbacks,
            gateway_port=options.gateway_port,
            log_level=options.log_level,
            extra_env=admin_override(shop),
        )
    except BaseException:
        if shop is not None:
            shop.stop()
        raise
    stoppers.append(embedded.stop)
    if shop is not None:
        # Stopped before the stack: deliveries in flight go to the gateway.
        stoppers.append(shop.stop)
    if options.reconcile_every_seconds is not None:
        embedded.reconcile_every_seconds = options.reconcile_every_seconds
    elif not callbacks:
        embedded.reconcile_every_seconds = 5.0
    embedded.run_in_background()

    from reelay.deps import Deps
    from reelay.logic.tenants import create_tenant

    tenant = create_tenant(options.tenant_name, Deps())
    return Launched(
        logs=logs,
        moto=moto,
        simulator=simulator,
        embedded=embedded,
        creatify_base_url=base_url,
        callbacks=callbacks,
        tenant_id=tenant.tenant.tenant_id,
        api_key=tenant.api_key,
        webhook_secret=tenant.webhook_secret,
        started_seconds=time.monotonic() - began,
        _stoppers=stoppers,
        shop=shop,
    )
