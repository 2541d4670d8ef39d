"""The `reelay` command line: argument parsing and dispatch; each command lives in its own module.

The operator's commands (submit, status, list, tenant create|budget) are here; the operator's
tools (tenant keys and secrets, dead letters, replay, stuck) in `reelay_cli.operator_commands`.
The local emulator adds up, demo, sim-faults and events through the `reelay.commands` entry
points when the `local` extra is installed (`reelay_cli.plugins`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from reelay.models.status import TaskStatus
from reelay.models.upstream import AspectRatio, MotionStyle, ProductType
from reelay_cli.operator_commands import add_operator_commands, add_tenant_actions
from reelay_cli.plugins import Register, SubCommands, add_plugin_commands, installed_plugins

DESCRIPTION = """Reelay's API and tenants on a deployed stack; with the local extra, Reelay on this machine.

reelay submit|status|list        the API, deployed (--api-url/--api-key) or local (`reelay up`)
reelay history TASK_ID           every provider call, status change and delivery attempt of a task
reelay approve|regenerate|reject  review a preview submitted with --no-auto-video
reelay shop connect|list|disconnect  a tenant's Shopify and WooCommerce shops
reelay replay|stuck              a finished task's webhook again; tasks stuck waiting on Creatify
reelay tenant create NAME        add a tenant to a stack's table; prints its API key once
reelay tenant budget TENANT_ID   set a tenant's daily credit budget
reelay tenant list|rotate-key|revoke-key|roll-secret  tenants' keys and secrets (AWS credentials)
reelay dlq list|redrive          the stack's dead-letter queues (AWS credentials)
"""


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api-url", help="API base URL with the stage (default: REELAY_API_URL, or `reelay up` here)"
    )
    parser.add_argument("--api-key", help="tenant API key (default: REELAY_API_KEY, or `reelay up` here)")


def build_parser(plugins: Iterable[Register] | None = None) -> argparse.ArgumentParser:
    """The whole command line; `plugins` defaults to those installed (the local extra's commands)."""
    parser = argparse.ArgumentParser(prog="reelay", formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_task_commands(commands)
    _add_shop_commands(commands)
    add_tenant_actions(_add_tenant_commands(commands))
    add_operator_commands(commands, _add_target_options)
    lines = add_plugin_commands(commands, installed_plugins() if plugins is None else plugins)
    parser.description = DESCRIPTION + "".join(f"{line}\n" for line in lines)
    return parser


def _add_task_commands(commands: SubCommands) -> None:
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
    submit.set_defaults(handler=_submit)

    status = commands.add_parser("status", help="show one task")
    status.add_argument("task_id")
    status.add_argument("--wait", action="store_true", help="follow the status until the task finishes")
    status.add_argument("--timeout", type=float, default=600.0)
    _add_target_options(status)
    status.set_defaults(handler=_status)

    listing = commands.add_parser("list", help="list tasks, newest first")
    listing.add_argument("--status", choices=[s.value for s in TaskStatus])
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--cursor")
    listing.add_argument("--json", action="store_true")
    _add_target_options(listing)
    listing.set_defaults(handler=_list)

    history = commands.add_parser(
        "history", help="what happened to a task: provider calls, status changes, deliveries"
    )
    history.add_argument("task_id")
    history.add_argument("--json", action="store_true")
    _add_target_options(history)
    history.set_defaults(handler=_history)

    approve = commands.add_parser("approve", help="ask for the video of a preview waiting for review")
    approve.add_argument("task_id")
    approve.add_argument("--video-prompt")
    approve.add_argument("--motion-style", choices=[m.value for m in MotionStyle])
    _add_target_options(approve)
    approve.set_defaults(handler=_review, review_action="approve")

    regenerate = commands.add_parser("regenerate", help="a new preview as a new, linked task (1 credit)")
    regenerate.add_argument("task_id")
    regenerate.add_argument("--image-prompt")
    _add_target_options(regenerate)
    regenerate.set_defaults(handler=_review, review_action="regenerate")

    reject = commands.add_parser("reject", help="turn a preview down, ending its task")
    reject.add_argument("task_id")
    reject.add_argument("--reason")
    _add_target_options(reject)
    reject.set_defaults(handler=_review, review_action="reject")


def _add_shop_commands(commands: SubCommands) -> None:
    shop = commands.add_parser(
        "shop", help="connect a Shopify or WooCommerce shop, list or remove connections"
    )
    actions = shop.add_subparsers(dest="shop_command", required=True, metavar="ACTION")
    connect = actions.add_parser(
        "connect",
        help="connect a shop; prints the hook URL to register in it",
        description="The webhook secret is read from REELAY_SHOP_SECRET, else asked for without "
        "echo, else read from standard input: never from the command line. With --write-back, so "
        "are the shop's admin credentials: REELAY_SHOPIFY_ADMIN_TOKEN (Shopify), or "
        "REELAY_WOO_CONSUMER_KEY and REELAY_WOO_CONSUMER_SECRET (WooCommerce), one line each on "
        "standard input after the webhook secret.",
    )
    connect.add_argument("platform", choices=["shopify", "woocommerce"])
    connect.add_argument("shop", help="Shopify: acme.myshopify.com; WooCommerce: the site URL")
    connect.add_argument("--type", dest="product_type", choices=[t.value for t in ProductType])
    connect.add_argument("--aspect-ratio", choices=[a.value for a in AspectRatio])
    connect.add_argument("--no-auto-video", action="store_true", help="stop each product at its preview")
    connect.add_argument("--image-prompt-template", help="e.g. '{title} by {vendor} on a marble table'")
    connect.add_argument("--video-prompt-template")
    connect.add_argument("--write-back", action="store_true", help="put each finished video on its product")
    connect.add_argument("--shopify-api-version", help="Shopify Admin API version (default 2025-10)")
    connect.add_argument("--woo-video-meta-key", help="WooCommerce product meta key for the video URL")
    connect.add_argument("--woo-video-in-description", action="store_true", help="also a <video> block")
    connect.add_argument("--json", action="store_true")
    _add_target_options(connect)
    connect.set_defaults(handler=_shop_connect)

    listing = actions.add_parser("list", help="the tenant's shop connections")
    listing.add_argument("--json", action="store_true")
    _add_target_options(listing)
    listing.set_defaults(handler=_shop_list)

    disconnect = actions.add_parser("disconnect", help="remove a connection (its hooks then answer 404)")
    disconnect.add_argument("connection_id")
    _add_target_options(disconnect)
    disconnect.set_defaults(handler=_shop_disconnect)


def _add_tenant_commands(commands: SubCommands) -> SubCommands:
    tenant = commands.add_parser("tenant", help="manage tenants")
    tenant_commands = tenant.add_subparsers(dest="tenant_command", required=True, metavar="ACTION")
    create = tenant_commands.add_parser(
        "create", help="create a tenant; prints its API key and webhook secret once"
    )
    create.add_argument("name")
    _add_table_options(create)
    create.add_argument("--tenant-id", help="default: derived from the name plus a random suffix")
    create.add_argument(
        "--daily-credit-budget",
        type=_credits,
        metavar="CREDITS",
        help="credits per UTC day, 0 for unlimited (default: the stack's DailyCreditBudget)",
    )
    create.add_argument("--json", action="store_true")
    create.set_defaults(handler=_create_tenant)

    budget = tenant_commands.add_parser(
        "budget",
        help="set a tenant's daily credit budget",
        description="A paid Creatify call reserves its credits (1 for an image, 3 for a video) on "
        "the tenant's budget for the UTC day; a call with no room left fails its task with "
        "`credit budget exhausted`. The new budget applies to the next reservation.",
    )
    budget.add_argument("tenant_id")
    value = budget.add_mutually_exclusive_group(required=True)
    value.add_argument(
        "--daily-credits", type=_credits, metavar="CREDITS", help="credits per UTC day; 0 is unlimited"
    )
    value.add_argument(
        "--stack-default", action="store_true", help="follow the stack's DailyCreditBudget again"
    )
    _add_table_options(budget)
    budget.add_argument("--json", action="store_true")
    budget.set_defaults(handler=_tenant_budget)
    return tenant_commands


def _add_table_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--table", help="the task table's name (the stack's TableName output)")
    where.add_argument(
        "--stack", dest="stack_name", help="read the table name from this CloudFormation stack"
    )
    parser.add_argument("--region")
    parser.add_argument("--endpoint-url", help="AWS endpoint, e.g. the moto server `reelay up` prints")


def _credits(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a whole number of credits, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"cannot be negative, got {value}")
    return value


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


# Each command imports its module when it runs: `reelay --help` should not pay for httpx or boto3.


def _submit(args: argparse.Namespace, out: TextIO) -> int:
    from reelay_cli import task_commands

    target = task_commands.resolve_target(args.api_url, args.api_key)
    wait = args.timeout if args.wait else None
    return task_commands.submit(target, submit_request(args), args.idempotency_key, wait, out)


def _status(args: argparse.Namespace, out: TextIO) -> int:
    from reelay_cli import task_commands

    target = task_commands.resolve_target(args.api_url, args.api_key)
    return task_commands.status(target, args.task_id, args.timeout if args.wait else None, out)


def _list(args: argparse.Namespace, out: TextIO) -> int:
    from reelay_cli import task_commands

    target = task_commands.resolve_target(args.api_url, args.api_key)
    return task_commands.list_tasks(target, args.status, args.limit, args.cursor, args.json, out)


def _history(args: argparse.Namespace, out: TextIO) -> int:
    from reelay_cli import task_commands

    target = task_commands.resolve_target(args.api_url, args.api_key)
    return task_commands.history(target, args.task_id, args.json, out)


def _shop_connect(args: argparse.Namespace, out: TextIO) -> int:
    from reelay_cli import shop_commands, task_commands

    target = task_commands.resolve_target(args.api_url, args.api_key)
    return shop_commands.connect(target, shop_commands.connect_request(args), args.json, out)


def _shop_list(args: argparse.Namespace, out: TextIO) -> int:
    from reelay_cli import shop_commands, task_commands

    return shop_commands.list_connections(
        task_commands.resolve_target(args.api_url, args.api_key), args.json, out
    )


def _shop_disconnect(args: argparse.Namespace, out: TextIO) -> int:
    from reelay_cli import shop_commands, task_commands

    target = task_commands.resolve_target(args.api_url, args.api_key)
    return shop_commands.disconnect(target, args.connection_id, out)


def _review(args: argparse.Namespace, out: TextIO) -> int:
    from reelay_cli import task_commands

    target = task_commands.resolve_target(args.api_url, args.api_key)
    options = {
        name: getattr(args, name, None) for name in ("video_prompt", "motion_style", "image_prompt", "reason")
    }
    return task_commands.review(target, args.review_action, args.task_id, options, out)


def _create_tenant(args: argparse.Namespace, out: TextIO) -> int:
    from reelay_cli.tenant_admin import create_tenant_command

    return create_tenant_command(
        args.name,
        table=args.table,
        stack_name=args.stack_name,
        region=args.region,
        endpoint_url=args.endpoint_url,
        tenant_id=args.tenant_id,
        daily_credit_budget=args.daily_credit_budget,
        as_json=args.json,
        out=out,
    )


def _tenant_budget(args: argparse.Namespace, out: TextIO) -> int:
    from reelay_cli.tenant_admin import set_budget_command

    return set_budget_command(
        args.tenant_id,
        None if args.stack_default else args.daily_credits,
        table=args.table,
        stack_name=args.stack_name,
        region=args.region,
        endpoint_url=args.endpoint_url,
        as_json=args.json,
        out=out,
    )


def main(argv: list[str] | None = None, plugins: Iterable[Register] | None = None) -> int:
    parser = build_parser(plugins)
    # Known args only so a command that needs the local extra can answer whatever flags it was given.
    args, unknown = parser.parse_known_args(argv)
    if unknown and not getattr(args, "takes_any_arguments", False):
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return int(args.handler(args, sys.stdout))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the reason, not a traceback: these are the user's and the network's errors
        if _is_bug(exc):
            raise
        sys.stderr.write(f"reelay {args.command}: {exc}\n")
        return 1


def _is_bug(exc: Exception) -> bool:
    """Errors worth a traceback: ours, not the user's input, the network or AWS answering no."""
    # Not guarded by `except ImportError`: if one of these classes moves, the triage must fail
    # loudly (and its tests with it) rather than quietly give every AWS error a traceback.
    from botocore.exceptions import BotoCoreError, ClientError

    from reelay.errors import TenantConflict
    from reelay_cli.errors import UserError

    expected = (UserError, ValueError, LookupError, OSError, BotoCoreError, ClientError, TenantConflict)
    return not isinstance(exc, expected)


if __name__ == "__main__":
    raise SystemExit(main())
