"""A tenant of Reelay: who may call the API, the secret their webhooks are signed with, their budget."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from reelay.models.task import utc_now


class Tenant(BaseModel):
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
