"""Reviewing a preview: regenerate it or reject it (approving is `request_video`).

Both only while the preview waits for its owner (image_generated, auto_video off, not yet
regenerated), and both are safe to repeat: a second click answers with what the first did,
and concurrent clicks spend credits once, since the regenerated task's id derives from the
task it regenerates and the rejection is one conditional write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reelay.deps import Deps
from reelay.errors import WrongStatus
from reelay.logic.task_lifecycle import REVIEW_STATUS, awaits_review, review_decision, waits_on_provider
from reelay.logic.task_views import get_tenant_task
from reelay.models.media import Publication
from reelay.models.status import TaskStatus
from reelay.models.task import StatusUpdate, Task
from reelay.models.task_ids import derive_task_id_for_regeneration

# Only in annotations: the reconciler decides deadlines here without the API's request models.
if TYPE_CHECKING:
    from reelay.models.api import RegenerateRequest, RejectRequest

REJECTED = "rejected"
_REGENERATE = "a preview can only be regenerated"
_REJECT = "a preview can only be rejected"


@dataclass(frozen=True)
class Regenerated:
    task: Task  # the new task, linked to the old one by regen_source_id
    created: bool


def regenerate_preview(
    tenant_id: str,
    task_id: str,
    request: RegenerateRequest,
    deps: Deps,
    *,
    callback_base_url: str | None = None,
) -> Regenerated:
    """A new task whose preview Creatify regenerates from this one's (regen_image, 1 credit).

    The old task keeps its status (statuses only move forward) and waits for nobody any more.
    A shop write-back moves with the preview: the new task's video is the one to put on the
    product, so it starts a fresh publication and the old task's is removed when the two are
    linked (it would otherwise wait for a video that never comes).
    Raises TaskNotFound, or WrongStatus when the preview does not wait for review.
    """
    old = get_tenant_task(tenant_id, task_id, deps)
    new_id = derive_task_id_for_regeneration(old.id)
    if old.regenerated_as is None and not awaits_review(old):
        raise WrongStatus(old.status, REVIEW_STATUS, _REGENERATE, _why_not(old))
    new = Task(
        id=new_id,
        tenant_id=old.tenant_id,
        type=old.type,
        product_url=old.product_url,
        aspect_ratio=old.aspect_ratio,
        override_avatar=old.override_avatar,
        product_showcase_url=old.product_showcase_url,
        image_prompt=request.image_prompt or old.image_prompt,
        video_prompt=old.video_prompt,
        motion_style=old.motion_style,
        webhook_url=old.webhook_url,
        # The new preview waits for review too: it was asked for by someone reviewing.
        auto_video=False,
        external_ref=old.external_ref,
        regen_source_id=old.id,
        review_deadline_hours=old.review_deadline_hours,
        review_deadline_action=old.review_deadline_action,
        callback_base_url=callback_base_url or old.callback_base_url,
        publication=_moved_publication(old),
    )
    created = deps.tasks.create(new, stays_open=waits_on_provider(new.status, new.auto_video))
    # Linked after the new task exists: a crash in between is mended by asking again, which
    # lands on the same new task.
    deps.tasks.link_regeneration(old.id, new_id)
    return Regenerated(task=created.task, created=created.created)


def _moved_publication(old: Task) -> Publication | None:
    # None once linked: the new task, created by the first request, already holds it.
    if old.publication is None:
        return None
    return Publication(
        platform=old.publication.platform,
        connection_id=old.publication.connection_id,
        product_id=old.publication.product_id,
    )


def reject_preview(tenant_id: str, task_id: str, request: RejectRequest, deps: Deps) -> Task:
    """End the task failed with "rejected: <reason>", announced like any failure.

    Raises TaskNotFound, or WrongStatus when the preview does not wait for review; a task
    rejected before is answered as it is.
    """
    task = get_tenant_task(tenant_id, task_id, deps)
    if _rejected(task):
        return task
    if not awaits_review(task):
        raise WrongStatus(task.status, REVIEW_STATUS, _REJECT, _why_not(task))
    reason = f"{REJECTED}: {request.reason}" if request.reason else f"{REJECTED}: no reason given"
    return decide_rejection(task, reason, deps)


def decide_rejection(task: Task, reason: str, deps: Deps) -> Task:
    """The rejection's one conditional write; WrongStatus if the preview stopped waiting meanwhile."""
    result = deps.tasks.apply(
        task.id, review_decision(StatusUpdate(status=TaskStatus.FAILED, failed_reason=reason))
    )
    if result.applied or _rejected(result.task):
        return result.task
    raise WrongStatus(result.task.status, REVIEW_STATUS, _REJECT, _why_not(result.task))


def _why_not(task: Task) -> str | None:
    """Why a task at the review status is not waiting for review after all."""
    if task.status is not REVIEW_STATUS:
        return None
    if task.regenerated_as:
        return f"it was regenerated as {task.regenerated_as}"
    return "its video was already asked for"


def _rejected(task: Task) -> bool:
    return task.status is TaskStatus.FAILED and (task.failed_reason or "").startswith(REJECTED + ":")
