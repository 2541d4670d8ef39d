"""The tenant repository: tenant profiles, the API-key lookups that authenticate a request, and
the operator's directory of tenants.

An API key is looked up by its SHA-256 (hashing is the security module's job; this module
only ever sees the hash). The profile, its lookup item and its directory entry are written in
one transaction, so a key can never point at a missing tenant, and two tenants can never share
a key. A rotated-out key's lookup carries `expires_at` (epoch seconds): it authenticates until
then, and DynamoDB's TTL removes it some time after; a revoked key's lookup is deleted at once.
The directory entry holds the tenant's id, name and creation time only, never a secret, so
listing tenants reads no secret at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from reelay.clients.aws import aws_client
from reelay.dal import keys
from reelay.dal.attribute_values import from_item, to_attribute, to_item
from reelay.dal.expressions import Expression, is_condition_failure
from reelay.dal.transactions import cancellation_reasons, write_transaction
from reelay.errors import ApiKeyInUse, TenantChangedMeanwhile, TenantExists, TenantNotFound
from reelay.models.tenant_profile import TenantProfile

if TYPE_CHECKING:
    # The authorizer only reads a key's lookup item: the models (and pydantic, about a quarter of
    # its cold start) are imported by the reads and writes that build or take a tenant.
    from reelay.models.tenant import Tenant, TenantSummary

_SECRETS = ("webhook_secret", "previous_webhook_secret")


def _tenant_from_item(item: Mapping[str, Mapping[str, Any]]) -> Tenant:
    from reelay.models.tenant import Tenant

    return Tenant.model_validate({k: v for k, v in from_item(item).items() if k not in keys.KEY_ATTRIBUTES})


def _profile_from_item(item: Mapping[str, Mapping[str, Any]]) -> TenantProfile:
    # The profile's own fields only; the item's other attributes are ignored as it reads them.
    return TenantProfile.from_stored(from_item(item))


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _cancel_reasons(exc: ClientError) -> list[str]:
    """Why each item of a refused transaction failed; any other error is raised again."""
    if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        raise exc
    return cancellation_reasons(exc)


class TenantRepository:
    def __init__(self, table_name: str, client: Any = None) -> None:
        if client is None:
            # One client per process, shared with every other repository (created lazily).
            client = aws_client("dynamodb")
        self._table = table_name
        self._client = client

    def _lookup_put(self, api_key_hash: str, tenant_id: str) -> dict[str, Any]:
        item = {
            **keys.api_key_key(api_key_hash),
            "entity": to_attribute(keys.ENTITY_API_KEY),
            "tenant_id": to_attribute(tenant_id),
        }
        return {
            "Put": {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}
        }

    def _lookup_delete(self, api_key_hash: str) -> dict[str, Any]:
        return {"Delete": {"TableName": self._table, "Key": keys.api_key_key(api_key_hash)}}

    def create(self, tenant: Tenant) -> None:
        """Store a new tenant, its API-key lookup and its directory entry together.

        Raises TenantExists if the tenant id is taken, ApiKeyInUse if the key hash is.
        """
        profile = {
            # No budget of its own is no attribute, as set_daily_credit_budget(None) leaves it.
            **tenant.model_dump(mode="json", exclude_none=True, exclude=set(_SECRETS)),
            "webhook_secret": tenant.webhook_secret.get_secret_value(),
            "created_at": keys.iso(tenant.created_at),
            "entity": keys.ENTITY_TENANT,
        }
        listing = {
            **keys.tenant_directory_key(tenant.created_at, tenant.tenant_id),
            **to_item(
                {
                    "entity": keys.ENTITY_TENANT_LISTING,
                    "tenant_id": tenant.tenant_id,
                    "name": tenant.name,
                    "created_at": keys.iso(tenant.created_at),
                }
            ),
        }
        try:
            write_transaction(
                self._client,
                [
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {**keys.tenant_profile_key(tenant.tenant_id), **to_item(profile)},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    self._lookup_put(tenant.api_key_hash, tenant.tenant_id),
                    {"Put": {"TableName": self._table, "Item": listing}},
                ],
            )
        except ClientError as exc:
            reasons = _cancel_reasons(exc)
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

    def profile(self, tenant_id: str) -> TenantProfile | None:
        """What the workers need of the tenant (its signing secrets, its budget), read without pydantic."""
        response = self._client.get_item(
            TableName=self._table, Key=keys.tenant_profile_key(tenant_id), ConsistentRead=True
        )
        item = response.get("Item")
        return _profile_from_item(item) if item else None

    def find_by_api_key_hash(self, api_key_hash: str, now: datetime | None = None) -> Tenant | None:
        """The tenant whose API key has this SHA-256 (lowercase hex) and is valid at `now`, or None."""
        tenant_id = self.tenant_id_for_api_key_hash(api_key_hash, now)
        return self.get(tenant_id) if tenant_id is not None else None

    def tenant_id_for_api_key_hash(self, api_key_hash: str, now: datetime | None = None) -> str | None:
        """The id of the tenant whose key this is, valid at `now`; None for no such key.

        One strongly consistent read: the lookup item alone says it all, since every change to
        a key (creation, rotation, revocation) writes its lookup in the profile's transaction.
        """
        response = self._client.get_item(
            TableName=self._table, Key=keys.api_key_key(api_key_hash), ConsistentRead=True
        )
        item = response.get("Item")
        if not item:
            return None
        expires = item.get("expires_at")
        # TTL removes an expired lookup only eventually: the time itself decides.
        if expires is not None and float(expires["N"]) <= _now(now).timestamp():
            return None
        return str(item["tenant_id"]["S"])

    def list(self) -> list[TenantSummary]:
        """Every tenant, oldest first (the directory partition; it holds no secret)."""
        e = Expression()
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": f"{e.name('pk')} = {e.value(keys.TENANT_DIRECTORY_PK)}",
            **e.params(),
        }
        from reelay.models.tenant import TenantSummary

        found: list[TenantSummary] = []
        while True:
            response = self._client.query(**params)
            found += [TenantSummary.model_validate(from_item(item)) for item in response.get("Items", [])]
            if not response.get("LastEvaluatedKey"):
                return found
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _profile_update(self, tenant: Tenant, sets: dict[str, Any], removes: list[str]) -> dict[str, Any]:
        """An update of the profile that holds only while the tenant is as `tenant` was read."""
        e = Expression()
        clauses = [f"{e.name(name)} = {e.value(value)}" for name, value in sets.items()]
        expression = "SET " + ", ".join(clauses) if clauses else ""
        if removes:
            expression += " REMOVE " + ", ".join(e.name(name) for name in removes)
        # The current key and secret identify the version read: any rotation or roll changes one.
        condition = (
            f"{e.name('api_key_hash')} = {e.value(tenant.api_key_hash)} AND "
            f"{e.name('webhook_secret')} = {e.value(tenant.webhook_secret.get_secret_value())}"
        )
        if tenant.api_key_revoked_at is None:
            condition += f" AND attribute_not_exists({e.name('api_key_revoked_at')})"
        return {
            "Update": {
                "TableName": self._table,
                "Key": keys.tenant_profile_key(tenant.tenant_id),
                "UpdateExpression": expression.strip(),
                "ConditionExpression": condition,
                **e.params(),
            }
        }

    def _lookup_expiry(self, api_key_hash: str, until: datetime) -> dict[str, Any]:
        e = Expression()
        return {
            "Update": {
                "TableName": self._table,
                "Key": keys.api_key_key(api_key_hash),
                "UpdateExpression": f"SET {e.name('expires_at')} = {e.value(int(until.timestamp()))}",
                # Never recreate a lookup that a revocation removed.
                "ConditionExpression": f"attribute_exists({e.name('pk')})",
                **e.params(),
            }
        }

    def _transact(self, tenant_id: str, writes: list[dict[str, Any]]) -> None:
        try:
            write_transaction(self._client, writes)
        except ClientError as exc:
            reasons = _cancel_reasons(exc)
            if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed" and reasons[0] in (None, "None"):
                raise ApiKeyInUse() from None
            raise TenantChangedMeanwhile(tenant_id) from None

    def _current(self, tenant_id: str) -> Tenant:
        tenant = self.get(tenant_id)
        if tenant is None:
            raise TenantNotFound(tenant_id)
        return tenant

    def rotate_api_key(self, tenant_id: str, new_hash: str, valid_until: datetime) -> Tenant:
        """Make `new_hash` the tenant's key; the current one works until `valid_until` (now: not at all).

        A key still in the overlap of an earlier rotation stops at once. Raises TenantNotFound,
        ApiKeyInUse, or TenantChangedMeanwhile if another change to the tenant came first.
        """
        tenant = self._current(tenant_id)
        profile_sets: dict[str, Any] = {"api_key_hash": new_hash}
        removes = ["api_key_revoked_at", "previous_api_key_hash", "previous_api_key_expires_at"]
        writes = [self._lookup_put(new_hash, tenant_id)]
        old_is_live = tenant.api_key_revoked_at is None
        if old_is_live and valid_until > datetime.now(UTC):
            writes.append(self._lookup_expiry(tenant.api_key_hash, valid_until))
            profile_sets["previous_api_key_hash"] = tenant.api_key_hash
            profile_sets["previous_api_key_expires_at"] = keys.iso(valid_until)
            removes = ["api_key_revoked_at"]
        elif old_is_live:
            writes.append(self._lookup_delete(tenant.api_key_hash))
        if tenant.previous_api_key_hash:
            writes.append(self._lookup_delete(tenant.previous_api_key_hash))
        writes.insert(0, self._profile_update(tenant, profile_sets, removes))
        # The profile update first and the new lookup second, so _transact can tell a taken key
        # (only the second failed) from a concurrent change.
        self._transact(tenant_id, writes)
        return self._current(tenant_id)

    def revoke_api_keys(self, tenant_id: str, *, previous_only: bool, now: datetime | None = None) -> Tenant:
        """Remove the lookups of the tenant's keys (only the rotated-out one with `previous_only`).

        Effective for the next request the authorizer checks. Raises TenantNotFound or
        TenantChangedMeanwhile.
        """
        tenant = self._current(tenant_id)
        writes: list[dict[str, Any]] = []
        sets: dict[str, Any] = {}
        if tenant.previous_api_key_hash:
            writes.append(self._lookup_delete(tenant.previous_api_key_hash))
        if not previous_only and tenant.api_key_revoked_at is None:
            writes.append(self._lookup_delete(tenant.api_key_hash))
            sets["api_key_revoked_at"] = keys.iso(_now(now))
        if not writes:
            return tenant
        update = self._profile_update(tenant, sets, ["previous_api_key_hash", "previous_api_key_expires_at"])
        self._transact(tenant_id, [update, *writes])
        return self._current(tenant_id)

    def roll_webhook_secret(self, tenant_id: str, new_secret: str, valid_until: datetime) -> Tenant:
        """Sign with `new_secret` from now on, and also with the current one until `valid_until`."""
        tenant = self._current(tenant_id)
        sets: dict[str, Any] = {"webhook_secret": new_secret}
        removes: list[str] = []
        if valid_until > datetime.now(UTC):
            sets["previous_webhook_secret"] = tenant.webhook_secret.get_secret_value()
            sets["previous_webhook_secret_expires_at"] = keys.iso(valid_until)
        else:
            removes = ["previous_webhook_secret", "previous_webhook_secret_expires_at"]
        self._transact(tenant_id, [self._profile_update(tenant, sets, removes)])
        return self._current(tenant_id)

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
