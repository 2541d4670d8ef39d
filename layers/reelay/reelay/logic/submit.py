"""Submitting a product video: one conditional write, idempotent on the caller's key."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import uuid4

from reelay.deps import Deps
from reelay.errors import IdempotencyConflict, UnsafeRequestUrl
from reelay.logic.task_lifecycle import waits_on_provider
from reelay.models.api import ProductVideoRequest
from reelay.models.task import ExternalRef, Task
from reelay.models.task_ids import derive_task_id
from reelay.security.url_guard import HostDoesNotResolve, UnsafeUrl, check_outbound_url


@dataclass(frozen=True)
class Submitted:
    task: Task
    created: bool


def submit_product_video(
    tenant_id: str,
    request: ProductVideoRequest,
    deps: Deps,
    *,
    idempotency_key: str | None = None,
    callback_base_url: str | None = None,
) -> Submitted:
    """Create the task (status initializing); the task stream then queues the gen_image job.

    Nothing else is written here: the provider call, the events and the deliveries all come
    from the committed row, so a crash after this write loses nothing. Raises
    IdempotencyConflict when the key was used before with another body.
    """
    check_request_urls(request, allow_loopback=deps.settings.allow_loopback_webhooks)
    fingerprint = request.fingerprint()
    task_id = derive_task_id(tenant_id, idempotency_key) if idempotency_key else str(uuid4())
    task = Task(
        id=task_id,
        tenant_id=tenant_id,
        type=request.type,
        product_url=request.product_url,
        aspect_ratio=request.aspect_ratio,
        # Creatify ignores the avatar for product_anyshot; keeping it would misreport the task.
        override_avatar=request.override_avatar if request.type == "product_avatar" else None,
        product_showcase_url=request.product_showcase_url,
        image_prompt=request.image_prompt,
        video_prompt=request.video_prompt,
        motion_style=request.motion_style,
        webhook_url=request.webhook_url,
        auto_video=request.auto_video,
        review_deadline_hours=request.review_deadline_hours,
        review_deadline_action=request.review_deadline_action,
        external_ref=request.external_ref or ExternalRef(),
        idempotency_key=idempotency_key,
        request_hash=fingerprint,
        callback_base_url=callback_base_url,
    )
    result = deps.tasks.create(task, stays_open=waits_on_provider(task.status, task.auto_video))
    if not result.created and result.task.request_hash != fingerprint:
        raise IdempotencyConflict(result.task.id)
    return Submitted(task=result.task, created=result.created)


_URL_FIELDS = ("product_url", "product_showcase_url", "webhook_url")


def check_request_urls(request: ProductVideoRequest, *, allow_loopback: bool) -> None:
    """Refuse at the door a URL that leads to an internal address (after resolving its host).

    Creatify fetches the product images and Reelay posts to the webhook: neither may be
    pointed at the metadata service, a private network or (outside the local stack) loopback.
    A host that does not resolve now cannot be judged and passes; the delivery worker checks
    the webhook's address again before every attempt.
    """
    for field in _URL_FIELDS:
        url = getattr(request, field)
        if not url:
            continue
        try:
            check_outbound_url(url, allow_loopback=allow_loopback)
        except HostDoesNotResolve:
            continue
        except UnsafeUrl as exc:
            raise UnsafeRequestUrl(field, str(exc)) from None
