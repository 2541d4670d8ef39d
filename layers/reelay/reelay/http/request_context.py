"""What API Gateway tells a handler about the caller and about itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

# Only in annotations: a single-route function reads its event without the resolver.
if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver


class MissingTenant(RuntimeError):
    """The authorizer context has no tenant: the route was deployed without the authorizer."""


def tenant_id(app: APIGatewayRestResolver) -> str:
    authorizer = app.current_event.request_context.authorizer
    raw = authorizer.raw_event if authorizer else {}
    value = (raw or {}).get("tenant_id")
    if not value:
        raise MissingTenant("no tenant_id in the authorizer context")
    return str(value)


def callback_base_url(app: APIGatewayRestResolver) -> str | None:
    """The API's own invoke URL as API Gateway saw this request, or None if it cannot be known.

    Taken from the request context API Gateway fills in, not from client headers. A custom
    domain hides the stage mapping, so deployments behind one set PUBLIC_BASE_URL instead.
    """
    return invoke_url(app.current_event.raw_event)


def invoke_url(event: Mapping[str, Any]) -> str | None:
    """`callback_base_url` of a proxy event read as a dict."""
    context = event.get("requestContext") or {}
    domain, stage = context.get("domainName"), context.get("stage")
    if not domain or not stage or ".execute-api." not in domain:
        return None
    return f"https://{domain}/{stage}"


def hook_base_url(app: APIGatewayRestResolver, public_base_url: str) -> str | None:
    """Where a shop should send its webhooks: PUBLIC_BASE_URL, else the API's own invoke URL.

    The embedded stack's gateway on 127.0.0.1 counts as the API's own too (over plain HTTP),
    so a local shop gets a hook URL it can reach.
    """
    if public_base_url and public_base_url.strip().lower() != "none":
        return public_base_url.rstrip("/")
    own = callback_base_url(app)
    if own:
        return own
    context = app.current_event.request_context
    domain, stage = context.domain_name or "", context.stage
    host = domain.rsplit(":", 1)[0]
    if stage and host in ("127.0.0.1", "localhost", "[::1]"):
        return f"http://{domain}/{stage}"
    return None
