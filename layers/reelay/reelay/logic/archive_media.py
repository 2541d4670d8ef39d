"""Copying a task's photo or video into the media bucket: one archive job, at most once.

The task stream queues a job when a task enters image_generated (the photo) and
video_generated (the video); see `reelay.logic.task_lifecycle`. A job:
1. does nothing when the asset is already settled (archived or failed) or another attempt
   holds it: the claim is a conditional update of `archive.<asset>` on the task item;
2. checks the source like a webhook URL (URL guard, after DNS; loopback only on the local
   stack) and connects only to the addresses it checked;
3. copies it streamed (clients/media_copy.py): the object appears whole or not at all;
4. records the outcome on the task item in one conditional update with its history entry.
A failed copy is tried again RETRY_DELAYS later, through the queue's message delay; after
the last, or at once for a source the guard refuses, the asset ends failed with the reason,
which the announcement, the API and the CLI show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from aws_lambda_powertools import Logger

from reelay.deps import Deps
from reelay.models.jobs import ArchiveJob
from reelay.models.media import ArchivedFile, ArchiveState, MediaAsset
from reelay.models.task import Task
from reelay.models.task_history import archive_entry, note_for
from reelay.ports.media import CopyFailed
from reelay.security.url_guard import HostDoesNotResolve, UnsafeUrl, check_outbound_url

logger = Logger(child=True)

# Seconds before each retry after a failed copy: attempts 1..4 in all.
RETRY_DELAYS: tuple[int, ...] = (10, 60, 300)
RETRY_SCHEDULED = "retry_scheduled"


class ArchiveResult(StrEnum):
    ARCHIVED = "archived"
    RETRY_SCHEDULED = RETRY_SCHEDULED
    FAILED = "failed"
    SKIPPED = "skipped"  # settled already, held by another attempt, or the task is gone


@dataclass(frozen=True)
class ArchiveOutcome:
    result: ArchiveResult
    reason: str | None = None


def object_key_stem(task: Task, asset: MediaAsset) -> str:
    """`tasks/{tenant_id}/{task_id}/{asset}`; the copier adds the extension its content type has."""
    return f"tasks/{task.tenant_id}/{task.id}/{MediaAsset(asset).value}"


def source_url(task: Task, asset: MediaAsset) -> str | None:
    return task.generated_photo_url if asset is MediaAsset.PHOTO else task.generated_video_url


def archive_media(job: ArchiveJob, deps: Deps, *, redelivered: bool = False) -> ArchiveOutcome:
    """Make this job's copy, unless it was made or is being made; `redelivered`: SQS gave it again.

    A message comes back only once its earlier run ended without finishing it (the queue's
    visibility timeout outlasts the function's), so a redelivered job may take over its own claim.
    """
    asset = MediaAsset(job.asset)
    task = deps.tasks.get(job.task_id)
    if task is None:
        return ArchiveOutcome(ArchiveResult.SKIPPED, "task gone")
    current = task.archive.get(asset.value)
    if current is not None and current.state is not ArchiveState.PENDING:
        return ArchiveOutcome(ArchiveResult.SKIPPED, f"already {current.state.value}")
    url = source_url(task, asset)
    if not url:
        return _settle_failed(task, job, deps, f"Creatify gave no {asset.value} URL", url, claimed=False)
    if not deps.archive_records.claim(task.id, asset, job.attempt, takeover=redelivered, source_url=url):
        return ArchiveOutcome(ArchiveResult.SKIPPED, "claimed by another attempt")
    try:
        addresses = check_outbound_url(url, allow_loopback=deps.settings.allow_loopback_webhooks)
        copied = deps.media_copier.copy(url, addresses, object_key_stem(task, asset))
    except HostDoesNotResolve as exc:
        return _after_failure(task, job, deps, str(exc), url)
    except UnsafeUrl as exc:
        # Refused before any connection: no retry makes it safe.
        return _settle_failed(task, job, deps, f"source refused: {exc}", url)
    except CopyFailed as exc:
        return _after_failure(task, job, deps, str(exc), url)
    now = datetime.now(UTC)
    file = ArchivedFile(
        state=ArchiveState.ARCHIVED,
        key=copied.key,
        bytes=copied.size,
        content_type=copied.content_type,
        source_url=url,
        attempts=job.attempt + 1,
        updated_at=now,
    )
    entry = archive_entry(
        asset.value, ArchiveState.ARCHIVED.value, now, attempt=job.attempt + 1, size=copied.size
    )
    deps.archive_records.settle(task.id, asset, file, note_for(task.history, entry))
    logger.info("media archived", extra={"task_id": task.id, "asset": asset.value, "bytes": copied.size})
    return ArchiveOutcome(ArchiveResult.ARCHIVED)


def _after_failure(task: Task, job: ArchiveJob, deps: Deps, reason: str, url: str) -> ArchiveOutcome:
    if job.attempt >= len(RETRY_DELAYS):
        return _settle_failed(task, job, deps, reason, url)
    now = datetime.now(UTC)
    pending = ArchivedFile(
        state=ArchiveState.PENDING,
        source_url=url,
        failed_reason=reason,
        attempts=job.attempt + 1,
        updated_at=now,
    )
    entry = archive_entry(job.asset.value, RETRY_SCHEDULED, now, attempt=job.attempt + 1, reason=reason)
    if deps.archive_records.settle(task.id, job.asset, pending, note_for(task.history, entry)):
        delay = RETRY_DELAYS[job.attempt]
        deps.media_queue.send(job.model_copy(update={"attempt": job.attempt + 1}), delay_seconds=delay)
    logger.warning(
        "media copy failed; retry queued",
        extra={"task_id": task.id, "asset": job.asset.value, "reason": reason},
    )
    return ArchiveOutcome(ArchiveResult.RETRY_SCHEDULED, reason)


def _settle_failed(
    task: Task, job: ArchiveJob, deps: Deps, reason: str, url: str | None, *, claimed: bool = True
) -> ArchiveOutcome:
    now = datetime.now(UTC)
    if not claimed and not deps.archive_records.claim(
        task.id, job.asset, job.attempt, takeover=True, source_url=url or ""
    ):
        return ArchiveOutcome(ArchiveResult.SKIPPED, "claimed by another attempt")
    failed = ArchivedFile(
        state=ArchiveState.FAILED,
        source_url=url,
        failed_reason=reason,
        attempts=job.attempt + 1,
        updated_at=now,
    )
    entry = archive_entry(
        job.asset.value, ArchiveState.FAILED.value, now, attempt=job.attempt + 1, reason=reason
    )
    deps.archive_records.settle(task.id, job.asset, failed, note_for(task.history, entry))
    logger.warning(
        "media archive failed", extra={"task_id": task.id, "asset": job.asset.value, "reason": reason}
    )
    return ArchiveOutcome(ArchiveResult.FAILED, reason)
