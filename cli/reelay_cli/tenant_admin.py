"""`reelay tenant create|budget`: an operator adds a tenant or sets its budget, with their own AWS keys.

Writes to the task table through the same repository the functions use. `create` prints the
API key and the webhook signing secret: the only time they are shown (the table keeps a hash
of the key). `budget` sets the tenant's daily credit budget. Both work against a deployed stack
(the operator's usual AWS credentials) or a local one (`--endpoint-url` of its moto server).
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from reelay_cli.endpoints import is_loopback


def aws_session_clients(region: str | None, endpoint_url: str | None) -> Any:
    import boto3

    kwargs: dict[str, Any] = {}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
        session = boto3.session.Session(region_name=region or "us-east-1")
        if is_loopback(endpoint_url) and session.get_credentials() is None:
            # A local moto server takes any credentials; do not make the operator invent some.
            kwargs.update(aws_access_key_id="local", aws_secret_access_key="local")  # noqa: S106
    else:
        session = boto3.session.Session(region_name=region)

    def client(service: str) -> Any:
        return session.client(service, **kwargs)

    return client


def table_from_stack(clients: Any, stack_name: str) -> str:
    stack = clients("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    for output in stack.get("Outputs", []):
        if output["OutputKey"] == "TableName":
            return str(output["OutputValue"])
    raise LookupError(f"stack {stack_name} has no TableName output")


def create_tenant_command(
    name: str,
    *,
    table: str | None,
    stack_name: str | None,
    region: str | None,
    endpoint_url: str | None,
    tenant_id: str | None,
    as_json: bool,
    out: TextIO,
    daily_credit_budget: int | None = None,
) -> int:
    from reelay.config import settings
    from reelay.dal.tenants import TenantRepository
    from reelay.deps import Deps
    from reelay.logic.tenants import create_tenant

    clients = aws_session_clients(region, endpoint_url)
    table_name = table or table_from_stack(clients, str(stack_name))
    deps = Deps(settings(), tenants=TenantRepository(table_name, client=clients("dynamodb")))
    new = create_tenant(name, deps, tenant_id=tenant_id, daily_credit_budget=daily_credit_budget)
    if as_json:
        out.write(
            json.dumps(
                {
                    "tenant_id": new.tenant.tenant_id,
                    "name": new.tenant.name,
                    "table": table_name,
                    "api_key": new.api_key,
                    "webhook_secret": new.webhook_secret,
                    "daily_credit_budget": new.tenant.daily_credit_budget,
                }
            )
            + "\n"
        )
        return 0
    out.write(
        f"Tenant {new.tenant.tenant_id} ({new.tenant.name}) created in table {table_name};"
        f" {describe_budget(new.tenant.daily_credit_budget)}.\n"
        "Keep these now; they are not shown again (the table stores a hash of the API key):\n"
        f"  API key                 {new.api_key}\n"
        f"  Webhook signing secret  {new.webhook_secret}\n"
    )
    return 0


def tenant_deps(clients: Any, table_name: str) -> Any:
    from reelay.config import settings
    from reelay.dal.tenants import TenantRepository
    from reelay.deps import Deps

    return Deps(settings(), tenants=TenantRepository(table_name, client=clients("dynamodb")))


def list_tenants_command(clients: Any, table_name: str, as_json: bool, out: TextIO) -> int:
    from reelay.logic.tenants import list_tenants

    tenants = list_tenants(tenant_deps(clients, table_name))
    if as_json:
        out.write(json.dumps([t.model_dump(mode="json") for t in tenants]) + "\n")
        return 0
    if not tenants:
        out.write(f"No tenants in table {table_name}.\n")
    for tenant in tenants:
        out.write(f"{tenant.tenant_id:<32}  {tenant.created_at:%Y-%m-%d %H:%M}Z  {tenant.name}\n")
    return 0


def _until(moment: Any) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}Z" if moment is not None else "now (no overlap)"


def rotate_key_command(
    clients: Any, table_name: str, tenant_id: str, overlap_hours: float, as_json: bool, out: TextIO
) -> int:
    from datetime import timedelta

    from reelay.logic.tenants import rotate_api_key

    rotated = rotate_api_key(tenant_id, tenant_deps(clients, table_name), timedelta(hours=overlap_hours))
    until = rotated.previous_valid_until
    if as_json:
        out.write(
            json.dumps(
                {
                    "tenant_id": tenant_id,
                    "api_key": rotated.value,
                    "previous_key_valid_until": until.isoformat() if until else None,
                }
            )
            + "\n"
        )
        return 0
    out.write(
        f"New API key for tenant {tenant_id} (shown once):\n  {rotated.value}\n"
        f"The previous key stops working at {_until(until)}.\n"
    )
    return 0


def revoke_key_command(
    clients: Any, table_name: str, tenant_id: str, previous_only: bool, out: TextIO
) -> int:
    from reelay.logic.tenants import revoke_api_keys

    revoke_api_keys(tenant_id, tenant_deps(clients, table_name), previous_only=previous_only)
    if previous_only:
        out.write(f"Tenant {tenant_id}: the rotated-out API key no longer works; the current one does.\n")
    else:
        out.write(
            f"Tenant {tenant_id}: every API key is revoked and answers 401 from now on; "
            f"`reelay tenant rotate-key {tenant_id}` issues a new one.\n"
        )
    return 0


def roll_secret_command(
    clients: Any, table_name: str, tenant_id: str, overlap_hours: float, as_json: bool, out: TextIO
) -> int:
    from datetime import timedelta

    from reelay.logic.tenants import roll_webhook_secret

    rolled = roll_webhook_secret(tenant_id, tenant_deps(clients, table_name), timedelta(hours=overlap_hours))
    until = rolled.previous_valid_until
    if as_json:
        out.write(
            json.dumps(
                {
                    "tenant_id": tenant_id,
                    "webhook_secret": rolled.value,
                    "previous_secret_signs_until": until.isoformat() if until else None,
                }
            )
            + "\n"
        )
        return 0
    out.write(
        f"New webhook signing secret for tenant {tenant_id} (shown once):\n  {rolled.value}\n"
        f"Deliveries carry a signature with the previous secret too until {_until(until)}.\n"
    )
    return 0


def describe_budget(credits: int | None) -> str:
    if credits is None:
        return "daily credit budget: the stack's DailyCreditBudget"
    if credits == 0:
        return "daily credit budget: unlimited"
    return f"daily credit budget: {credits} credits per UTC day"


def set_budget_command(
    tenant_id: str,
    credits: int | None,
    *,
    table: str | None,
    stack_name: str | None,
    region: str | None,
    endpoint_url: str | None,
    as_json: bool,
    out: TextIO,
) -> int:
    from reelay.config import settings
    from reelay.dal.tenants import TenantRepository
    from reelay.deps import Deps
    from reelay.logic.tenants import set_daily_credit_budget

    clients = aws_session_clients(region, endpoint_url)
    table_name = table or table_from_stack(clients, str(stack_name))
    deps = Deps(settings(), tenants=TenantRepository(table_name, client=clients("dynamodb")))
    tenant = set_daily_credit_budget(tenant_id, credits, deps)
    if as_json:
        out.write(
            json.dumps({"tenant_id": tenant.tenant_id, "daily_credit_budget": tenant.daily_credit_budget})
            + "\n"
        )
        return 0
    out.write(f"Tenant {tenant.tenant_id}: {describe_budget(tenant.daily_credit_budget)}.\n")
    return 0
