"""A new tenant's API key and webhook secret are handed over once and never show in a repr."""

from __future__ import annotations

from pydantic import SecretStr

from reelay.logic.tenants import NewTenant
from reelay.models.tenant import Tenant
from reelay.security.api_keys import hash_api_key, new_api_key
from reelay.security.webhook_signing import new_secret


def test_a_new_tenants_repr_shows_neither_its_api_key_nor_its_webhook_secret():
    api_key, webhook_secret = new_api_key(), new_secret()
    tenant = Tenant(
        tenant_id="acme-1",
        name="Acme",
        api_key_hash=hash_api_key(api_key),
        webhook_secret=SecretStr(webhook_secret),
    )

    shown = repr(NewTenant(tenant=tenant, api_key=api_key, webhook_secret=webhook_secret))

    assert "acme-1" in shown
    assert api_key not in shown
    assert webhook_secret not in shown
