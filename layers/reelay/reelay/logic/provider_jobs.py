"""Running a provider job: the only place Reelay spends Creatify credits.

Creatify's POSTs carry no idempotency key, so every paid call is guarded:
- a claim (conditional write) is taken before the call, so a redelivered job never calls twice;
- the call's credits are reserved on the tenant's daily budget before it goes out (once per job,
  however often its claim is retaken), and given back whenever Creatify certainly did no work;
  a first run starts its slot, takes the claim and reserves in one write (`JobSlotStore.start`);
- a safe-to-retry failure releases the claim and puts the job back with a delay;
- an outcome-unknown failure is settled at once if Creatify can tell: the task is looked up
  right away (a slow answer usually means the work was done) and recorded when found; when
  nothing is found, Creatify's answer says whether the call can still land (see
  `provider_lookups.settled_by_answer`): a finished request is retried on the retry
  schedule, an unanswered one keeps its claim and is looked at again until the grace (the
  setting unknown_outcome_grace_seconds) has passed, and only then called again;
- at most one job per (task, kind) is queued or running: each message names its job slot
  (`JobSlotStore`), a put-back hands the slot on with the job's retry count, and any other
  copy (a redelivery, a repeated stream record, a replaced job) ends without effect;
- a rejection fails the task with Creatify's reason, unless the account is at fault (a
  refused key, too few credits): then the job waits on the retry schedule, since a fixed
  key or topped-up credits let the task go on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from uuid import uuid4

from aws_lambda_powertools import Logger

from reelay.deps import Deps
from reelay.logic.apply_update import advance_task, first_step
from reelay.logic.callback_urls import callback_url_for
from reelay.logic.credit_budgets import BUDGET_EXHAUSTED, release_job_credits, reserve_job_credits
from reelay.logic.job_starts import paid_start
from reelay.logic.provider_lookups import effect_at_creatify, remote_past_image, settled_by_answer
from reelay.logic.task_lifecycle import REVIEW_STATUS
from reelay.models.jobs import CREDITS, ProviderJob, ProviderJobKind
from reelay.models.status import TaskStatus
from reelay.models.task import StatusUpdate, Task
from reelay.models.task_history import Actor, CallOutcome, HistoryNote, call_entry
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
from reelay.ports.job_stores import Reservation, StartedRun

logger = Logger(child=True)

# Delays before the n-th retry of a safe-to-retry failure; after the last, the task fails.
RETRY_DELAYS_SECONDS: tuple[int, ...] = (2, 10, 30, 60, 180, 600, 900, 900)
# While an unanswered call may still land, it is looked for this often (and once more when the
# grace ends); a look-up Creatify could not answer is tried again after the same wait.
CHECK_AGAIN_SECONDS = 30
# How long a run holds its job slot: longer than the worker's timeout (60 s), so no copy runs
# beside it, and shorter than the provider queue's visibility timeout (360 s), so the message
# redelivered after a crashed run finds the slot free again.
JOB_LEASE = timedelta(seconds=120)
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
    name = job.kind.value
    paying = paid_start(task, job.kind, deps)
    slot = deps.job_slots.start(
        task.id, name, job.job_id, now=now, lease_until=now + JOB_LEASE, paying=paying
    )
    if slot is None:
        return JobOutcome(JobResult.SKIPPED, "not this message's turn: another run or a newer job has it")
    try:
        outcome = _run(task, job, slot, deps, now)
    except BaseException:
        deps.job_slots.let_go(task.id, name, job.job_id)
        raise
    if outcome.result in (JobResult.FAILED, JobResult.SKIPPED):
        # A job that called or recovered moved its task on, and the task alone turns any copy
        # of it away; one that failed or had nothing to do says so on its slot.
        deps.job_slots.finish(task.id, name, job.job_id)
    return outcome


def _run(task: Task, job: ProviderJob, slot: StartedRun, deps: Deps, now: datetime) -> JobOutcome:
    if task.terminal:
        return JobOutcome(JobResult.SKIPPED, f"task already {task.status}")
    if job.kind in (ProviderJobKind.GEN_IMAGE, ProviderJobKind.REGEN_IMAGE):
        return _gen_image(task, job, slot, deps, now)
    return _gen_video(task, job, slot, deps, now)


# ---------------------------------------------------------------------------- gen_image / regen_image
# A regenerated preview is made like a first one, by regen_image on the source task's Creatify
# task: the same claim, the same recovery through the callback URL, its own credit.


def _gen_image(task: Task, job: ProviderJob, slot: StartedRun, deps: Deps, now: datetime) -> JobOutcome:
    if task.provider_task_id:
        return JobOutcome(JobResult.SKIPPED, f"{job.kind.value} already made")
    if slot.took_claim:
        return _call_gen_image(task, job, deps, now, slot.reservation)
    return _recover(task, job, slot, deps, now, _call_gen_image)


def _call_gen_image(
    task: Task, job: ProviderJob, deps: Deps, now: datetime, reserved: Reservation | None = None
) -> JobOutcome:
    name = job.kind.value
    if not reserve_job_credits(task, job.kind, deps, reserved):
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
        return _retry_later(task, job, deps, now, exc)
    except CreatifyOutcomeUnknown as exc:
        return _settle_unknown(task, job, deps, now, exc)
    except CreatifyRejected as exc:
        release_job_credits(task, job.kind, deps)
        return _fail(task, f"Creatify rejected {name}: {exc.message}", deps)
    return _record(task, remote, job.kind, deps, JobResult.SUBMITTED)


# ---------------------------------------------------------------------------- gen_video


def _gen_video(task: Task, job: ProviderJob, slot: StartedRun, deps: Deps, now: datetime) -> JobOutcome:
    if not task.provider_task_id:
        return _fail(task, "no preview image to make a video from", deps)
    if task.status is not REVIEW_STATUS:
        return JobOutcome(JobResult.SKIPPED, f"task is {task.status}, not {REVIEW_STATUS}")
    if slot.took_claim:
        return _call_gen_video(task, job, deps, now, slot.reservation)
    return _recover(task, job, slot, deps, now, _call_gen_video)


def _call_gen_video(
    task: Task, job: ProviderJob, deps: Deps, now: datetime, reserved: Reservation | None = None
) -> JobOutcome:
    assert task.provider_task_id
    body = GenVideoRequest(
        motion_style=task.motion_style,
        video_prompt=task.video_prompt,
        webhook_url=callback_url_for(task, deps),
    )
    if not reserve_job_credits(task, job.kind, deps, reserved):
        return _fail(task, BUDGET_EXHAUSTED, deps)
    try:
        remote = deps.creatify.gen_video(task.provider_task_id, body)
    except WAIT_AND_RETRY as exc:
        _let_go(task, job, deps)
        return _retry_later(task, job, deps, now, exc)
    except CreatifyOutcomeUnknown as exc:
        return _settle_unknown(task, job, deps, now, exc)
    except CreatifyRejected as exc:
        # A refusal can mean an earlier call already moved the task on: ask before failing.
        try:
            moved = remote_past_image(task, deps)
        except CreatifyError:
            moved = None
        if moved is not None:
            return _record(task, moved, ProviderJobKind.GEN_VIDEO, deps, JobResult.RECOVERED)
        release_job_credits(task, job.kind, deps)
        return _fail(task, f"Creatify rejected gen_video: {exc.message}", deps)
    return _record(task, remote, ProviderJobKind.GEN_VIDEO, deps, JobResult.SUBMITTED)


# ---------------------------------------------------------------------------- unknown outcomes


def _grace(deps: Deps) -> timedelta:
    return timedelta(seconds=deps.settings.unknown_outcome_grace_seconds)


def _settle_unknown(
    task: Task, job: ProviderJob, deps: Deps, now: datetime, exc: CreatifyOutcomeUnknown
) -> JobOutcome:
    """The call's answer never came: look the task up now instead of waiting to.

    Found: recorded, nothing more to pay. Not found after an answer that ends the request: the
    call certainly did not take effect, so the claim goes and the job waits on the retry
    schedule like any safe-to-retry failure. Not found without such an answer: the request may
    still land, so the claim is kept and the job looks again until the grace has passed.
    """
    name = job.kind.value
    settles_at = now if settled_by_answer(task, job, deps, exc) else now + _grace(deps)
    try:
        found = effect_at_creatify(task, job, deps)
    except CreatifyError as err:
        return _check_later(job, deps, now, settles_at, f"{name} unanswered; look-up failed: {err.message}")
    if found is not None:
        return _record(task, found, job.kind, deps, JobResult.RECOVERED)
    if settles_at <= now:
        _let_go(task, job, deps)
        return _retry_later(task, job, deps, now, exc)
    return _check_later(job, deps, now, settles_at, f"{name} unanswered and not found yet; the claim is kept")


def _recover(
    task: Task,
    job: ProviderJob,
    slot: StartedRun,
    deps: Deps,
    now: datetime,
    call: Callable[[Task, ProviderJob, Deps, datetime], JobOutcome],
) -> JobOutcome:
    """A claim exists and nothing is recorded: an earlier run's call went unanswered (or it crashed)."""
    name = job.kind.value
    try:
        found = effect_at_creatify(task, job, deps)
    except CreatifyError as exc:
        return _check_later(job, deps, now, slot.settles_at, f"could not look the task up: {exc.message}")
    if found is not None:
        return _record(task, found, job.kind, deps, JobResult.RECOVERED)
    claimed_at = deps.claims.claimed_at(task.id, name)
    if claimed_at is None:
        return _claim_again(task, job, deps, now, call)
    # Without a note from the run that called (it crashed), the call counts from its claim.
    settles_at = slot.settles_at or claimed_at + _grace(deps)
    if now < settles_at:
        return _check_later(job, deps, now, settles_at, "earlier call may still be in flight")
    if job.kind is not ProviderJobKind.GEN_VIDEO and callback_url_for(task, deps) is None:
        # Without our callback URL on the provider task there is no way to recognise it,
        # so repeating could pay twice: stop and say so.
        return _fail(task, f"Creatify {name} outcome unknown; not repeated to protect credits", deps)
    if not deps.claims.retake(task.id, name, claimed_at, now=now):
        return JobOutcome(JobResult.SKIPPED, "another worker retook the claim")
    return call(task, job, deps, now)


