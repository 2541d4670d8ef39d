"""Connecting a tenant's shop: create, read, change and remove shop connections.

The webhook secrets and the shop's admin credentials (for write-back) are sealed before they
are stored (bound to the tenant and connection, see reelay.logic.connection_secrets) and never
come back out through here: a view says only whether a second secret or a credential is set.
"""

from __future__ import annotations

import secrets
from typing import Any

from reelay.deps import Deps
from reelay.errors import ConnectionNotFound, CredentialNotForPlatform
from reelay.logic.connection_secrets import secret_context
from reelay.models.connection import (
    ALL_CREDENTIAL_FIELDS,
    Platform,
    ShopConnection,
    foreign_credential,
    foreign_credential_reason,
    sealed_name,
)
from reelay.models.connection_api import (
    ShopConnectionPage,
    ShopConnectionRequest,
    ShopConnectionUpdate,
    ShopConnectionView,
)


def hook_url(platform: Platform, connection_id: str, api_base_url: str | None) -> str:
    path = f"/hooks/{platform.value}/{connection_id}"
    return f"{api_base_url.rstrip('/')}{path}" if api_base_url else path


def view(connection: ShopConnection, api_base_url: str | None) -> ShopConnectionView:
    return ShopConnectionView(
        **connection.settings(),
        id=connection.id,
        platform=connection.platform,
        shop=connection.shop,
        hook_url=hook_url(connection.platform, connection.id, api_base_url),
        has_next_secret=connection.sealed_next_secret is not None,
        has_admin_access_token=connection.sealed_admin_access_token is not None,
        has_consumer_key=connection.sealed_consumer_key is not None
        and connection.sealed_consumer_secret is not None,
        created_at=connection.created_at,
        updated_at=connection.updated_at,
    )


def connect_shop(
    tenant_id: str, request: ShopConnectionRequest, deps: Deps, *, api_base_url: str | None
) -> ShopConnectionView:
    """Store a new connection; ShopAlreadyConnected when the shop feeds a connection already."""
    connection_id = f"con_{secrets.token_hex(8)}"
    context = secret_context(tenant_id, connection_id)
    next_secret = request.next_webhook_secret
    connection = ShopConnection(
        **request.settings(),
        id=connection_id,
        tenant_id=tenant_id,
        platform=request.platform,
        shop=request.shop,
        sealed_secret=deps.secret_box.seal(request.webhook_secret, context),
        sealed_next_secret=deps.secret_box.seal(next_secret, context) if next_secret else None,
        **{
            sealed_name(name): deps.secret_box.seal(secret, context)
            for name in ALL_CREDENTIAL_FIELDS
            if (secret := getattr(request, name)) is not None
        },
    )
    deps.connections.create(connection)
    return view(connection, api_base_url)


def tenant_connection(tenant_id: str, connection_id: str, deps: Deps) -> ShopConnection:
    connection = deps.connections.get(connection_id)
    if connection is None or connection.tenant_id != tenant_id:
        raise ConnectionNotFound(connection_id)
    return connection


def list_connections(tenant_id: str, deps: Deps, *, api_base_url: str | None) -> ShopConnectionPage:
    return ShopConnectionPage(
        items=[view(c, api_base_url) for c in deps.connections.list_by_tenant(tenant_id)]
    )


def update_connection(
    tenant_id: str,
    connection_id: str,
    update: ShopConnectionUpdate,
    deps: Deps,
    *,
    api_base_url: str | None,
) -> ShopConnectionView:
    # The store changes the connection only if it is this tenant's (ConnectionNotFound otherwise).
    # Enums as their values: the store writes plain JSON-shaped attributes.
    changes: dict[str, Any] = {
        name: getattr(value, "value", value) for name, value in update.setting_changes().items()
    }
    context = secret_context(tenant_id, connection_id)
    if update.webhook_secret is not None:
        changes["sealed_secret"] = deps.secret_box.seal(update.webhook_secret, context)
    if "next_webhook_secret" in update.sent:
        secret = update.next_webhook_secret
        changes["sealed_next_secret"] = deps.secret_box.seal(secret, context) if secret is not None else None
    credentials = [name for name in ALL_CREDENTIAL_FIELDS if name in update.sent]
    if credentials:
        # Which credentials a connection takes depends on its platform, which the request does not say.
        connection = tenant_connection(tenant_id, connection_id, deps)
        foreign = foreign_credential(connection.platform, credentials)
        if foreign is not None:
            raise CredentialNotForPlatform(foreign, foreign_credential_reason(connection.platform, foreign))
        for name in credentials:
            credential = getattr(update, name)
            changes[sealed_name(name)] = (
                deps.secret_box.seal(credential, context) if credential is not None else None
            )
    return view(deps.connections.update(tenant_id, connection_id, changes), api_base_url)


def disconnect_shop(tenant_id: str, connection_id: str, deps: Deps) -> None:
    if not deps.connections.delete(tenant_id, connection_id):
        raise ConnectionNotFound(connection_id)
