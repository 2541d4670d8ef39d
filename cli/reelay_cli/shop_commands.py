"""`reelay shop connect|list|disconnect`: a tenant's shop connections over the API, local or deployed.

The webhook secret and the shop's admin credentials (for write-back) are never taken from the
command line, where shell history and the process list would keep them: each comes from an
environment variable, or is asked for without echo, or read from standard input (one line each,
the webhook secret first) when that is not a terminal.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Any, TextIO

from reelay_cli.api_client import ReelayClient
from reelay_cli.errors import UserError
from reelay_cli.task_commands import Target

SECRET_ENV = "REELAY_SHOP_SECRET"  # noqa: S105 (the variable's name, not a secret)
# The shop's admin credentials for write-back, by platform: (request field, variable, what it is).
CREDENTIALS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "shopify": (("admin_access_token", "REELAY_SHOPIFY_ADMIN_TOKEN", "the shop's Admin API access token"),),
    "woocommerce": (
        ("consumer_key", "REELAY_WOO_CONSUMER_KEY", "the store's REST API consumer key"),
        ("consumer_secret", "REELAY_WOO_CONSUMER_SECRET", "the store's REST API consumer secret"),
    ),
}


class NoSecret(UserError):
    """No webhook secret could be read."""


def read_secret(
    env_name: str = SECRET_ENV, stdin: TextIO | None = None, what: str = "the shop's webhook secret"
) -> str:
    value = os.environ.get(env_name, "")
    if value:
        return value
    source = stdin if stdin is not None else sys.stdin
    value = getpass.getpass(f"{what} (not shown): ") if source.isatty() else source.readline()
    value = value.strip()
    if not value:
        raise NoSecret(f"{what} is missing: set {env_name}, or type it when asked, or pipe it in")
    return value


def connect_request(args: argparse.Namespace, stdin: TextIO | None = None) -> dict[str, Any]:
    """The POST /v1/shop-connections body from the options, with every secret read as above."""
    request: dict[str, Any] = {
        "platform": args.platform,
        "shop": args.shop,
        "webhook_secret": read_secret(stdin=stdin),
    }
    for name, field in (
        ("product_type", "type"),
        ("aspect_ratio", "aspect_ratio"),
        ("image_prompt_template", "image_prompt_template"),
        ("video_prompt_template", "video_prompt_template"),
        ("shopify_api_version", "shopify_api_version"),
        ("woo_video_meta_key", "woo_video_meta_key"),
    ):
        value = getattr(args, name, None)
        if value is not None:
            request[field] = value
    if args.no_auto_video:
        request["auto_video"] = False
    if getattr(args, "woo_video_in_description", False):
        request["woo_video_in_description"] = True
    if getattr(args, "write_back", False):
        request["write_back"] = True
        for field, variable, what in CREDENTIALS[args.platform]:
            request[field] = read_secret(variable, stdin=stdin, what=what)
    return request


def connect(target: Target, request: dict[str, Any], as_json: bool, out: TextIO) -> int:
    with ReelayClient(target.api_url, target.api_key) as client:
        connection = client.connect_shop(request)
    if as_json:
        out.write(json.dumps(connection, indent=2) + "\n")
        return 0
    out.write(f"connected {connection['platform']} shop {connection['shop']} as {connection['id']}\n")
    out.write(f"hook URL (register it in the shop): {connection['hook_url']}\n")
    if connection.get("write_back"):
        out.write("write-back on: each finished video goes onto its product in the shop\n")
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
        back = "  write-back" if c.get("write_back") else ""
        out.write(f"{c['id']}  {c['platform']:<11}  {state:<3}  {c['shop']}{back}\n    {c['hook_url']}\n")
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
