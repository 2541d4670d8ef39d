"""Daily credit budgets per tenant: what a paid Creatify call reserves, and when it is given back.

Every paid call (gen_image and regen_image 1 credit, gen_video 3) reserves its credits on the
tenant's budget for the UTC day before Creatify is called; with no room left, the task fails
with `credit budget exhausted`. A reservation belongs to its (task, job), like the claim, so a
claim retaken after an unknown outcome calls again under the reservation it already holds.
Credits are given back only when Creatify certainly did no work (a safe-to-retry answer, a
rejection); an unknown outcome keeps them, since Creatify may have spent them.

The limit is the tenant's own `daily_credit_budget`, else the stack's DAILY_CREDIT_BUDGET; 0 is
unlimited. Usage is counted either way, so a budget set during a day starts from what the day
has already spent.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from reelay.deps import Deps
from reelay.models.jobs import CREDITS, ProviderJobKind
from reelay.models.task import Task
from reelay.ports.job_stores import Reservation

logger = Logger(child=True)

BUDGET_EXHAUSTED = "credit budget exhausted"


def daily_limit(tenant_id: str, deps: Deps, *, cached: bool = False) -> int | None:
    """The tenant's daily budget in credits; None when unlimited.

    `cached`: as read up to a minute ago (`deps.tenant_profiles`), for the provider worker,
    which checks it before every paid call; a budget the tenant just changed applies a minute
    later at most. What the API shows is read fresh.
    """
    tenant = (deps.tenant_profiles if cached else deps.tenants).get(tenant_id)
    own = tenant.daily_credit_budget if tenant is not None else None
    limit = own if own is not None else deps.settings.daily_credit_budget
    return limit or None


def reserve_job_credits(
    task: Task, kind: ProviderJobKind, deps: Deps, reserved: Reservation | None = None
) -> bool:
    """True when the call may go ahead: its credits are reserved now, or held since an earlier try.

    `reserved` is what the job's start came to when it reserved with its claim; None reserves now.
    """
    limit = None
    result = reserved
    if result is None:
        limit = daily_limit(task.tenant_id, deps, cached=True)
        result = deps.budgets.reserve(task.tenant_id, task.id, kind.value, CREDITS[kind], limit=limit)
    if result is Reservation.OVER_BUDGET:
        logger.warning(
            "daily credit budget exhausted",
            extra={"task_id": task.id, "tenant_id": task.tenant_id, "job": kind.value, "limit": limit},
        )
        return False
    return True


def release_job_credits(task: Task, kind: ProviderJobKind, deps: Deps) -> None:
    """Give a job's credits back: Creatify certainly did no work for its call."""
    if deps.budgets.release(task.id, kind.value):
        logger.info("credits given back", extra={"task_id": task.id, "job": kind.value})
