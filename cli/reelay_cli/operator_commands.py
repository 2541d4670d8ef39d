"""The operator's tools on the command line: tenants listed and their keys and secrets replaced,
dead letters listed and redriven (with AWS credentials), a delivery replayed and stuck tasks
found (through the API, with the tenant's key).
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from reelay.models.tenant import DEFAULT_OVERLAP_HOURS
from reelay_cli.plugins import SubCommands

QUEUE_NAMES = ("provider", "delivery", "media", "publish", "stream")


def _add_aws_options(parser: argparse.ArgumentParser, *, table: bool) -> None:
    if table:
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--table", help="the task table's name (the stack's TableName output)")
        where.add_argument("--stack", dest="stack_name", help="read the table name from this stack")
    else:
        parser.add_argument("--stack", dest="stack_name", required=True, help="the CloudFormation stack")
    parser.add_argument("--region")
    parser.add_argument("--endpoint-url", help="AWS endpoint, e.g. the moto server `reelay up` prints")


def _overlap(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--overlap-hours",
        type=float,
        default=float(DEFAULT_OVERLAP_HOURS),
        help=f"how long the {what} keeps working beside the new one "
        f"(default {DEFAULT_OVERLAP_HOURS}; 0: it stops now)",
    )


def add_tenant_actions(actions: SubCommands) -> None:
    listing = actions.add_parser("list", help="every tenant: id, creation time, name (no secrets)")
    listing.add_argument("--json", action="store_true")
    _add_aws_options(listing, table=True)
    listing.set_defaults(handler=_tenant_list)

    rotate = actions.add_parser(
        "rotate-key", help="a new API key, shown once; the old one works for an overlap"
    )
    rotate.add_argument("tenant_id")
    _overlap(rotate, "old key")
    rotate.add_argument("--json", action="store_true")
    _add_aws_options(rotate, table=True)
    rotate.set_defaults(handler=_tenant_rotate)

    revoke = actions.add_parser("revoke-key", help="every API key of the tenant stops working now")
    revoke.add_argument("tenant_id")
    revoke.add_argument(
        "--previous-only", action="store_true", help="only the key a rotation replaced (ends the overlap)"
    )
    _add_aws_options(revoke, table=True)
    revoke.set_defaults(handler=_tenant_revoke)

    roll = actions.add_parser(
        "roll-secret",
        help="a new webhook signing secret, shown once; deliveries carry both signatures for an overlap",
    )
    roll.add_argument("tenant_id")
    _overlap(roll, "old secret")
    roll.add_argument("--json", action="store_true")
    _add_aws_options(roll, table=True)
    roll.set_defaults(handler=_tenant_roll)


def add_operator_commands(commands: SubCommands, add_target_options: Any) -> None:
    replay = commands.add_parser("replay", help="deliver a finished task's webhook again (same event id)")
    replay.add_argument("task_id")
    add_target_options(replay)
    replay.set_defaults(handler=_replay)

    stuck = commands.add_parser("stuck", help="tasks waiting on Creatify with no change for a while")
    stuck.add_argument(
        "--minutes", type=int, default=30, help="unchanged for at least this long (default 30)"
    )
    stuck.add_argument("--limit", type=int, default=100)
    stuck.add_argument("--json", action="store_true")
    add_target_options(stuck)
    stuck.set_defaults(handler=_stuck)

    dlq = commands.add_parser("dlq", help="list or redrive the stack's dead-letter queues (AWS credentials)")
    actions = dlq.add_subparsers(dest="dlq_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="each message: kind, task id, age, receive count")
    listing.add_argument("--queue", choices=QUEUE_NAMES, help="one queue (default: all)")
    listing.add_argument("--json", action="store_true")
    _add_aws_options(listing, table=False)
    listing.set_defaults(handler=_dlq_list)

    redrive = actions.add_parser("redrive", help="move messages back to the queue they came from")
    redrive.add_argument("--queue", choices=[q for q in QUEUE_NAMES if q != "stream"], required=True)
    redrive.add_argument("--task-id", action="append", help="only this task's messages (repeatable)")
    redrive.add_argument("--json", action="store_true")
    _add_aws_options(redrive, table=False)
    redrive.set_defaults(handler=_dlq_redrive)


def _clients(args: argparse.Namespace) -> Any:
    from reelay_cli.tenant_admin import aws_session_clients

    return aws_session_clients(args.region, args.endpoint_url)


def _table(args: argparse.Namespace, clients: Any) -> str:
    from reelay_cli.tenant_admin import table_from_stack

    return str(args.table or table_from_stack(clients, str(args.stack_name)))


def _tenant_list(args: argparse.Namespace, out: TextIO) -> int:
    from reelay_cli.tenant_admin import list_tenants_command

    clients = _clients(args)
    return list_tenants_command(clients, _table(args, clients), args.json, out)


def _tenant_rotate(args: argparse.Namespace, out: TextIO) -> int:
    from reelay_cli.tenant_admin import rotate_key_command

    clients = _clients(args)
    table = _table(args, clients)
    return rotate_key_command(clients, table, args.tenant_id, args.overlap_hours, args.json, out)


def _tenant_revoke(args: argparse.Namespace, out: TextIO) -> int:
    from reelay_cli.tenant_admin import revoke_key_command

    clients = _clients(args)
    return revoke_key_command(clients, _table(args, clients), args.tenant_id, args.previous_only, out)


def _tenant_roll(args: argparse.Namespace, out: TextIO) -> int:
    from reelay_cli.tenant_admin import roll_secret_command

    clients = _clients(args)
    table = _table(args, clients)
    return roll_secret_command(clients, table, args.tenant_id, args.overlap_hours, args.json, out)


def _replay(args: argparse.Namespace, out: TextIO) -> int:
    from reelay_cli import task_commands

    return task_commands.replay(task_commands.resolve_target(args.api_url, args.api_key), args.task_id, out)


def _stuck(args: argparse.Namespace, out: TextIO) -> int:
    from reelay_cli import task_commands

    target = task_commands.resolve_target(args.api_url, args.api_key)
    return task_commands.stuck(target, args.minutes, args.limit, args.json, out)


def _dlq_list(args: argparse.Namespace, out: TextIO) -> int:
    from reelay_cli.dead_letters import list_command

    return list_command(_clients(args), args.stack_name, args.queue, args.json, out)


def _dlq_redrive(args: argparse.Namespace, out: TextIO) -> int:
    from reelay_cli.dead_letters import redrive_command

    return redrive_command(_clients(args), args.stack_name, args.queue, args.task_id, args.json, out)
