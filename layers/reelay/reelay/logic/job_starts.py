"""How a provider job's run starts: with its claim and its credits when it means to pay Creatify.

A run that will call Creatify unless the job's claim is held starts its slot, takes the claim
and reserves the call's credits in one write (`JobSlotStore.start`); any other run (a copy of
a job that already ran, a task that has moved on) only starts its slot. The checks are the
ones the run makes before it claims (`provider_jobs`), here on the task as read.
"""

from __future__ import annotations

from reelay.deps import Deps
from reelay.logic.credit_budgets import daily_limit
from reelay.logic.task_lifecycle import REVIEW_STATUS
from reelay.models.jobs import CREDITS, ProviderJobKind
from reelay.models.task import Task
from reelay.ports.job_stores import PaidCall


def would_call(task: Task, kind: ProviderJobKind) -> bool:
    """True when a run of `kind` for the task as read goes on to claim and call Creatify."""
    if task.terminal:
        return False
    if kind is ProviderJobKind.GEN_VIDEO:
        return bool(task.provider_task_id) and task.status is REVIEW_STATUS
    return not task.provider_task_id


def paid_start(task: Task, kind: ProviderJobKind, deps: Deps) -> PaidCall | None:
    """What the run's start claims and reserves; None when the run will not call."""
    if not would_call(task, kind):
        return None
    limit = daily_limit(task.tenant_id, deps, cached=True)
    return PaidCall(tenant_id=task.tenant_id, credits=CREDITS[kind], limit=limit)
