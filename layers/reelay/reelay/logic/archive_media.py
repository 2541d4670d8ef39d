"""Copying a task's photo or video into the media bucket: one archive job, one outcome.

The task stream queues a job when a task enters image_generated (the photo) and
video_generated (the video); see `reelay.logic.task_lifecycle`. The job carries what the copy
needs (the tenant, Creatify's URL), so the worker reads nothing and claims nothing. A job:
1. checks the source like a webhook URL (URL guard, after DNS; loopback only on the local
   stack) and connects only to the addresses it checked;
2. copies it streamed (clients/media_copy.py) to `tasks/{tenant}/{task}/{asset}.{ext}`;
3. records the outcome on the task item in one conditional update with its history entry,
   which holds only while `archive.<asset>` is absent or pending.
A failed copy is tried again RETRY_DELAYS later, through the queue's message delay; after
the last, or at once for a source the guard refuses, the asset ends failed with the reason,
which the announcement, the API and the CLI show. So does a job that keeps raising
something unexpected: on the queue's last receive before its dead-letter queue it settles the
asset failed instead of raising, so the asset is never left pending and its announcement unmade.

Why duplicates are safe without a claim (a repeated stream record, an SQS redelivery, an SQS
duplicate during a live copy):
- Copies of one job write the same key with the same bytes, and an object appears only
  whole (a PutObject, or CompleteMultipartUpload), so a second copy replaces the object with
  itself; a reader never sees a part.
- Only one outcome counts: the settle is conditional on the asset still being pending, and
  every later one finds it settled and changes nothing (no second history entry, no second
  announcement: the task stream announces when it sees the asset settle).
- Retry chains cannot fork: a failed copy's pending settle holds only while its attempt is
  the current one (the record's `attempts` equals it), and only the run whose settle held
  queues the next attempt. Two copies of attempt n that both fail move the asset to n + 1
  once; the other finds it moved on and queues nothing. The one whose settle held records its
  message id (`retry_by`), so if its send is lost and the message comes back, that redelivery
  may move on from its own retry again and queue it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from aws_lambda_powertools import Logger

from reelay.deps import Deps
from reelay.models.jobs import ArchiveJob
from reelay.models.media import ArchivedFile
from reelay.models.media_states import ArchiveState, MediaAsset
from reelay.models.task_history import archive_entry
from reelay.ports.media import CopyFailed, Settled
from reelay.security.url_guard import HostDoesNotResolve, UnsafeUrl, check_outbound_url

logger = Logger(child=True)

# Seconds before each retry after a failed copy: attempts 1..4 in all.
RETRY_DELAYS: tuple[int, ...] = (10, 60, 300)
RETRY_SCHEDULED = "retry_scheduled"


class ArchiveResult(StrEnum):
    ARCHIVED = "archived"
    RETRY_SCHEDULED = RETRY_SCHEDULED
    FAILED = "failed"
    SKIPPED = "skipped"  # settled already, another attempt is the current one, or the task is gone


@dataclass(frozen=True)
class ArchiveOutcome:
    result: ArchiveResult
    reason: str | None = None


def object_key_stem(tenant_id: str, task_id: str, asset: MediaAsset) -> str:
    """`tasks/{tenant_id}/{task_id}/{asset}`; the copier adds the extension its content type has."""
    return f"tasks/{tenant_id}/{task_id}/{MediaAsset(asset).value}"


def archive_media(
    job: ArchiveJob, deps: Deps, *, message_id: str | None = None, last_receive: bool = False
) -> ArchiveOutcome:
    """Make this job's copy and record its outcome, unless the asset moved on already.

    `message_id`: the SQS message being run (see the module docstring, retries). `last_receive`:
    the queue moves the message to its dead-letter queue if this run fails, so an unexpected
    error settles the asset failed instead of being raised.
    """
    try:
        return _archive(job, deps, message_id)
    except Exception as exc:
        if not last_receive:
            raise
        # The reason goes to consumers: the exception's class only; the log has the rest.
        logger.exception("archive job failed on its last receive", extra={"task_id": job.task_id})
        reason = f"the copy kept failing ({type(exc).__name__})"
        return _settle_failed(job, deps, reason, message_id)


def _archive(job: ArchiveJob, deps: Deps, message_id: str | None) -> ArchiveOutcome:
    if not job.carries_source:
        # Queued before jobs carried their source: read the task once, as the worker used to.
        # (Imported here: the task model and its lifecycle are only this rare path's.)
        from reelay.logic.task_lifecycle import archive_job

        task = deps.tasks.get(job.task_id)
        if task is None:
            return ArchiveOutcome(ArchiveResult.SKIPPED, "task gone")
        current = task.archive.get(job.asset.value)
        if current is not None and current.state is not ArchiveState.PENDING:
            return ArchiveOutcome(ArchiveResult.SKIPPED, f"already {current.state.value}")
        job = archive_job(task, job.asset).replace(attempt=job.attempt)
    asset, url = job.asset, job.source_url
    if not url:
        return _settle_failed(job, deps, f"Creatify gave no {asset.value} URL", message_id)
    try:
        addresses = check_outbound_url(url, allow_loopback=deps.settings.allow_loopback_webhooks)
        copied = deps.media_copier.copy(
            url, addresses, object_key_stem(job.tenant_id or "", job.task_id, asset)
        )
    except HostDoesNotResolve as exc:
        return _after_failure(job, deps, str(exc), message_id)
    except UnsafeUrl as exc:
        # Refused before any connection: no retry makes it safe.
        return _settle_failed(job, deps, f"source refused: {exc}", message_id)
    except CopyFailed as exc:
        return _after_failure(job, deps, str(exc), message_id)
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
    # Any whole copy is the truth, whichever attempt made it: no attempt condition here.
    settled = deps.archive_records.settle(job.task_id, asset, file, entry)
    if settled is not Settled.RECORDED:
        return _skipped(job, settled)
    logger.info("media archived", extra={"task_id": job.task_id, "asset": asset.value, "bytes": copied.size})
    return ArchiveOutcome(ArchiveResult.ARCHIVED)


def _after_failure(job: ArchiveJob, deps: Deps, reason: str, message_id: str | None) -> ArchiveOutcome:
    if job.attempt >= len(RETRY_DELAYS):
        return _settle_failed(job, deps, reason, message_id)
    now = datetime.now(UTC)
    pending = ArchivedFile(
        state=ArchiveState.PENDING,
        source_url=job.source_url,
        failed_reason=reason,
        attempts=job.attempt + 1,
        retry_by=message_id,
        updated_at=now,
    )
    entry = archive_entry(job.asset.value, RETRY_SCHEDULED, now, attempt=job.attempt + 1, reason=reason)
    settled = deps.archive_records.settle(
        job.task_id, job.asset, pending, entry, from_attempt=job.attempt, message_id=message_id
    )
    if settled is not Settled.RECORDED:
        return _skipped(job, settled)
    deps.media_queue.send(job.replace(attempt=job.attempt + 1), delay_seconds=RETRY_DELAYS[job.attempt])
    logger.warning(
        "media copy failed; retry queued",
        extra={"task_id": job.task_id, "asset": job.asset.value, "reason": reason},
    )
    return ArchiveOutcome(ArchiveResult.RETRY_SCHEDULED, reason)


def _settle_failed(job: ArchiveJob, deps: Deps, reason: str, message_id: str | None) -> ArchiveOutcome:
    now = datetime.now(UTC)
    failed = ArchivedFile(
        state=ArchiveState.FAILED,
        source_url=job.source_url,
        failed_reason=reason,
        attempts=job.attempt + 1,
        updated_at=now,
    )
    entry = archive_entry(
        job.asset.value, ArchiveState.FAILED.value, now, attempt=job.attempt + 1, reason=reason
    )
    # Only the current attempt gives up: a stale copy must not end a chain that is still trying.
    settled = deps.archive_records.settle(
        job.task_id, job.asset, failed, entry, from_attempt=job.attempt, message_id=message_id
    )
    if settled is not Settled.RECORDED:
        return _skipped(job, settled)
    logger.warning(
        "media archive failed", extra={"task_id": job.task_id, "asset": job.asset.value, "reason": reason}
    )
    return ArchiveOutcome(ArchiveResult.FAILED, reason)


def _skipped(job: ArchiveJob, settled: Settled) -> ArchiveOutcome:
    reason = "task gone" if settled is Settled.TASK_GONE else "settled already or another attempt is current"
    logger.info(
        "archive outcome not recorded",
        extra={"task_id": job.task_id, "asset": job.asset.value, "reason": reason},
    )
    return ArchiveOutcome(ArchiveResult.SKIPPED, reason)
