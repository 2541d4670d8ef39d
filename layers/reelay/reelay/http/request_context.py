"""What API Gateway tells a handler about the caller and about itself, read from the proxy event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class MissingTenant(RuntimeError):
    """The authorizer context has no tenant: the route was deployed without the authorizer."""


def tenant_id(event: Mapping[str, Any]) -> str:
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    value = authorizer.get("tenant_id")
    if not value:
        raise MissingTenant("no tenant_id in the authorizer context")
    return str(value)


def invoke_url(event: Mapping[str, Any]) -> str | None:
    """The API's own invoke URL as API Gateway saw this request, or None if it cannot be known.

    Taken from the request context API Gateway fills in, not from client headers. A custom
    domain hides the stage mapping, so deployments behind one set PUBLIC_BASE_URL instead.
    """
    context = event.get("requestContext") or {}
    domain, stage = context.get("domainName"), context.get("stage")
    if not domain or not stage or ".execute-api." not in domain:
        return None
    return f"https://{domain}/{stage}"


def served_on_loopback(event: Mapping[str, Any]) -> bool:
    """Whether the request came through the embedded stack's gateway on 127.0.0.1."""
    domain = (event.get("requestContext") or {}).get("domainName") or ""
    return domain.rsplit(":", 1)[0] in ("127.0.0.1", "localhost", "[::1]")


def hook_base_url(event: Mapping[str, Any], public_base_url: str) -> str | None:
    """Where a shop should send its webhooks: PUBLIC_BASE_URL, else the API's own invoke URL.

    The embedded stack's gateway on 127.0.0.1 counts as the API's own too (over plain HTTP),
    so a local shop gets a hook URL it can reach.
    """
    if public_base_url and public_base_url.strip().lower() != "none":
        return public_base_url.rstrip("/")
    own = invoke_url(event)
    if own:
        return own
    context = event.get("requestContext") or {}
    domain, stage = context.get("domainName") or "", context.get("stage")
    if stage and served_on_loopback(event):
        return f"http://{domain}/{stage}"
    return None
