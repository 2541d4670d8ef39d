"""Putting a task's video on its shop product: what the publish worker does with one message.

The chain, one SQS message per step (never a Lambda that sleeps):

1. The task stream queues the first job when the video's archived copy exists (`publication_dispatch`).
2. The job claims the publication (pending → publishing; a claim whose worker died is taken over
   once stale), so two deliveries of one message never publish twice.
3. `find()` first: a retry after a lost answer finds the video it already attached (Shopify: by
   its filename, which carries the task id), else `attach()` uploads and attaches it once.
4. The shop's media id is recorded under the claim, then a check is queued with a delay; each
   check that finds the video still processing queues the next with a longer one, until a
   bounded total wait.
5. Ready: published. The shop's refusals end it failed with the shop's reason: a deleted product,
   userErrors and mediaErrors, rejected credentials (never retried, so no retry storm).
   Throttling waits as long as the shop says; an unavailable shop is retried with backoff a
   bounded number of times.

Every later message carries its claim's number, and a message of an older claim does nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from aws_lambda_powertools import Logger

from reelay.deps import Deps
from reelay.errors import SealedSecretUnreadable
from reelay.logic.connection_secrets import opened_credentials
from reelay.logic.media_view import link_base
from reelay.models.jobs import MAX_DELAY_SECONDS, PublishJob, PublishStage
from reelay.models.media_states import ArchiveState, MediaAsset, PublicationState
from reelay.models.task import Task
from reelay.models.task_history import publication_entry
from reelay.ports.shop_publishing import (
    MediaProgress,
    MediaStatus,
    ProductGone,
    PublishRefused,
    PublishRequest,
    ShopThrottled,
    ShopUnavailable,
)

logger = Logger(child=True)

# Seconds between checks of an attached video, growing; the last repeats.
CHECK_DELAYS: tuple[int, ...] = (2, 5, 10, 30, 60, 120, 300)
# How long the shop may take to process a video before publishing counts as failed.
MAX_PROCESSING_SECONDS = 3600
# Answers "try later" a claim takes before it gives up.
MAX_UNAVAILABLE = 5
MAX_THROTTLED = 20
UNAVAILABLE_BACKOFF_SECONDS = 30
# A claim no message has refreshed for this long belongs to a worker that died: longer than
# any delay in the chain (SQS caps delays at 15 minutes) plus the worker's timeout (5 minutes).
CLAIM_STALE_AFTER = timedelta(minutes=30)

PROCESSING_TIMED_OUT = "shop did not finish processing the video"
PRODUCT_GONE = "product deleted in the shop"


class PublishResult(StrEnum):
    PUBLISHED = "published"
    FAILED = "failed"
    CHECKING = "checking"  # attached, a check is queued
    RETRYING = "retrying"  # throttled or unavailable, the same step is queued again
    DROPPED = "dropped"  # not this message's to do (claimed elsewhere, ended, or gone)


@dataclass(frozen=True)
class PublishOutcome:
    result: PublishResult
    reason: str | None = None


class _Ended(Exception):
    """Publishing cannot go on: `reason` says why (it ends failed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def publish(
    job: PublishJob,
    deps: Deps,
    now: datetime | None = None,
    *,
    message_id: str | None = None,
    last_receive: bool = False,
) -> PublishOutcome:
    """Run this message's step of the chain under its claim.

    `message_id`: the SQS message's; given again with a first job, it takes over the claim that
    message made in a run that died (a later step's message goes on under its claim anyway).
    `last_receive`: the queue moves the message to its dead-letter queue if this run fails, so
    an unexpected error ends the publication failed (the exception's class is the reason
    consumers see; the log has the rest) instead of leaving it publishing for good.
    """
    now = now or datetime.now(UTC)
    if job.claim is None:
        stale_before = now - CLAIM_STALE_AFTER
        task = deps.publications.claim(job.task_id, now=now, stale_before=stale_before, message_id=message_id)
    else:
        task = deps.publications.hold(job.task_id, job.claim, now=now)
    if task is None or task.publication is None:
        logger.info("publish job dropped: claimed elsewhere or ended", extra={"task_id": job.task_id})
        return PublishOutcome(PublishResult.DROPPED)
    job = job.replace(claim=task.publication.attempts)
    try:
        request = _request(task, job, deps)
        publisher = deps.shop_publishers(task.publication.platform or "")
        if job.stage is PublishStage.PUBLISH:
            status = publisher.find(request) or publisher.attach(request)
            if not deps.publications.record_media(task.id, job.claim or 0, status.media_id, now=now):
                # Another claim took over meanwhile (this one went stale): it goes on, not this one.
                return PublishOutcome(PublishResult.DROPPED)
        else:
            status = publisher.check(request, job.media_id or "")
        return _settle(task, job, status, deps, now)
    except ShopThrottled as throttled:
        if job.throttles >= MAX_THROTTLED:
            return _fail(task, job, f"the shop kept throttling: {throttled.reason}", deps, now)
        again = job.replace(throttles=job.throttles + 1)
        return _again(again, math.ceil(throttled.retry_after), deps, throttled.reason)
    except (ShopUnavailable, SealedSecretUnreadable) as unavailable:
        reason = getattr(unavailable, "reason", str(unavailable))
        if job.retries >= MAX_UNAVAILABLE:
            return _fail(task, job, f"shop unavailable: {reason}", deps, now)
        again = job.replace(retries=job.retries + 1)
        return _again(again, UNAVAILABLE_BACKOFF_SECONDS * 2**job.retries, deps, reason)
    except ProductGone:
        return _fail(task, job, PRODUCT_GONE, deps, now)
    except PublishRefused as refused:
        return _fail(task, job, refused.reason, deps, now)
    except _Ended as ended:
        return _fail(task, job, ended.reason, deps, now)
    except Exception as exc:
        if not last_receive:
            raise
        logger.exception("publish job failed on its last receive", extra={"task_id": job.task_id})
        return _fail(task, job, f"the publish job kept failing ({type(exc).__name__})", deps, now)


def _request(task: Task, job: PublishJob, deps: Deps) -> PublishRequest:
    publication = task.publication
    assert publication is not None  # checked by the caller
    connection = deps.connections.get(publication.connection_id or "")
    if connection is None or connection.tenant_id != task.tenant_id:
        raise _Ended("the shop connection was removed")
    if not connection.write_back:
        raise _Ended("write-back was turned off for the shop connection")
    if not connection.has_credentials:
        raise _Ended("the shop connection has no admin credentials")
    video = task.archive.get(MediaAsset.VIDEO.value)
    if video is None or video.state is not ArchiveState.ARCHIVED or not video.key:
        raise _Ended("no archived copy of the video")
    content_type = video.content_type or "video/mp4"
    source = None
    if job.stage is PublishStage.PUBLISH and connection.platform.value == "shopify":
        filename = video_filename(task.id, video.key)
        source = deps.archived_videos(video.key, video.bytes or 0, content_type, filename)
    video_url = None
    if connection.platform.value == "woocommerce":
        # The same base the events' media links name (the public base URL first).
        base = link_base(task, deps)
        if base is None:
            raise _Ended("no public base URL for the video's media link")
        video_url = deps.media_links.link(base, task.id, MediaAsset.VIDEO)
    return PublishRequest(
        task_id=task.id,
        shop=connection.shop,
        product_id=publication.product_id or "",
        credentials=opened_credentials(connection, deps),
        alt=task.external_ref.title or "Product video",
        video=source,
        video_url=video_url,
        settings={
            "api_version": connection.shopify_api_version,
            "video_meta_key": connection.woo_video_meta_key,
            "video_in_description": connection.woo_video_in_description,
        },
    )


def video_filename(task_id: str, key: str) -> str:
    """The file name the shop keeps: it carries the task id, so a retry can find what it attached."""
    extension = key.rsplit(".", 1)[-1] if "." in key.rsplit("/", 1)[-1] else "mp4"
    return f"reelay-{task_id}.{extension}"


def _settle(task: Task, job: PublishJob, status: MediaStatus, deps: Deps, now: datetime) -> PublishOutcome:
    if status.progress is MediaProgress.READY:
        entry = publication_entry("published", now, media_id=status.media_id)
        published = PublicationState.PUBLISHED
        deps.publications.finish(
            task.id, published, claim=job.claim, now=now, media_id=status.media_id, history=entry
        )
        logger.info("video published", extra={"task_id": task.id, "media_id": status.media_id})
        return PublishOutcome(PublishResult.PUBLISHED)
    if status.progress is MediaProgress.FAILED:
        return _fail(task, job, status.reason or "the shop could not process the video", deps, now)
    since = job.checking_since or now.timestamp()
    if now.timestamp() - since >= MAX_PROCESSING_SECONDS:
        return _fail(task, job, PROCESSING_TIMED_OUT, deps, now)
    delay = CHECK_DELAYS[min(job.checks, len(CHECK_DELAYS) - 1)]
    check = job.replace(
        stage=PublishStage.CHECK,
        media_id=status.media_id,
        checks=job.checks + 1,
        checking_since=since,
        retries=0,
        throttles=0,
    )
    deps.publish_queue.send(check, delay_seconds=delay)
    return PublishOutcome(PublishResult.CHECKING)


def _again(job: PublishJob, delay: float, deps: Deps, reason: str) -> PublishOutcome:
    """The same step again after `delay` seconds, under the same claim."""
    wait = max(1, min(MAX_DELAY_SECONDS, int(delay)))
    deps.publish_queue.send(job, delay_seconds=wait)
    logger.info("publish step queued again", extra={"task_id": job.task_id, "delay": wait, "reason": reason})
    return PublishOutcome(PublishResult.RETRYING, reason)


def _fail(task: Task, job: PublishJob, reason: str, deps: Deps, now: datetime) -> PublishOutcome:
    entry = publication_entry("failed", now, reason=reason)
    deps.publications.finish(
        task.id, PublicationState.FAILED, claim=job.claim, now=now, reason=reason[:500], history=entry
    )
    logger.warning("publishing failed", extra={"task_id": task.id, "reason": reason})
    return PublishOutcome(PublishResult.FAILED, reason)
