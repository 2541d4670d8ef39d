"""Asking for the video of an approved preview image."""

from __future__ import annotations

from dataclasses import dataclass

from reelay.deps import Deps
from reelay.errors import WrongStatus
from reelay.logic.task_lifecycle import REVIEW_STATUS, waits_on_provider
from reelay.logic.task_views import get_tenant_task
from reelay.models.api import VideoRequest
from reelay.models.task import Task

_ACTION = "a video can only be generated"


@dataclass(frozen=True)
class VideoRequested:
    task: Task
    already_requested: bool


def request_video(tenant_id: str, task_id: str, request: VideoRequest, deps: Deps) -> VideoRequested:
    """Mark the task as wanting its video; the task stream then queues the gen_video job.

    Only from the review status (image_generated). A task that already asked for its video
    (auto_video) answers the same way again without a second job: the provider worker's
    claim guards the call. Raises TaskNotFound or WrongStatus.
    """
    task = get_tenant_task(tenant_id, task_id, deps)
    if task.status is not REVIEW_STATUS:
        raise WrongStatus(task.status, REVIEW_STATUS, _ACTION)
    if task.auto_video:
        return VideoRequested(task=task, already_requested=True)
    if task.regenerated_as:
        raise WrongStatus(task.status, REVIEW_STATUS, _ACTION, f"it was regenerated as {task.regenerated_as}")
    outcome = deps.tasks.reopen_for_video(
        task_id,
        at_status=REVIEW_STATUS,
        stays_open=waits_on_provider(REVIEW_STATUS, auto_video=True),
        video_prompt=request.video_prompt,
        motion_style=request.motion_style,
    )
    if not outcome.reopened:
        if outcome.task.status is not REVIEW_STATUS or outcome.task.regenerated_as:
            raise WrongStatus(outcome.task.status, REVIEW_STATUS, _ACTION)
        return VideoRequested(task=outcome.task, already_requested=True)
    return VideoRequested(task=outcome.task, already_requested=False)