# ---------------------------------------------------------------------------- shared


def _record(
    task: Task, remote: ProductToVideo, kind: ProviderJobKind, deps: Deps, result: JobResult
) -> JobOutcome:
    now, pid, update = datetime.now(UTC), str(remote.id), StatusUpdate.from_provider(remote)
    note = HistoryNote(entry=call_entry(kind.value, CallOutcome(result.value), now))
    credits, job = CREDITS[kind], kind.value
    # The call's record and the step its answer makes: one write when both hold (the usual case).
    step = first_step(deps, task, update, now, by=Actor.WORKER)
    recorded = deps.tasks.record_call(
        task.id, pid, step, credits_spent=credits, job=job, history=note, now=now
    )
    if recorded is None:
        if not deps.tasks.attach_provider_task(task.id, pid, credits_spent=credits, job=job, history=note):
            # Another call's Creatify task is already recorded and under way; failing the task
            # over this extra one would throw that work away too.
            logger.error(
                f"{kind.value} made a second Creatify task; the one already recorded is kept",
                extra={"task_id": task.id, "provider_task_id": pid},
            )
            return JobOutcome(JobResult.SKIPPED, f"Creatify task {pid} not recorded: the task names another")
        if step.allowed_from:  # else no status steps forward to this one: nothing to write
            advance_task(deps, task, update)
    logger.info(f"{kind.value} {result}", extra={"task_id": task.id, "provider_task_id": pid})
    return JobOutcome(result, pid)


