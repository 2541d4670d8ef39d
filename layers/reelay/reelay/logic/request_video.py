"""Asking for the video of an approved preview image."""

from __future__ import annotations

from dataclasses import dataclass

from reelay.deps import Deps
from reelay.logic.task_views import TaskNotFound, get_tenant_task
from reelay.models.api import VideoRequest
from reelay.models.status import TaskStatus
from reelay.models.task import Task


class WrongStatus(Exception):
    """The task is not at image_generated; carries the status it is at."""

    def __init__(self, status: TaskStatus) -> None:
        super().__init__(f"a video can only be generated from status image_generated; the task is {status}")
        self.status = status


@dataclass(frozen=True)
class VideoRequested:
    task: Task
    already_requested: bool


def request_video(tenant_id: str, task_id: str, request: VideoRequest, deps: Deps) -> VideoRequested:
    """Mark the task as wanting its video; the task stream then queues the gen_video job.

    Only from image_generated. A task that already asked for its video (auto_video) answers
    the same way again without a second job: the provider worker's claim guards the call.
    """
    task = get_tenant_task(tenant_id, task_id, deps)
    if task.status is not TaskStatus.IMAGE_GENERATED:
        raise WrongStatus(task.status)
    if task.auto_video:
        return VideoRequested(task=task, already_requested=True)
    from reelay.dal.tasks import TaskNotFound as MissingTask

    try:
        outcome = deps.tasks.reopen_for_video(
            task_id, video_prompt=request.video_prompt, motion_style=request.motion_style
        )
    except MissingTask as exc:
        raise TaskNotFound(task_id) from exc
    if not outcome.reopened:
        if outcome.task.status is not TaskStatus.IMAGE_GENERATED:
            raise WrongStatus(outcome.task.status)
        return VideoRequested(task=outcome.task, already_requested=True)
    return VideoRequested(task=outcome.task, already_requested=False)
