"""The `reelay` command line: argument parsing only; each command lives in its own module."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from reelay.models.status import TaskStatus
from reelay.models.upstream import AspectRatio, MotionStyle, ProductType

DESCRIPTION = """Reelay on this machine (no AWS account, no Docker), and Reelay's API anywhere.

reelay demo                      one product video end to end, on this machine
reelay up                        the whole stack locally until Ctrl-C
reelay submit|status|list        the API, local (`reelay up`) or deployed (--api-url/--api-key)
reelay events                    what the local consumer queues received (EventBridge, SNS)
reelay tenant create NAME        add a tenant to a stack's table; prints its API key once
reelay sim-faults key=value ...  change a running simulator's faults
"""

_FAULT_FLAGS: tuple[tuple[str, str, str], ...] = (
    # flag, Faults field, help
    ("--sim-latency", "latency_seconds", "seconds added to every Creatify API answer"),
    ("--sim-rate-429", "rate_429", "share of API calls answered 429 (0..1)"),
    ("--sim-rate-5xx", "rate_5xx", "share of API calls answered 500/502/503/504 (0..1)"),
    ("--sim-hang-rate", "hang_rate", "share of POSTs that hang after being processed (0..1)"),
    ("--sim-hang-seconds", "hang_seconds", "how long a hanging POST hangs"),
    ("--sim-fail-rate", "fail_rate", "share of generations that fail (0..1)"),
    ("--sim-webhook-drop-rate", "webhook_drop_rate", "share of Creatify callbacks never sent (0..1)"),
    ("--sim-webhook-duplicate-rate", "webhook_duplicate_rate", "share of callbacks sent twice (0..1)"),
    ("--sim-webhook-delay", "webhook_delay_seconds", "seconds each callback is held back"),
)


def _add_stack_options(parser: argparse.ArgumentParser, log_default: str) -> None:
    stack = parser.add_argument_group("local stack")
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


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api-url", help="API base URL with the stage (default: REELAY_API_URL, or `reelay up` here)"
    )
    parser.add_argument("--api-key", help="tenant API key (default: REELAY_API_KEY, or `reelay up` here)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reelay", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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
    _add_stack_options(demo, ".reelay/logs/demo.log")

    up = commands.add_parser("up", help="run the whole stack locally until Ctrl-C")
    up.add_argument("--ready-file", type=Path, help="also write the ready JSON (URLs, keys, ports) here")
    up.add_argument("--tenant-name", default="Local Shop", help="name of the tenant created at start")
    _add_stack_options(up, ".reelay/logs/up.log")

    submit = commands.add_parser("submit", help="submit a product for a video")
    submit.add_argument("product_url")
    submit.add_argument("--type", dest="product_type", choices=[t.value for t in ProductType])
    submit.add_argument("--aspect-ratio", choices=[a.value for a in AspectRatio])
    submit.add_argument("--webhook-url")
    submit.add_argument("--image-prompt")
    submit.add_argument("--video-prompt")
    submit.add_argument("--override-avatar", metavar="PERSONA_ID")
    submit.add_argument("--motion-style", choices=[m.value for m in MotionStyle])
    submit.add_argument("--no-auto-video", action="store_true", help="stop at the preview image for approval")
    submit.add_argument("--idempotency-key")
    submit.add_argument("--wait", action="store_true", help="follow the status until the task finishes")
    submit.add_argument("--timeout", type=float, default=600.0, help="seconds --wait waits (default 600)")
    _add_target_options(submit)

    status = commands.add_parser("status", help="show one task")
    status.add_argument("task_id")
    status.add_argument("--wait", action="store_true", help="follow the status until the task finishes")
    status.add_argument("--timeout", type=float, default=600.0)
    _add_target_options(status)

    listing = commands.add_parser("list", help="list tasks, newest first")
    listing.add_argument("--status", choices=[s.value for s in TaskStatus])
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--cursor")
    listing.add_argument("--json", action="store_true")
    _add_target_options(listing)

    events = commands.add_parser("events", help="show what the consumer queues of `reelay up` here received")
    events.add_argument("--wait", type=float, default=0.0, metavar="SECONDS", help="wait this long for one")

    tenant = commands.add_parser("tenant", help="manage tenants")
    tenant_commands = tenant.add_subparsers(dest="tenant_command", required=True, metavar="ACTION")
    create = tenant_commands.add_parser(
        "create", help="create a tenant; prints its API key and webhook secret once"
    )
    create.add_argument("name")
    where = create.add_mutually_exclusive_group(required=True)
    where.add_argument("--table", help="the task table's name (the stack's TableName output)")
    where.add_argument(
        "--stack", dest="stack_name", help="read the table name from this CloudFormation stack"
    )
    create.add_argument("--region")
    create.add_argument("--endpoint-url", help="AWS endpoint, e.g. the moto server `reelay up` prints")
    create.add_argument("--tenant-id", help="default: derived from the name plus a random suffix")
    create.add_argument("--json", action="store_true")

    faults = commands.add_parser(
        "sim-faults", help="show or change a running simulator's faults (key=value, e.g. rate_429=0.2)"
    )
    faults.add_argument("assignments", nargs="*", metavar="key=value")
    faults.add_argument("--sim-url", help="simulator base URL (default: the one `reelay up` here runs)")
    return parser


def launch_options(args: argparse.Namespace) -> Any:
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
    )


def submit_request(args: argparse.Namespace) -> dict[str, Any]:
    request: dict[str, Any] = {"product_url": args.product_url}
    for name in (
        "product_type",
        "aspect_ratio",
        "webhook_url",
        "image_prompt",
        "video_prompt",
        "override_avatar",
        "motion_style",
    ):
        value = getattr(args, name)
        if value is not None:
            request["type" if name == "product_type" else name] = value
    if args.no_auto_video:
        request["auto_video"] = False
    return request


def _run(args: argparse.Namespace) -> int:
    out = sys.stdout
    if args.command == "demo":
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
    if args.command == "up":
        from reelay_local.commands.up import run_up

        return run_up(launch_options(args), ready_file=args.ready_file)
    if args.command in ("submit", "status", "list"):
        from reelay_cli import task_commands

        target = task_commands.resolve_target(args.api_url, args.api_key)
        if args.command == "submit":
            wait = args.timeout if args.wait else None
            return task_commands.submit(target, submit_request(args), args.idempotency_key, wait, out)
        if args.command == "status":
            return task_commands.status(target, args.task_id, args.timeout if args.wait else None, out)
        return task_commands.list_tasks(target, args.status, args.limit, args.cursor, args.json, out)
    if args.command == "events":
        from reelay_local.consumers.consumer_events import show_consumer_events

        return show_consumer_events(args.wait, out)
    if args.command == "tenant":
        from reelay_cli.tenant_admin import create_tenant_command

        return create_tenant_command(
            args.name,
            table=args.table,
            stack_name=args.stack_name,
            region=args.region,
            endpoint_url=args.endpoint_url,
            tenant_id=args.tenant_id,
            as_json=args.json,
            out=out,
        )
    if args.command == "sim-faults":
        from reelay_local.commands.sim_faults import sim_faults, simulator_url

        return sim_faults(simulator_url(args.sim_url), args.assignments, out)
    raise AssertionError(f"unhandled command {args.command}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the reason, not a traceback: these are the user's and the network's errors
        if _is_bug(exc):
            raise
        sys.stderr.write(f"reelay {args.command}: {exc}\n")
        return 1


def _is_bug(exc: Exception) -> bool:
    """Errors worth a traceback: ours, not the user's input, the network or AWS answering no."""
    from reelay_cli.api_client import ApiError
    from reelay_cli.task_commands import NoTarget
    from reelay_local.commands.sim_faults import NoSimulator
    from reelay_local.consumers.consumer_events import NoLocalStack

    expected: tuple[type[Exception], ...] = (
        ApiError,
        NoLocalStack,
        NoTarget,
        NoSimulator,
        ValueError,
        LookupError,
        OSError,
    )
    try:
        from botocore.exceptions import BotoCoreError, ClientError

        from reelay.dal.tenants import TenantConflict

        expected += (BotoCoreError, ClientError, TenantConflict)
    except ImportError:
        pass
    return not isinstance(exc, expected)


if __name__ == "__main__":
    raise SystemExit(main())
