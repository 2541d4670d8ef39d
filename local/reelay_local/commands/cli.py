"""The local emulator's part of the `reelay` command: up, demo, events and sim-faults.

The operator CLI finds `register` through the `reelay.commands` entry point and imports this
module on every run, so it imports nothing heavy itself. It adds its commands only when the
`local` extra is installed, checked with find_spec: importing moto to find out costs seconds.
"""

from __future__ import annotations

import argparse
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from reelay.models.upstream import AspectRatio, ProductType

if TYPE_CHECKING:
    from reelay_cli.plugins import SubCommands
    from reelay_local.commands.launcher import LaunchOptions

# The top-level modules of the `local` extra's requirements (moto[server] brings flask).
EXTRA_MODULES = ("moto", "flask", "PIL", "av", "samtranslator", "yaml")

HELP_LINES = (
    "reelay demo [--shop PLATFORM]    one product video end to end, on this machine",
    "reelay up [--shop PLATFORM]      the whole stack locally until Ctrl-C",
    "reelay events                    what the local consumer queues received (EventBridge, SNS)",
    "reelay sim-faults key=value ...  change a running simulator's faults",
)

_FAULT_FLAGS: tuple[tuple[str, str, str], ...] = (
    # flag, Faults field, help
    ("--sim-latency", "latency_seconds", "seconds added to every Creatify API answer"),
    ("--sim-post-latency", "post_latency_seconds", "seconds added to every Creatify POST (the paid calls)"),
    ("--sim-rate-429", "rate_429", "share of API calls answered 429 (0..1)"),
    ("--sim-rate-5xx", "rate_5xx", "share of API calls answered 500/502/503/504 (0..1)"),
    ("--sim-hang-rate", "hang_rate", "share of POSTs that hang after being processed (0..1)"),
    ("--sim-hang-seconds", "hang_seconds", "how long a hanging POST hangs"),
    ("--sim-fail-rate", "fail_rate", "share of generations that fail (0..1)"),
    ("--sim-webhook-drop-rate", "webhook_drop_rate", "share of Creatify callbacks never sent (0..1)"),
    ("--sim-webhook-duplicate-rate", "webhook_duplicate_rate", "share of callbacks sent twice (0..1)"),
    ("--sim-webhook-delay", "webhook_delay_seconds", "seconds each callback is held back"),
)


def _add_stack_options(parser: argparse.ArgumentParser, log_default: str, shop_help: str) -> None:
    stack = parser.add_argument_group("local stack")
    stack.add_argument("--shop", choices=["shopify", "woocommerce"], default=None, help=shop_help)
    stack.add_argument("--port", type=int, default=0, help="API gateway port (default: a free one)")
    stack.add_argument("--stage", default="local", help="the template's Stage parameter (default: local)")
    stack.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    stack.add_argument(
        "--logs",
        default=log_default,
        metavar="PATH",
        help=f"where the functions' logs and metrics go, '-' for this terminal (default: {log_default})",
    )
    stack.add_argument(
        "--reconcile-every",
        type=float,
        default=None,
        metavar="SECONDS",
        help="how often the reconciler's schedule fires (default: 10, or 5 with the real Creatify)",
    )
    stack.add_argument(
        "--reconcile-after",
        type=int,
        default=30,
        metavar="SECONDS",
        help="the template's ReconcileAfterSeconds: a task quiet this long is re-read (min 30, default 30)",
    )
    sim = parser.add_argument_group(
        "Creatify simulator (ignored when CREATIFY_API_ID and CREATIFY_API_KEY are set: the real API is used)"
    )
    sim.add_argument(
        "--image-seconds", type=float, default=3.0, help="preview image takes this long (default 3)"
    )
    sim.add_argument("--video-seconds", type=float, default=5.0, help="video takes this long (default 5)")
    sim.add_argument("--sim-credits", type=float, default=100.0, help="credits on the simulated account")
    for flag, _, text in _FAULT_FLAGS:
        sim.add_argument(flag, type=float, default=None, metavar="N", help=text)
    sim.add_argument("--sim-fail-stage", choices=["image", "video", "any"], default=None)
    sim.add_argument(
        "--sim-webhook-reorder", action="store_true", help="send each image callback after the video one"
    )


