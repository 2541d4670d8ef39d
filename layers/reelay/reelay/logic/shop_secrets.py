"""A shop connection's sealed secrets: what each is bound to, and the webhook secrets a hook is checked with.

Sealed (see `ports.services.SecretBox`) for one tenant's connection: a secret copied onto
another connection's item does not open. Shop intake opens only the webhook secrets, here, and
so does not import the connection use cases (reelay.logic.shop_connections), which the API
needs and a hook's first invocation does not.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from reelay.deps import Deps
from reelay.errors import SealedSecretUnreadable
from reelay.models.connection import ShopConnection

logger = Logger(child=True)


def secret_context(tenant_id: str, connection_id: str) -> dict[str, str]:
    """What a sealed secret is bound to: it opens for this tenant's connection only."""
    return {"tenant_id": tenant_id, "connection_id": connection_id}


def webhook_secrets(connection: ShopConnection, deps: Deps) -> list[str]:
    """The connection's webhook secret, and its next one during a rotation, opened."""
    context = secret_context(connection.tenant_id, connection.id)
    sealed = [s for s in (connection.sealed_secret, connection.sealed_next_secret) if s]
    opened: list[str] = []
    for secret in sealed:
        try:
            opened.append(deps.secret_box.open(secret, context))
        except SealedSecretUnreadable:
            # Logged, never raised: the shop gets a 401 and retries, which is what a fixed key needs.
            logger.error("a shop secret could not be opened", extra={"connection_id": connection.id})
    return opened