def _let_go(task: Task, job: ProviderJob, deps: Deps) -> None:
    """Creatify certainly did no work: its credits go back, and the claim, so the job may run again.

    A reservation belongs to its (task, job) like the claim, so whichever of the two a crash
    leaves behind, the job's next run takes it over: nothing is counted twice or lost.
    """
    release_job_credits(task, job.kind, deps)
    deps.claims.release(task.id, job.kind.value)


def _retry_later(task: Task, job: ProviderJob, deps: Deps, now: datetime, exc: CreatifyError) -> JobOutcome:
    if job.retries >= len(RETRY_DELAYS_SECONDS):
        return _fail(
            task, f"Creatify did not take the job after {job.retries + 1} attempts: {exc.message}", deps
        )
    delay = RETRY_DELAYS_SECONDS[job.retries]
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        delay = max(delay, int(retry_after))
    if not _put_back(job, deps, now, delay, retries=job.retries + 1, settles_at=None):
        return JobOutcome(JobResult.SKIPPED, "a newer job took over")
    logger.warning("Creatify did no work; job put back", extra={"task_id": job.task_id, "delay": delay})
    return JobOutcome(JobResult.RETRY_SCHEDULED, exc.message)


def _put_back(
    job: ProviderJob,
    deps: Deps,
    now: datetime,
    delay: int,
    *,
    retries: int,
    settles_at: datetime | None,
) -> bool:
    """Queue the job again under a new id, handing it the slot; False if this run no longer owned it."""
    again = job.replace(job_id=uuid4().hex, retries=retries)
    if not deps.job_slots.put_back(
        job.task_id,
        job.kind.value,
        replacing=job.job_id,
        job_id=again.job_id,
        due_at=now + timedelta(seconds=delay),
        retries=retries,
        settles_at=settles_at,
    ):
        return False
    deps.provider_queue.send(again, delay_seconds=delay)
    return True