def register(commands: SubCommands, extra_modules: Sequence[str] = EXTRA_MODULES) -> list[str]:
    """Add up, demo, events and sim-faults if the local extra is installed; returns their help lines."""
    if any(importlib.util.find_spec(name) is None for name in extra_modules):
        return []

    demo = commands.add_parser("demo", help="make one product video end to end on this machine")
    demo.add_argument("--product-url", help="product image URL (default: a sample the simulator serves)")
    demo.add_argument("--sample", default="sneaker", help="which sample product the simulator draws")
    demo.add_argument(
        "--type", dest="product_type", choices=[t.value for t in ProductType], default="product_anyshot"
    )
    demo.add_argument("--aspect-ratio", choices=[a.value for a in AspectRatio], default="16x9")
    demo.add_argument(
        "--timeout", type=float, default=None, help="seconds to wait for the video (default 120)"
    )
    demo.add_argument(
        "--out-dir", type=Path, default=Path(".reelay/demo"), help="where media copies are saved"
    )
    _add_stack_options(
        demo,
        ".reelay/logs/demo.log",
        "start a local shop of this platform, connect it, and make the video of a product created in it",
    )
    demo.set_defaults(handler=_demo)

    up = commands.add_parser("up", help="run the whole stack locally until Ctrl-C")
    up.add_argument("--ready-file", type=Path, help="also write the ready JSON (URLs, keys, ports) here")
    up.add_argument("--tenant-name", default="Local Shop", help="name of the tenant created at start")
    _add_stack_options(
        up,
        ".reelay/logs/up.log",
        "also start a local shop of this platform, connected for the tenant: its products become videos",
    )
    up.set_defaults(handler=_up)

    events = commands.add_parser("events", help="show what the consumer queues of `reelay up` here received")
    events.add_argument("--wait", type=float, default=0.0, metavar="SECONDS", help="wait this long for one")
    events.set_defaults(handler=_events)

    faults = commands.add_parser(
        "sim-faults", help="show or change a running simulator's faults (key=value, e.g. rate_429=0.2)"
    )
    faults.add_argument("assignments", nargs="*", metavar="key=value")
    faults.add_argument("--sim-url", help="simulator base URL (default: the one `reelay up` here runs)")
    faults.set_defaults(handler=_sim_faults)
    return list(HELP_LINES)


def launch_options(args: argparse.Namespace) -> LaunchOptions:
    from reelay_local.commands.launcher import LaunchOptions, SimulatorOptions

    faults: dict[str, Any] = {
        field: getattr(args, flag.removeprefix("--").replace("-", "_"))
        for flag, field, _ in _FAULT_FLAGS
        if getattr(args, flag.removeprefix("--").replace("-", "_")) is not None
    }
    if args.sim_fail_stage:
        faults["fail_stage"] = args.sim_fail_stage
    if args.sim_webhook_reorder:
        faults["webhook_reorder"] = True
    return LaunchOptions(
        simulator=SimulatorOptions(
            image_seconds=args.image_seconds,
            video_seconds=args.video_seconds,
            credits=args.sim_credits,
            faults=faults,
        ),
        gateway_port=args.port,
        stage=args.stage,
        log_level=args.log_level,
        reconcile_every_seconds=args.reconcile_every,
        reconcile_after_seconds=args.reconcile_after,
        tenant_name=getattr(args, "tenant_name", "Demo Shop"),
        log_path=None if args.logs == "-" else Path(args.logs),
        shop=args.shop,
    )


# Each command imports what it runs only when it runs: moto, boto3 and the translator cost seconds.


def _demo(args: argparse.Namespace, out: TextIO) -> int:
    from reelay_local.commands.demo import DemoOptions, run_demo
    from reelay_local.commands.launcher import real_creatify_from_env

    timeout = args.timeout
    if timeout is None:
        timeout = 900.0 if real_creatify_from_env() else 120.0
    options = DemoOptions(
        launch=launch_options(args),
        product_url=args.product_url,
        sample=args.sample,
        product_type=args.product_type,
        aspect_ratio=args.aspect_ratio,
        timeout=timeout,
        out_dir=args.out_dir,
    )
    return run_demo(options)


def _up(args: argparse.Namespace, out: TextIO) -> int:
    from reelay_local.commands.up import run_up

    return run_up(launch_options(args), ready_file=args.ready_file)


def _events(args: argparse.Namespace, out: TextIO) -> int:
    from reelay_local.consumers.consumer_events import show_consumer_events

    return show_consumer_events(args.wait, out)


def _sim_faults(args: argparse.Namespace, out: TextIO) -> int:
    from reelay_local.commands.sim_faults import sim_faults, simulator_url

    return sim_faults(simulator_url(args.sim_url), args.assignments, out)
