"""`reelay shop connect|list|disconnect`: a tenant's shop connections over the API, local or deployed.

The webhook secret is never taken from the command line, where shell history and the process
list would keep it: it comes from an environment variable, or is asked for without echo, or
read from standard input when that is not a terminal.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from typing import Any, TextIO

from reelay_cli.api_client import ReelayClient
from reelay_cli.errors import UserError
from reelay_cli.task_commands import Target

SECRET_ENV = "REELAY_SHOP_SECRET"  # noqa: S105 (the variable's name, not a secret)


class NoSecret(UserError):
    """No webhook secret could be read."""


def read_secret(env_name: str = SECRET_ENV, stdin: TextIO | None = None) -> str:
    value = os.environ.get(env_name, "")
    if value:
        return value
    source = stdin if stdin is not None else sys.stdin
    if source.isatty():
        value = getpass.getpass("the shop's webhook secret (not shown): ")
    else:
        value = source.readline()
    value = value.strip()
    if not value:
        raise NoSecret(f"no webhook secret: set {env_name}, or type it when asked, or pipe it in")
    return value


def connect(target: Target, request: dict[str, Any], as_json: bool, out: TextIO) -> int:
    with ReelayClient(target.api_url, target.api_key) as client:
        connection = client.connect_shop(request)
    if as_json:
        out.write(json.dumps(connection, indent=2) + "\n")
        return 0
    out.write(f"connected {connection['platform']} shop {connection['shop']} as {connection['id']}\n")
    out.write(f"hook URL (register it in the shop): {connection['hook_url']}\n")
    out.write(_register_hint(connection) + "\n")
    return 0


def list_connections(target: Target, as_json: bool, out: TextIO) -> int:
    with ReelayClient(target.api_url, target.api_key) as client:
        items = client.shop_connections()["items"]
    if as_json:
        out.write(json.dumps(items, indent=2) + "\n")
        return 0
    if not items:
        out.write("no shop connections\n")
        return 0
    for c in items:
        state = "on" if c["enabled"] else "off"
        out.write(f"{c['id']}  {c['platform']:<11}  {state:<3}  {c['shop']}\n    {c['hook_url']}\n")
    return 0


def disconnect(target: Target, connection_id: str, out: TextIO) -> int:
    with ReelayClient(target.api_url, target.api_key) as client:
        client.disconnect_shop(connection_id)
    out.write(f"disconnected {connection_id}; remove its webhook from the shop too\n")
    return 0


def _register_hint(connection: dict[str, Any]) -> str:
    if connection["platform"] == "shopify":
        return (
            "In Shopify, subscribe products/create and products/update (JSON) to the hook URL; "
            "the secret is the app's client secret."
        )
    return (
        "In WooCommerce (Settings > Advanced > Webhooks), add Product created and Product updated "
        "webhooks with the hook URL as Delivery URL and the same secret."
    )
