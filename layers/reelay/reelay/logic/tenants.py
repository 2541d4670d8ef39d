"""Tenants: created with an API key and a webhook signing secret shown once and stored safely;
keys rotated with an overlap or revoked at once, secrets rolled with an overlap; their credit budget.

During an overlap both the old and the new key authenticate, and every delivery carries a
signature made with each secret (Standard Webhooks allows several in `webhook-signature`),
so a tenant switches over at its own pace within the overlap, and nothing stops working.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from reelay.deps import Deps
from reelay.security.api_keys import hash_api_key, new_api_key
from reelay.security.webhook_signing import new_secret

if TYPE_CHECKING:
    # Imported where a tenant is built: the authorizer's key check needs neither the models nor
    # pydantic (about a quarter of its cold start).
    from reelay.models.tenant import Tenant, TenantSummary


@dataclass(frozen=True)
class NewTenant:
    tenant: Tenant
    # Shown to the operator once; kept out of the repr so a log line or traceback cannot leak them.
    api_key: str = field(repr=False)
    webhook_secret: str = field(repr=False)


@dataclass(frozen=True)
class Replaced:
    """A new key or secret, shown once, and until when the one it replaced still works."""

    tenant: Tenant
    value: str = field(repr=False)
    previous_valid_until: datetime | None


def create_tenant(
    name: str, deps: Deps, tenant_id: str | None = None, daily_credit_budget: int | None = None
) -> NewTenant:
    from pydantic import SecretStr

    from reelay.models.tenant import Tenant

    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "tenant"
    tenant_id = tenant_id or f"{slug}-{secrets.token_hex(4)}"
    api_key = new_api_key()
    webhook_secret = new_secret()
    tenant = Tenant(
        tenant_id=tenant_id,
        name=name,
        api_key_hash=hash_api_key(api_key),
        webhook_secret=SecretStr(webhook_secret),
        daily_credit_budget=daily_credit_budget,
    )
    deps.tenants.create(tenant)
    return NewTenant(tenant=tenant, api_key=api_key, webhook_secret=webhook_secret)


def tenant_for_api_key(api_key: str, deps: Deps) -> Tenant | None:
    if not api_key:
        return None
    return deps.tenants.find_by_api_key_hash(hash_api_key(api_key))


def tenant_id_for_api_key(api_key: str, deps: Deps) -> str | None:
    """The caller's tenant id, or None: what the authorizer asks on every request, in one read."""
    if not api_key:
        return None
    return deps.tenants.tenant_id_for_api_key_hash(hash_api_key(api_key))


def list_tenants(deps: Deps) -> list[TenantSummary]:
    return deps.tenants.list()


def _overlap_end(overlap: timedelta, now: datetime | None) -> datetime:
    if overlap < timedelta(0):
        raise ValueError("the overlap cannot be negative")
    return (now or datetime.now(UTC)) + overlap


def rotate_api_key(tenant_id: str, deps: Deps, overlap: timedelta, now: datetime | None = None) -> Replaced:
    """A new API key; the current one keeps working for `overlap` (zero: it stops now)."""
    until = _overlap_end(overlap, now)
    api_key = new_api_key()
    tenant = deps.tenants.rotate_api_key(tenant_id, hash_api_key(api_key), until)
    return Replaced(tenant, api_key, tenant.previous_api_key_expires_at)


def revoke_api_keys(tenant_id: str, deps: Deps, *, previous_only: bool = False) -> Tenant:
    """Every key of the tenant stops working now (with `previous_only`, the rotated-out one only)."""
    return deps.tenants.revoke_api_keys(tenant_id, previous_only=previous_only)


def roll_webhook_secret(
    tenant_id: str, deps: Deps, overlap: timedelta, now: datetime | None = None
) -> Replaced:
    """A new signing secret; deliveries are also signed with the current one for `overlap`."""
    until = _overlap_end(overlap, now)
    secret = new_secret()
    tenant = deps.tenants.roll_webhook_secret(tenant_id, secret, until)
    return Replaced(tenant, secret, tenant.previous_webhook_secret_expires_at)


def set_daily_credit_budget(tenant_id: str, credits: int | None, deps: Deps) -> Tenant:
    """Give a tenant its own daily credit budget (0: unlimited), or None to follow the stack's.

    Takes effect with the reservations made from a minute later at most (the provider worker reads
    profiles through a cache of a minute, dal/tenant_cache.py); credits already reserved today stay counted.
    """
    if credits is not None and credits < 0:
        raise ValueError(f"a daily credit budget cannot be negative, got {credits}")
    return deps.tenants.set_daily_credit_budget(tenant_id, credits)