def _claim_again(
    task: Task,
    job: ProviderJob,
    deps: Deps,
    now: datetime,
    call: Callable[[Task, ProviderJob, Deps, datetime], JobOutcome],
) -> JobOutcome:
    """The claim was let go after our claim failed: that run's call certainly did not happen.

    Calling without the claim would race the job that run put back, so claim it like a first run.
    """
    if deps.claims.claim(task.id, job.kind.value, now=now):
        return call(task, job, deps, now)
    return JobOutcome(JobResult.SKIPPED, "another worker claimed the job again")


def _check_later(
    job: ProviderJob, deps: Deps, now: datetime, settles_at: datetime | None, why: str
) -> JobOutcome:
    """Look again in CHECK_AGAIN_SECONDS, or when the call settles if that is sooner."""
    delay = CHECK_AGAIN_SECONDS
    if settles_at is not None and settles_at > now:
        delay = max(1, min(delay, math.ceil((settles_at - now).total_seconds())))
    if not _put_back(job, deps, now, delay, retries=job.retries, settles_at=settles_at):
        return JobOutcome(JobResult.SKIPPED, "a newer job took over")
    logger.warning(
        "provider call outcome unknown; looking again later",
        extra={"task_id": job.task_id, "why": why, "delay": delay},
    )
    return JobOutcome(JobResult.CHECK_SCHEDULED, why)


def _fail(task: Task, reason: str, deps: Deps) -> JobOutcome:
    advance_task(deps, task, StatusUpdate(status=TaskStatus.FAILED, failed_reason=reason))
    logger.warning("task failed", extra={"task_id": task.id, "failed_reason": reason})
    return JobOutcome(JobResult.FAILED, reason)
