"""What happens when Creatify has news about a task: one forward-only apply.

A callback is only a nudge. Creatify does not sign its webhooks, so the status and URLs
always come from Creatify's own GET, never from a callback body alone.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from aws_lambda_powertools import Logger

from reelay.deps import Deps
from reelay.errors import TaskNotFound
from reelay.logic.callback_urls import is_our_callback
from reelay.logic.task_lifecycle import review_hold, step_for
from reelay.models.jobs import CREDITS, ProviderJobKind
from reelay.models.status import should_apply
from reelay.models.task import StatusUpdate, Task, utc_now
from reelay.models.task_history import Actor, CallOutcome, HistoryNote, call_entry
from reelay.models.upstream import ProductToVideo
from reelay.ports.creatify_errors import CreatifyError, CreatifyNotFound
from reelay.ports.stores import ApplyResult, TaskStore, Transition

logger = Logger(child=True)


class CallbackOutcome(StrEnum):
    FORBIDDEN = "forbidden"
    UNKNOWN_TASK = "unknown_task"
    APPLIED = "applied"
    NO_CHANGE = "no_change"


def apply_provider_callback(
    task_id: str, sig: str | None, hinted_provider_id: str | None, deps: Deps
) -> CallbackOutcome:
    """Check the URL signature, read the truth from Creatify, apply it forward only.

    `hinted_provider_id` is the id in the callback body. Creatify's task by that id is trusted
    only if it carries this task's own signed callback URL. Then its news is applied without
    reading the task first, in a write that holds only while the task records that Creatify
    task and takes the step the usual task makes (auto_video on); any other task (its preview
    waits for review, the callback beat the worker's record of the id, the news is stale) is
    told by the write's refusal, which returns the task, and handled from it. Without a usable
    hint the task is read first, and its recorded Creatify task is the one asked.
    """
    if not deps.callback_signer.valid(task_id, sig):
        return CallbackOutcome.FORBIDDEN
    hinted = _as_provider_id(hinted_provider_id)
    truth: ProductToVideo | None = None
    task: Task | None = None
    asked: str | None = None  # the Creatify task asked already (and not found when truth is None)
    if hinted is not None:
        try:
            truth, asked = _creatify_task(hinted, task_id, deps), hinted
        except CreatifyError:
            # Creatify unreachable: the task decides first, as without a hint (a finished one
            # needs no answer from Creatify, and the news is read again on the next callback).
            truth = None
        if truth is not None and deps.callback_signer.names_task(truth.webhook_url, task_id):
            try:
                result = _apply_unread(task_id, truth, deps)
            except TaskNotFound:
                return CallbackOutcome.UNKNOWN_TASK
            if result.applied:
                logger.info("task advanced", extra={"task_id": task_id, "status": str(truth.status)})
                return CallbackOutcome.APPLIED
            task = result.task
            if task.provider_task_id == str(truth.id) and not should_apply(task.status, truth.status):
                return CallbackOutcome.NO_CHANGE  # stale or repeated news: nothing to try again
    if task is None:
        task = deps.tasks.get(task_id)
        if task is None:
            return CallbackOutcome.UNKNOWN_TASK
    if task.terminal:
        return CallbackOutcome.NO_CHANGE
    provider_id = task.provider_task_id or hinted
    if not provider_id:
        return CallbackOutcome.NO_CHANGE
    if truth is None or str(truth.id) != provider_id:
        if provider_id == asked:
            return CallbackOutcome.NO_CHANGE  # Creatify said already that it does not know it
        truth = _creatify_task(provider_id, task_id, deps)
        if truth is None:
            return CallbackOutcome.NO_CHANGE
    if task.provider_task_id is None:
        if not is_our_callback(task, truth.webhook_url, deps):
            return CallbackOutcome.NO_CHANGE
        # Only gen_image makes a Creatify task, so that is the call this callback reports on.
        image = ProviderJobKind.GEN_IMAGE
        entry = call_entry(image.value, CallOutcome.SUBMITTED, utc_now(), by=Actor.CALLBACK)
        if not deps.tasks.attach_provider_task(
            task.id,
            str(truth.id),
            credits_spent=CREDITS[image],
            job=image.value,
            history=HistoryNote(entry=entry),
        ):
            return CallbackOutcome.NO_CHANGE
        task = task.replace(provider_task_id=str(truth.id))
    applied = apply_provider_state(task, truth, deps, by=Actor.CALLBACK)
    return CallbackOutcome.APPLIED if applied else CallbackOutcome.NO_CHANGE


def _creatify_task(provider_id: str, task_id: str, deps: Deps) -> ProductToVideo | None:
    try:
        return deps.creatify.get(provider_id)
    except CreatifyNotFound:
        logger.warning("callback names a task Creatify does not know", extra={"task_id": task_id})
        return None


def _apply_unread(task_id: str, truth: ProductToVideo, deps: Deps) -> ApplyResult:
    """Creatify's news as the step a task with auto_video on takes, held to this Creatify task.

    A preview that waits for review (auto_video off) takes another step at image_generated; the
    write's auto_video condition refuses it then, and the caller decides again on the task the
    refusal returns. Every other status takes the same step either way.
    """
    step = replace(
        step_for(StatusUpdate.from_provider(truth), True),
        by=Actor.CALLBACK,
        if_provider_task=str(truth.id),
    )
    return deps.tasks.apply(task_id, step)


def _as_provider_id(hint: str | None) -> str | None:
    """The hinted id if it can be a Creatify task id (a UUID); anything else names no task of ours."""
    try:
        return str(UUID(hint)) if hint else None
    except ValueError:
        return None


def advance(
    tasks: TaskStore,
    task: Task,
    update: StatusUpdate,
    now: datetime | None = None,
    *,
    only_if_unchanged: bool = False,
    recheck_after: timedelta | None = None,
    by: Actor | None = None,
) -> ApplyResult:
    """Apply news forward-only in one conditional write; a repeat or regression changes nothing.

    Where the step depends on auto_video (image_generated closes the task or not) and the
    caller's copy of the task was stale, it is decided again once on the stored task. With
    `only_if_unchanged`, the step holds only while the task is still at the caller's version.
    `recheck_after` (the reconciler's quiet time) lets a preview with a review deadline stay
    on the reconciler's list for that deadline. `by` (who made the step) goes in its history.
    """
    hold = review_hold(task, recheck_after) if recheck_after is not None else None
    if hold is not None:
        now = now or utc_now()
    step = replace(step_for(update, task.auto_video, review_hold=hold, now=now), by=by)
    if only_if_unchanged:
        step = replace(step, if_version=task.version)
    result = tasks.apply(task.id, step, now)
    current = result.task
    if (
        not result.applied
        and not only_if_unchanged
        and step.assumes_auto_video is not None
        and current.auto_video != step.assumes_auto_video
        and should_apply(current.status, update.status)
    ):
        again = replace(step_for(update, current.auto_video, review_hold=hold, now=now), by=by)
        result = tasks.apply(task.id, again, now)
    return result


def advance_task(
    deps: Deps, task: Task, update: StatusUpdate, now: datetime | None = None, *, by: Actor = Actor.WORKER
) -> ApplyResult:
    """`advance` as every use case makes it: keeping review deadlines on the reconciler's list.

    `by` is who made the step, for the task's history: the provider worker unless said.
    """
    return advance(
        deps.tasks,
        task,
        update,
        now,
        recheck_after=timedelta(seconds=deps.settings.reconcile_after_seconds),
        by=by,
    )


def first_step(deps: Deps, task: Task, update: StatusUpdate, now: datetime, *, by: Actor) -> Transition:
    """The step `advance_task` makes first, on the caller's copy (a store may make it with another write)."""
    hold = review_hold(task, timedelta(seconds=deps.settings.reconcile_after_seconds))
    return replace(step_for(update, task.auto_video, review_hold=hold, now=now), by=by)


def apply_provider_state(task: Task, truth: ProductToVideo, deps: Deps, *, by: Actor) -> bool:
    """Apply Creatify's view of the task if it is a forward step; report whether it was."""
    result = advance_task(deps, task, StatusUpdate.from_provider(truth), by=by)
    if result.applied:
        logger.info("task advanced", extra={"task_id": task.id, "status": str(truth.status)})
    return result.applied
