"""Running a provider job: the only place Reelay spends Creatify credits.

Creatify's POSTs carry no idempotency key, so every paid call is guarded:
- a claim (conditional write) is taken before the call, so a redelivered job never calls twice;
- the call's credits are reserved on the tenant's daily budget before it goes out (once per job,
  however often its claim is retaken), and given back whenever Creatify certainly did no work;
- a safe-to-retry failure releases the claim and puts the job back with a delay;
- an outcome-unknown failure keeps the claim: the next run looks the task up at Creatify
  first and calls again only once it is sure the first call did not take effect;
- a rejection fails the task with Creatify's reason, unless the account is at fault (a
  refused key, too few credits): then the job waits on the retry schedule, since a fixed
  key or topped-up credits let the task go on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from aws_lambda_powertools import Logger

from reelay.deps import Deps
from reelay.logic.apply_update import advance_task
from reelay.logic.callback_urls import callback_url_for, is_our_callback
from reelay.logic.credit_budgets import BUDGET_EXHAUSTED, release_job_credits, reserve_job_credits
from reelay.logic.task_lifecycle import REVIEW_STATUS, video_under_way
from reelay.models.jobs import CREDITS, ProviderJob, ProviderJobKind
from reelay.models.status import TaskStatus
from reelay.models.task import StatusUpdate, Task
from reelay.models.task_history import CallOutcome, HistoryNote, call_entry
from reelay.models.upstream import GenImageRequest, GenVideoRequest, ProductToVideo, RegenImageRequest
from reelay.ports.creatify_errors import (
    CreatifyAuthError,
    CreatifyConfigurationError,
    CreatifyError,
    CreatifyInsufficientCredits,
    CreatifyOutcomeUnknown,
    CreatifyRejected,
    CreatifyRetryable,
)

logger = Logger(child=True)

# Delays before the n-th retry of a safe-to-retry failure; after the last, the task fails.
RETRY_DELAYS_SECONDS: tuple[int, ...] = (2, 10, 30, 60, 180, 600, 900, 900)
# How long an unanswered call may still be in flight before we conclude it never landed.
UNKNOWN_OUTCOME_GRACE = timedelta(minutes=3)
CHECK_AGAIN_SECONDS = 60
# Answers after which Creatify certainly did no work, so the claim is released and the job
# waits on the retry schedule: a busy or unreachable Creatify, and refusals that say nothing
# about the request itself (a rotated key or topped-up credits let the task go on).
# A configuration error (unreadable credentials, a base URL no request can go to) means the
# request was never sent: it waits like a refused key, until the configuration is fixed.
WAIT_AND_RETRY = (
    CreatifyRetryable,
    CreatifyAuthError,
    CreatifyInsufficientCredits,
    CreatifyConfigurationError,
)


class JobResult(StrEnum):
    SUBMITTED = "submitted"  # Creatify took the call
    RECOVERED = "recovered"  # an earlier call's effect was found at Creatify and recorded
    RETRY_SCHEDULED = "retry_scheduled"  # Creatify certainly did no work; the job waits and comes back
    CHECK_SCHEDULED = "check_scheduled"  # the outcome of a call is unknown; looked at again later
    FAILED = "failed"  # the task failed with the reason
    SKIPPED = "skipped"  # nothing to do (done already, or another worker has it)


@dataclass(frozen=True)
class JobOutcome:
    result: JobResult
    detail: str = ""


def run_provider_job(job: ProviderJob, deps: Deps, now: datetime | None = None) -> JobOutcome:
    now = now or datetime.now(UTC)
    task = deps.tasks.get(job.task_id)
    if task is None:
        return JobOutcome(JobResult.SKIPPED, "unknown task")
    if task.terminal:
        return JobOutcome(JobResult.SKIPPED, f"task already {task.status}")
    if job.kind in (ProviderJobKind.GEN_IMAGE, ProviderJobKind.REGEN_IMAGE):
        return _gen_image(task, job, deps, now)
    return _gen_video(task, job, deps, now)


# ---------------------------------------------------------------------------- gen_image / regen_image
# A regenerated preview is made like a first one, by regen_image on the source task's Creatify
# task: the same claim, the same recovery through the callback URL, its own credit.


def _gen_image(task: Task, job: ProviderJob, deps: Deps, now: datetime) -> JobOutcome:
    if task.provider_task_id:
        return JobOutcome(JobResult.SKIPPED, f"{job.kind.value} already made")
    if deps.claims.claim(task.id, job.kind.value, now=now):
        return _call_gen_image(task, job, deps)
    return _recover_gen_image(task, job, deps, now)


def _call_gen_image(task: Task, job: ProviderJob, deps: Deps) -> JobOutcome:
    name = job.kind.value
    if not reserve_job_credits(task, job.kind, deps):
        return _fail(task, BUDGET_EXHAUSTED, deps)
    try:
        if job.kind is ProviderJobKind.REGEN_IMAGE:
            source = deps.tasks.get(task.regen_source_id or "")
            if source is None or not source.provider_task_id:
                _let_go(task, job, deps)
                return _fail(task, "the task to regenerate has no preview at Creatify", deps)
            regen = RegenImageRequest(
                image_prompt=task.image_prompt, webhook_url=callback_url_for(task, deps)
            )
            remote = deps.creatify.regen_image(source.provider_task_id, regen)
        else:
            body = GenImageRequest(
                product_url=task.product_url,
                type=task.type,
                image_prompt=task.image_prompt,
                aspect_ratio=task.aspect_ratio,
                override_avatar=task.override_avatar,
                product_showcase_url=task.product_showcase_url,
                webhook_url=callback_url_for(task, deps),
            )
            remote = deps.creatify.gen_image(body)
    except WAIT_AND_RETRY as exc:
        _let_go(task, job, deps)
        return _retry_later(task, job, deps, exc)
    except CreatifyOutcomeUnknown:
        return _check_later(job, deps, f"{name} answer never came; the claim is kept")
    except CreatifyRejected as exc:
        release_job_credits(task, job.kind, deps)
        return _fail(task, f"Creatify rejected {name}: {exc.message}", deps)
    return _record(task, remote, job.kind, deps, JobResult.SUBMITTED)


def _recover_gen_image(task: Task, job: ProviderJob, deps: Deps, now: datetime) -> JobOutcome:
    """A claim exists but no provider id: an earlier run called, or crashed, or never heard back."""
    try:
        mine = [r for r in deps.creatify.list() if is_our_callback(task, r.webhook_url, deps)]
    except CreatifyError as exc:
        return _check_later(job, deps, f"could not look the task up at Creatify: {exc.message}")
    if mine:
        # The oldest is the one the first call made; Reelay never asks twice on purpose.
        first = min(mine, key=lambda r: r.created_at)
        return _record(task, first, job.kind, deps, JobResult.RECOVERED)
    claimed_at = deps.claims.claimed_at(task.id, job.kind.value)
    if claimed_at is None:
        return _claim_again(task, job, deps, now, _call_gen_image)
    if now - claimed_at < UNKNOWN_OUTCOME_GRACE:
        return _check_later(job, deps, "earlier call may still be in flight")
    if callback_url_for(task, deps) is None:
        # Without our callback URL on the provider task there is no way to recognise it,
        # so repeating could pay twice: stop and say so.
        return _fail(task, "Creatify gen_image outcome unknown; not repeated to protect credits", deps)
    if not deps.claims.retake(task.id, job.kind.value, claimed_at, now=now):
        return JobOutcome(JobResult.SKIPPED, "another worker retook the claim")
    return _call_gen_image(task, job, deps)


# ---------------------------------------------------------------------------- gen_video


def _gen_video(task: Task, job: ProviderJob, deps: Deps, now: datetime) -> JobOutcome:
    if not task.provider_task_id:
        return _fail(task, "no preview image to make a video from", deps)
    if task.status is not REVIEW_STATUS:
        return JobOutcome(JobResult.SKIPPED, f"task is {task.status}, not {REVIEW_STATUS}")
    if deps.claims.claim(task.id, job.kind.value, now=now):
        return _call_gen_video(task, job, deps)
    return _recover_gen_video(task, job, deps, now)


def _call_gen_video(task: Task, job: ProviderJob, deps: Deps) -> JobOutcome:
    assert task.provider_task_id
    body = GenVideoRequest(
        motion_style=task.motion_style,
        video_prompt=task.video_prompt,
        webhook_url=callback_url_for(task, deps),
    )
    if not reserve_job_credits(task, job.kind, deps):
        return _fail(task, BUDGET_EXHAUSTED, deps)
    try:
        remote = deps.creatify.gen_video(task.provider_task_id, body)
    except WAIT_AND_RETRY as exc:
        _let_go(task, job, deps)
        return _retry_later(task, job, deps, exc)
    except CreatifyOutcomeUnknown:
        return _check_later(job, deps, "gen_video answer never came; the claim is kept")
    except CreatifyRejected as exc:
        # A refusal can mean an earlier call already moved the task on: ask before failing.
        try:
            moved = _remote_past_image(task, deps)
        except CreatifyError:
            moved = None
        if moved is not None:
            return _record(task, moved, ProviderJobKind.GEN_VIDEO, deps, JobResult.RECOVERED)
        release_job_credits(task, job.kind, deps)
        return _fail(task, f"Creatify rejected gen_video: {exc.message}", deps)
    return _record(task, remote, ProviderJobKind.GEN_VIDEO, deps, JobResult.SUBMITTED)


def _recover_gen_video(task: Task, job: ProviderJob, deps: Deps, now: datetime) -> JobOutcome:
    try:
        moved = _remote_past_image(task, deps)
    except CreatifyError as exc:
        return _check_later(job, deps, f"could not look the task up at Creatify: {exc.message}")
    if moved is not None:
        return _record(task, moved, ProviderJobKind.GEN_VIDEO, deps, JobResult.RECOVERED)
    claimed_at = deps.claims.claimed_at(task.id, job.kind.value)
    if claimed_at is None:
        return _claim_again(task, job, deps, now, _call_gen_video)
    if now - claimed_at < UNKNOWN_OUTCOME_GRACE:
        return _check_later(job, deps, "earlier call may still be in flight")
    if not deps.claims.retake(task.id, job.kind.value, claimed_at, now=now):
        return JobOutcome(JobResult.SKIPPED, "another worker retook the claim")
    return _call_gen_video(task, job, deps)


def _remote_past_image(task: Task, deps: Deps) -> ProductToVideo | None:
    assert task.provider_task_id
    remote = deps.creatify.get(task.provider_task_id)
    if video_under_way(remote.status):
        return remote
    return None


# ---------------------------------------------------------------------------- shared


def _record(
    task: Task, remote: ProductToVideo, kind: ProviderJobKind, deps: Deps, result: JobResult
) -> JobOutcome:
    entry = call_entry(kind.value, CallOutcome(result.value), datetime.now(UTC))
    if not deps.tasks.attach_provider_task(
        task.id, str(remote.id), credits_spent=CREDITS[kind], job=kind.value, history=HistoryNote(entry=entry)
    ):
        # Another call's Creatify task is already recorded and under way; failing the task over
        # this extra one would throw that work away too.
        logger.error(
            f"{kind.value} made a second Creatify task; the one already recorded is kept",
            extra={"task_id": task.id, "provider_task_id": str(remote.id)},
        )
        return JobOutcome(
            JobResult.SKIPPED, f"Creatify task {remote.id} not recorded: the task names another"
        )
    advance_task(deps, task, StatusUpdate.from_provider(remote))
    logger.info(f"{kind.value} {result}", extra={"task_id": task.id, "provider_task_id": str(remote.id)})
    return JobOutcome(result, str(remote.id))


def _let_go(task: Task, job: ProviderJob, deps: Deps) -> None:
    """Creatify certainly did no work: its credits go back, and the claim, so the job may run again.

    A reservation belongs to its (task, job) like the claim, so whichever of the two a crash
    leaves behind, the job's next run takes it over: nothing is counted twice or lost.
    """
    release_job_credits(task, job.kind, deps)
    deps.claims.release(task.id, job.kind.value)


def _retry_later(task: Task, job: ProviderJob, deps: Deps, exc: CreatifyError) -> JobOutcome:
    if job.retries >= len(RETRY_DELAYS_SECONDS):
        return _fail(
            task, f"Creatify did not take the job after {job.retries + 1} attempts: {exc.message}", deps
        )
    delay = RETRY_DELAYS_SECONDS[job.retries]
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        delay = max(delay, int(retry_after))
    deps.provider_queue.send(job.model_copy(update={"retries": job.retries + 1}), delay_seconds=delay)
    logger.warning("Creatify busy; job put back", extra={"task_id": job.task_id, "delay": delay})
    return JobOutcome(JobResult.RETRY_SCHEDULED, exc.message)


def _claim_again(
    task: Task,
    job: ProviderJob,
    deps: Deps,
    now: datetime,
    call: Callable[[Task, ProviderJob, Deps], JobOutcome],
) -> JobOutcome:
    """The claim was let go after our claim failed: that run's call certainly did not happen.

    Calling without the claim would race the job that run put back, so claim it like a first run.
    """
    if deps.claims.claim(task.id, job.kind.value, now=now):
        return call(task, job, deps)
    return _check_later(job, deps, "another worker claimed the job again")


def _check_later(job: ProviderJob, deps: Deps, why: str) -> JobOutcome:
    deps.provider_queue.send(job, delay_seconds=CHECK_AGAIN_SECONDS)
    logger.warning(
        "provider call outcome unknown; looking again later", extra={"task_id": job.task_id, "why": why}
    )
    return JobOutcome(JobResult.CHECK_SCHEDULED, why)


def _fail(task: Task, reason: str, deps: Deps) -> JobOutcome:
    advance_task(deps, task, StatusUpdate(status=TaskStatus.FAILED, failed_reason=reason))
    logger.warning("task failed", extra={"task_id": task.id, "failed_reason": reason})
    return JobOutcome(JobResult.FAILED, reason)
