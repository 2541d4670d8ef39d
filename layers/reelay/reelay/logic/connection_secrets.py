"""A shop connection's sealed secrets: what they are bound to, and opening them.

The webhook secrets and the shop's admin credentials (for write-back) are sealed before they are
stored, bound to the tenant and connection (see `ports.services.SecretBox`): a secret copied onto
another connection's item does not open. Shop intake opens the webhook secrets to check a hook's
signature (`webhook_secrets`); only the publish worker opens the credentials
(`opened_credentials`), to call the shop's admin API. Apart from the connection routes' logic
(reelay.logic.shop_connections), so the hooks and workers import none of the API's models.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from reelay.deps import Deps
from reelay.errors import SealedSecretUnreadable
from reelay.models.connection import ShopConnection, sealed_name
from reelay.ports.shop_publishing import ShopCredentials

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


def opened_credentials(connection: ShopConnection, deps: Deps) -> ShopCredentials:
    """The connection's admin credentials in the clear, for one call to the shop (never stored so).

    Raises SealedSecretUnreadable when one cannot be opened.
    """
    context = secret_context(connection.tenant_id, connection.id)

    def opened(name: str) -> str | None:
        sealed = getattr(connection, sealed_name(name))
        return deps.secret_box.open(sealed, context) if sealed else None

    return ShopCredentials(
        access_token=opened("admin_access_token"),
        consumer_key=opened("consumer_key"),
        consumer_secret=opened("consumer_secret"),
    )
