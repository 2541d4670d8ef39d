"""What the workers need of a tenant, job after job: the secrets its webhooks are signed with and
its daily credit budget.

A plain record (reelay.models.records) read from the profile item (reelay.dal.tenants), not
the pydantic `Tenant`: the delivery worker signs with it on its first invocation, and pydantic's
import alone is about a fifth of a boto3 Lambda's cold start. The secrets stay out of its repr.
"""

from __future__ import annotations

from dataclasses import field
from datetime import datetime

from reelay.models.records import Record, record


@record
class TenantProfile(Record):
    tenant_id: str
    webhook_secret: str = field(repr=False)
    # Credits per UTC day; 0 is unlimited, None follows the stack's DailyCreditBudget.
    daily_credit_budget: int | None = None
    # The secret a roll replaced, signing too until the time given.
    previous_webhook_secret: str | None = field(default=None, repr=False)
    previous_webhook_secret_expires_at: datetime | None = None

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets a delivery made at `now` is signed with: the current one first."""
        secrets = [self.webhook_secret]
        until = self.previous_webhook_secret_expires_at
        if self.previous_webhook_secret is not None and until is not None and now < until:
            secrets.append(self.previous_webhook_secret)
        return secrets
