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
