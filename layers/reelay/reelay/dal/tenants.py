"""The tenant repository: tenant profiles and the API-key lookup that authenticates a request.

The API key is looked up by its SHA-256 (hashing is the security module's job; this module
only ever sees the hash). The profile and its lookup item are written in one transaction,
so a key can never point at a missing tenant, and two tenants can never share a key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from reelay.clients.aws import aws_client
from reelay.dal import keys
from reelay.dal.attribute_values import from_item, to_attribute, to_item
from reelay.dal.expressions import Expression, is_condition_failure
from reelay.dal.transactions import cancellation_reasons, write_transaction
from reelay.errors import ApiKeyInUse, TenantExists, TenantNotFound
from reelay.models.tenant import Tenant


def _tenant_from_item(item: Mapping[str, Mapping[str, Any]]) -> Tenant:
    return Tenant.model_validate({k: v for k, v in from_item(item).items() if k not in keys.KEY_ATTRIBUTES})


class TenantRepository:
    def __init__(self, table_name: str, client: Any = None) -> None:
        if client is None:
            # One client per process, shared with every other repository (created lazily).
            client = aws_client("dynamodb")
        self._table = table_name
        self._client = client

    def create(self, tenant: Tenant) -> None:
        """Store a new tenant and its API-key lookup together.

        Raises TenantExists if the tenant id is taken, ApiKeyInUse if the key hash is.
        """
        profile = {
            # No budget of its own is no attribute, as set_daily_credit_budget(None) leaves it.
            **tenant.model_dump(mode="json", exclude_none=True),
            "webhook_secret": tenant.webhook_secret.get_secret_value(),
            "created_at": keys.iso(tenant.created_at),
            "entity": keys.ENTITY_TENANT,
        }
        profile_item = {**keys.tenant_profile_key(tenant.tenant_id), **to_item(profile)}
        lookup_item = {
            **keys.api_key_key(tenant.api_key_hash),
            "entity": to_attribute(keys.ENTITY_API_KEY),
            "tenant_id": to_attribute(tenant.tenant_id),
        }
        try:
            write_transaction(
                self._client,
                [
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": profile_item,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": lookup_item,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ],
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = cancellation_reasons(exc)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise TenantExists(tenant.tenant_id) from None
            if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                raise ApiKeyInUse() from None
            # No reasons to go on (older emulators): say which one is taken by looking.
            if self.get(tenant.tenant_id) is not None:
                raise TenantExists(tenant.tenant_id) from None
            if self.find_by_api_key_hash(tenant.api_key_hash) is not None:
                raise ApiKeyInUse() from None
            raise

    def get(self, tenant_id: str) -> Tenant | None:
        response = self._client.get_item(
            TableName=self._table, Key=keys.tenant_profile_key(tenant_id), ConsistentRead=True
        )
        item = response.get("Item")
        return _tenant_from_item(item) if item else None

    def find_by_api_key_hash(self, api_key_hash: str) -> Tenant | None:
        """The tenant whose API key has this SHA-256 (lowercase hex), or None."""
        response = self._client.get_item(
            TableName=self._table, Key=keys.api_key_key(api_key_hash), ConsistentRead=True
        )
        item = response.get("Item")
        if not item:
            return None
        return self.get(item["tenant_id"]["S"])

    def set_daily_credit_budget(self, tenant_id: str, credits: int | None) -> Tenant:
        """Set the tenant's own daily credit budget, or remove it (None) to follow the stack's."""
        e = Expression()
        budget = e.name("daily_credit_budget")
        update = f"REMOVE {budget}" if credits is None else f"SET {budget} = {e.value(credits)}"
        try:
            answer = self._client.update_item(
                TableName=self._table,
                Key=keys.tenant_profile_key(tenant_id),
                UpdateExpression=update,
                ConditionExpression=f"attribute_exists({e.name('pk')})",
                ReturnValues="ALL_NEW",
                **e.params(),
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                raise TenantNotFound(tenant_id) from None
            raise
        return _tenant_from_item(answer["Attributes"])
