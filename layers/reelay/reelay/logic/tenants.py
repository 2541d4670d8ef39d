"""Tenants: created with an API key and a webhook signing secret shown once; their credit budget."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from pydantic import SecretStr

from reelay.deps import Deps
from reelay.models.tenant import Tenant
from reelay.security.api_keys import hash_api_key, new_api_key
from reelay.security.webhook_signing import new_secret


@dataclass(frozen=True)
class NewTenant:
    tenant: Tenant
    # Shown to the operator once; kept out of the repr so a log line or traceback cannot leak them.
    api_key: str = field(repr=False)
    webhook_secret: str = field(repr=False)


def create_tenant(
    name: str, deps: Deps, tenant_id: str | None = None, daily_credit_budget: int | None = None
) -> NewTenant:
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


def set_daily_credit_budget(tenant_id: str, credits: int | None, deps: Deps) -> Tenant:
    """Give a tenant its own daily credit budget (0: unlimited), or None to follow the stack's.

    Takes effect with the next reservation; credits already reserved today stay counted.
    """
    if credits is not None and credits < 0:
        raise ValueError(f"a daily credit budget cannot be negative, got {credits}")
    return deps.tenants.set_daily_credit_budget(tenant_id, credits)
