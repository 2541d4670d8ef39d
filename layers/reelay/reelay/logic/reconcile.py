"""The reconciler: tasks with no news from Creatify are re-read and applied forward only.

This is what completes a task when a callback was lost, or when the stack has no public
callback URL at all (a laptop calling the real Creatify). Provider ids are read in batches
of at most 100, Creatify's limit for one list call.

It also finishes what would otherwise stay open forever:
- a task with no provider call yet whose gen_image job was lost (e.g. to the dead-letter
  queue) gets the job again; a task waiting at image_generated for its video likewise;
  "lost" is decided by the job's slot (`JobSlotStore`), never by the task's quiet alone: a
  job still waiting in the queue's backlog (behind ProviderConcurrency), running, or put back
  on the retry schedule is left alone, and only a job due more than
  provider_job_lost_after_seconds ago with no run holding it is replaced (a first job no run
  has started yet has no slot: it was due when the task's change queued it, its updated_at). The replacement
  takes over the slot (so the old message, should it come back, ends without effect) and keeps
  the job's retry count;
- a task with no status change for PROVIDER_TIMEOUT_SECONDS fails with
  "timed out waiting for provider", so its owner is told;
- a preview whose review deadline passed is approved or rejected, as its deadline says
  (the task lifecycle put it on the list for exactly that moment).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from aws_lambda_powertools import Logger

from reelay.deps import Deps
from reelay.errors import WrongStatus
from reelay.logic.apply_update import advance, apply_provider_state
from reelay.logic.review import decide_rejection
from reelay.logic.task_lifecycle import REVIEW_STATUS, awaits_review, lost_job
from reelay.models.jobs import ProviderJob, ProviderJobKind
from reelay.models.status import TaskStatus
from reelay.models.task import ReviewDeadlineAction, StatusUpdate, Task
from reelay.models.task_history import Actor, CallOutcome, call_entry, note_for
from reelay.models.upstream import MAX_IDS_PER_LIST
from reelay.ports.creatify_errors import CreatifyError

logger = Logger(child=True)


@dataclass
class ReconcileReport:
    examined: int = 0
    advanced: int = 0
    unchanged: int = 0
    missing_at_provider: int = 0
    jobs_requeued: int = 0
    jobs_waiting: int = 0  # quiet tasks whose job is still queued or running: left alone
    timed_out: int = 0
    review_deadlines: int = 0
    errors: list[str] = field(default_factory=list)


def reconcile_open_tasks(deps: Deps, now: datetime | None = None, max_tasks: int = 1000) -> ReconcileReport:
    now = now or datetime.now(UTC)
    stale_before = now - timedelta(seconds=deps.settings.reconcile_after_seconds)
    give_up_before = now - timedelta(seconds=deps.settings.provider_timeout_seconds)
    report = ReconcileReport()
    batch: list[Task] = []
    for task in deps.tasks.iter_open(stale_before, limit=max_tasks):
        if awaits_review(task):
            _keep_review_deadline(task, deps, report)
            continue
        if task.updated_at < give_up_before:
            _time_out(task, deps, report)
            continue
        lost = lost_job(task, None)
        if lost is not None:
            # Quiet this long and no Creatify task to ask about: its job may have been lost.
            _requeue(task, lost, deps, report, now)
            continue
        batch.append(task)
        if len(batch) == MAX_IDS_PER_LIST:
            _reconcile_batch(batch, deps, report, now)
            batch = []
    if batch:
        _reconcile_batch(batch, deps, report, now)
    logger.info("reconcile finished", extra=report.__dict__)
    return report


def _reconcile_batch(batch: list[Task], deps: Deps, report: ReconcileReport, now: datetime) -> None:
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
        if truth is not None and apply_provider_state(task, truth, deps, by=Actor.RECONCILER):
            report.advanced += 1
            continue
        lost = lost_job(task, truth.status) if truth is not None else None
        if truth is None:
            report.missing_at_provider += 1
        elif lost is not None:
            # Creatify shows no trace of the job the task waits for: queued, running or lost?
            _requeue(task, lost, deps, report, now)
            continue
        else:
            report.unchanged += 1
        # To the back of the list, so tasks that never change cannot crowd out the rest.
        deps.tasks.touch_open(task)


def _requeue(task: Task, kind: ProviderJobKind, deps: Deps, report: ReconcileReport, now: datetime) -> None:
    """Queue the job again only if the one in its slot is lost (see the module docstring)."""
    lost_before = now - timedelta(seconds=deps.settings.provider_job_lost_after_seconds)
    job = ProviderJob(kind=kind, task_id=task.id, job_id=uuid4().hex)
    # A first job no run has started has no slot yet: the task's change that queued it dates it.
    slot = deps.job_slots.take_over(
        task.id, kind.value, job.job_id, now=now, lost_before=lost_before, queued_at=task.updated_at
    )
    if slot is None:
        deps.tasks.touch_open(task)
        report.jobs_waiting += 1
        return
    deps.provider_queue.send(job.replace(retries=slot.retries))
    entry = call_entry(kind.value, CallOutcome.REQUEUED, now, by=Actor.RECONCILER)
    deps.tasks.touch_open(task, history=note_for(task.history, entry))
    report.jobs_requeued += 1
    logger.warning("provider job put back for a quiet task", extra={"task_id": task.id, "job": kind.value})


def _time_out(task: Task, deps: Deps, report: ReconcileReport) -> None:
    update = StatusUpdate(status=TaskStatus.FAILED, failed_reason="timed out waiting for provider")
    # Decided on the listed copy: news that landed since then wins over the timeout.
    if advance(deps.tasks, task, update, only_if_unchanged=True, by=Actor.RECONCILER).applied:
        report.timed_out += 1
        logger.warning("task timed out", extra={"task_id": task.id, "status": task.status.value})


def _keep_review_deadline(task: Task, deps: Deps, report: ReconcileReport) -> None:
    """Nobody reviewed the preview in time: do what its deadline says. Both writes are conditional,
    so a review that came in meanwhile wins."""
    action = task.review_deadline_action
    if action is ReviewDeadlineAction.APPROVE:
        done = deps.tasks.reopen_for_video(task.id, at_status=REVIEW_STATUS, stays_open=True).reopened
    elif action is ReviewDeadlineAction.REJECT:
        reason = f"rejected: nobody reviewed the preview within {task.review_deadline_hours} hours"
        try:
            decide_rejection(task, reason, deps)
            done = True
        except WrongStatus:
            done = False
    else:
        return
    if done:
        report.review_deadlines += 1
        logger.info("review deadline applied", extra={"task_id": task.id, "action": action.value})
