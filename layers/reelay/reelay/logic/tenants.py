"""Creating a tenant: the API key and the webhook signing secret are shown once, stored safely."""

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


def create_tenant(name: str, deps: Deps, tenant_id: str | None = None) -> NewTenant:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "tenant"
    tenant_id = tenant_id or f"{slug}-{secrets.token_hex(4)}"
    api_key = new_api_key()
    webhook_secret = new_secret()
    tenant = Tenant(
        tenant_id=tenant_id,
        name=name,
        api_key_hash=hash_api_key(api_key),
        webhook_secret=SecretStr(webhook_secret),
    )
    deps.tenants.create(tenant)
    return NewTenant(tenant=tenant, api_key=api_key, webhook_secret=webhook_secret)


def tenant_for_api_key(api_key: str, deps: Deps) -> Tenant | None:
    if not api_key:
        return None
    return deps.tenants.find_by_api_key_hash(hash_api_key(api_key))
