"""A tenant of Reelay: who may call the API, the secret their webhooks are signed with, their budget.

Keys and secrets are replaced with an overlap: after a rotation the previous API key stays
valid, and deliveries are signed with the previous webhook secret too, until a stated time,
so the tenant can switch over without a moment where nothing works.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field, SecretStr

from reelay.models.base import ReelayModel
from reelay.models.clock import utc_now
from reelay.models.tenant_profile import TenantProfile

# How long a replaced API key or webhook secret keeps working unless the operator says otherwise.
DEFAULT_OVERLAP_HOURS = 24


class Tenant(ReelayModel):
    model_config = ConfigDict(extra="ignore")

    tenant_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=200)
    # SHA-256 of the API key, lowercase hex; the key itself is never stored.
    api_key_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    # Signs outbound webhooks (Standard Webhooks); SecretStr keeps it out of logs and reprs.
    webhook_secret: SecretStr
    created_at: datetime = Field(default_factory=utc_now)
    # Credits the tenant's paid Creatify calls may reserve per UTC day; 0 is unlimited, None
    # (absent) follows the stack's DailyCreditBudget.
    daily_credit_budget: int | None = Field(default=None, ge=0)
    # The key a rotation replaced, valid until `previous_api_key_expires_at`.
    previous_api_key_hash: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    previous_api_key_expires_at: datetime | None = None
    # Set when every key of the tenant was revoked; a rotation issues a new one.
    api_key_revoked_at: datetime | None = None
    # The secret a roll replaced: deliveries carry its signature too until the time given.
    previous_webhook_secret: SecretStr | None = None
    previous_webhook_secret_expires_at: datetime | None = None

    def profile(self) -> TenantProfile:
        """What the workers read of this tenant (reelay.dal.tenants.TenantRepository.profile)."""
        previous = self.previous_webhook_secret
        return TenantProfile(
            tenant_id=self.tenant_id,
            webhook_secret=self.webhook_secret.get_secret_value(),
            daily_credit_budget=self.daily_credit_budget,
            previous_webhook_secret=previous.get_secret_value() if previous is not None else None,
            previous_webhook_secret_expires_at=self.previous_webhook_secret_expires_at,
        )

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets a delivery made at `now` is signed with: the current one first."""
        return self.profile().signing_secrets(now)


class TenantSummary(ReelayModel):
    """What an operator's listing shows of a tenant: never a key or a secret."""

    tenant_id: str
    name: str
    created_at: datetime
