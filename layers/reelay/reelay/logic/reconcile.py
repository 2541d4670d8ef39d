"""The reconciler: tasks with no news from Creatify are re-read and applied forward only.

This is what completes a task when a callback was lost, or when the stack has no public
callback URL at all (a laptop calling the real Creatify). Provider ids are read in batches
of at most 100, Creatify's limit for one list call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aws_lambda_powertools import Logger

from reelay.clients.creatify_errors import CreatifyError
from reelay.deps import Deps
from reelay.logic.apply_update import apply_provider_state
from reelay.models.task import Task
from reelay.models.upstream import MAX_IDS_PER_LIST

logger = Logger(child=True)


@dataclass
class ReconcileReport:
    examined: int = 0
    advanced: int = 0
    unchanged: int = 0
    missing_at_provider: int = 0
    errors: list[str] = field(default_factory=list)


def reconcile_open_tasks(deps: Deps, now: datetime | None = None, max_tasks: int = 1000) -> ReconcileReport:
    now = now or datetime.now(UTC)
    stale_before = now - timedelta(seconds=deps.settings.reconcile_after_seconds)
    report = ReconcileReport()
    batch: list[Task] = []
    for task in deps.tasks.iter_open(stale_before, limit=max_tasks):
        if not task.provider_task_id:
            # No provider call yet: the provider queue still owns this task. Touched all the
            # same, since the oldest come first and must not fill every run's quota.
            deps.tasks.touch_open(task)
            continue
        batch.append(task)
        if len(batch) == MAX_IDS_PER_LIST:
            _reconcile_batch(batch, deps, report)
            batch = []
    if batch:
        _reconcile_batch(batch, deps, report)
    logger.info("reconcile finished", extra=report.__dict__)
    return report


def _reconcile_batch(batch: list[Task], deps: Deps, report: ReconcileReport) -> None:
    report.examined += len(batch)
    try:
        remote = {
            str(r.id): r for r in deps.creatify.list(t.provider_task_id for t in batch if t.provider_task_id)
        }
    except CreatifyError as exc:
        report.errors.append(exc.message)
        return
    for task in batch:
        truth = remote.get(task.provider_task_id or "")
        if truth is not None and apply_provider_state(task, truth, deps):
            report.advanced += 1
            continue
        if truth is None:
            report.missing_at_provider += 1
        else:
            report.unchanged += 1
        # To the back of the list, so tasks that never change cannot crowd out the rest.
        deps.tasks.touch_open(task)
