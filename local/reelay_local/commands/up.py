"""`reelay up`: the whole stack on this machine until Ctrl-C, for browsing and calling the real API.

Prints where everything is, writes `.reelay/up.json` (and `--ready-file`, if asked) for
other commands and scripts, and prints one `REELAY_READY {json}` line. With `--shop`, a local
shop runs too, connected for the tenant, so a product created in it becomes a video. SIGINT
or SIGTERM stops every server and thread; the exit code is 0 when every port it opened is
closed.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from reelay_cli.up_state import remove_state, write_state
from reelay_local.aws.moto_server import port_is_open
from reelay_local.commands.launcher import Launched, LaunchOptions, launch

READY_PREFIX = "REELAY_READY "


def run_up(
    options: LaunchOptions,
    ready_file: Path | None = None,
    console: TextIO | None = None,
    errors: TextIO | None = None,
) -> int:
    console = console or sys.stdout
    errors = errors or sys.stderr
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        console.write("Starting Reelay locally (moto server, template.yaml deployed into it, Creatify)...\n")
        console.flush()
        try:
            launched = launch(options)
        except Exception as exc:
            errors.write(f"reelay up: the local stack did not start: {type(exc).__name__}: {exc}\n")
            return 1
        ports = launched.ports()
        try:
            if launched.shop is not None:
                try:
                    launched.connect_shop()
                except Exception as exc:
                    errors.write(f"reelay up: the local shop could not be connected: {exc}\n")
                    return 1
            info = launched.ready_info()
            write_state(info)
            if ready_file is not None:
                write_state(info, ready_file)
            _describe(launched, console)
            console.write(READY_PREFIX + json.dumps(info) + "\n")
            console.flush()
            while not stop.wait(0.5):
                pass
            console.write("\nStopping...\n")
            console.flush()
        finally:
            launched.stop()
            remove_state(os.getpid())
            if ready_file is not None:
                remove_state(os.getpid(), ready_file)
        still_open = [port for host, port in ports if port_is_open(host, port)]
        if still_open:
            errors.write(f"reelay up: ports still open after stopping: {still_open}\n")
            return 1
        console.write(f"Stopped; ports {', '.join(str(p) for _, p in ports)} are closed.\n")
        console.flush()
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _describe(launched: Launched, out: TextIO) -> None:
    info: dict[str, Any] = launched.ready_info()
    rows = [
        ("API base URL", info["api_url"]),
        ("Swagger UI", info["swagger_url"]),
        ("Review console", f"{info['api_url']}/console  (sign in with the API key)"),
        ("API key", f"{info['api_key']}  (tenant {info['tenant_id']})"),
        ("Webhook secret", f"{info['webhook_secret']}  (verifies deliveries to your webhook_url)"),
    ]
    if launched.uses_simulator:
        sim = launched.simulator.config
        rows.append(
            (
                "Creatify",
                f"{info['simulator_url']}  simulator: preview ~{sim.image_seconds:g}s, "
                f"video ~{sim.video_seconds:g}s; change faults with `reelay sim-faults key=value`",
            )
        )
    else:
        rows.append(
            (
                "Creatify",
                f"{info['creatify_base_url']}  the real API (CREATIFY_API_ID is set); "
                "no public callback URL, so the reconciler polls every "
                f"{launched.embedded.reconcile_every_seconds:g}s and re-reads tasks quiet for 30s",
            )
        )
    rows += [
        ("AWS (moto)", f"{info['aws_endpoint_url']}  region {info['region']}, fake credentials"),
        ("  table", info["table_name"]),
        ("  event bus", info["event_bus_name"]),
        ("  topic", info["topic_arn"]),
        ("Consumer queues", f"{info['consumer_events_queue_url']}  (rule on the bus: source = reelay)"),
        ("", f"{info['consumer_topic_queue_url']}  (subscribed to the topic)"),
    ]
    if info["log_path"]:
        rows.append(("Function logs", info["log_path"]))
    link = launched.shop_link
    if link is not None:
        from reelay_local.commands.local_shop import PLATFORM_NAMES, shop_identity

        rows += [
            (
                "Local shop",
                f"{info['shop_url']}  {PLATFORM_NAMES[link.platform]}-like, {shop_identity(link.shop)}",
            ),
            ("  connection", f"{link.connection_id}  (its webhook posts to {link.hook_url})"),
        ]
    out.write(
        f"\nReelay is running locally (ready in {launched.started_seconds:.1f}s). "
        "Ctrl-C stops everything.\n\n"
    )
    for label, value in rows:
        out.write(f"  {label:<16} {value}\n")
    product = (
        launched.simulator.sample_product_url("sneaker")
        if launched.uses_simulator
        else "https://example.com/your-product.jpg"
    )
    body = json.dumps({"product_url": product})
    out.write(
        "\nTry it:\n"
        f"  export REELAY_API_URL={info['api_url']} REELAY_API_KEY={info['api_key']}\n"
        '  curl -s -X POST "$REELAY_API_URL/v1/product-videos" \\\n'
        '       -H "Authorization: Bearer $REELAY_API_KEY" \\\n'
        f"       -H 'Content-Type: application/json' -d '{body}'\n"
        '  curl -s "$REELAY_API_URL/v1/product-videos" -H "Authorization: Bearer $REELAY_API_KEY"\n'
        "  reelay submit --wait " + product + "\n"
        "  reelay list\n\n"
    )
    if link is not None:
        out.write(
            "A product created in the local shop becomes a video (its webhook starts the task):\n"
            f"  export SHOP={info['shop_url']}\n"
            '  curl -s -X POST "$SHOP/_shop/products" -d \'{"title": "Mug", "images": 2}\'\n'
            "  reelay list                 # the product's task, then its status\n"
            "  reelay events --wait 30     # the Product Video Generated event naming the product\n\n"
        )
    out.flush()
