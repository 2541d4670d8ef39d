"""What a committed task change means for its publication (the task stream's part of write-back).

- The video's archived copy settled while the publication waits (pending): archived queues the
  first publish job; failed ends the publication "video archive failed: <reason>". A task that
  failed before it had a video ends it too: there is nothing to publish.
- The publication entered published or failed: `Product Video Published` or `Product Video
  Publish Failed` on EventBridge and SNS, with an id per (task, outcome), so a repeated record
  announces the same event again (consumers dedupe on its id).

Repeated records are harmless: a second publish job finds the publication claimed, and ending
a publication is a conditional write that holds once.
"""

from __future__ import annotations

from datetime import UTC, datetime

from reelay.deps import Deps
from reelay.logic.media_view import media_object
from reelay.models.events import publication_event_detail
from reelay.models.jobs import PublishJob
from reelay.models.media import ArchivedFile
from reelay.models.media_states import ArchiveState, MediaAsset, PublicationState
from reelay.models.status import TaskStatus
from reelay.models.task import Task
from reelay.models.task_history import publication_entry

ENDED = (PublicationState.PUBLISHED, PublicationState.FAILED)


def _video(task: Task | None) -> ArchivedFile | None:
    return task.archive.get(MediaAsset.VIDEO.value) if task is not None else None


def react_to_publication(old: Task | None, new: Task, deps: Deps) -> list[str]:
    """Queue, end or announce as the change says; the ids of the events announced."""
    publication = new.publication
    if publication is None:
        return []
    if publication.state is PublicationState.PENDING:
        _start_or_end(old, new, deps)
        return []
    before = old.publication.state if old is not None and old.publication is not None else None
    if publication.state in ENDED and before != publication.state:
        detail = publication_event_detail(new, media_object(new, deps))
        deps.publisher.put_event(detail)
        deps.publisher.publish_message(detail)
        return [detail["event_id"]]
    return []


def _start_or_end(old: Task | None, new: Task, deps: Deps) -> None:
    video, before = _video(new), _video(old)
    settled_now = video is not None and (before is None or before.state is not video.state)
    now = datetime.now(UTC)
    if settled_now and video is not None and video.state is ArchiveState.ARCHIVED:
        deps.publish_queue.send(PublishJob(task_id=new.id))
    elif settled_now and video is not None and video.state is ArchiveState.FAILED:
        reason = f"video archive failed: {video.failed_reason or 'unknown'}"
        _end_unclaimed(new, reason, deps, now)
    elif new.status is TaskStatus.FAILED and (old is None or old.status is not TaskStatus.FAILED):
        _end_unclaimed(new, "the task failed before its video existed", deps, now)


def _end_unclaimed(task: Task, reason: str, deps: Deps, now: datetime) -> None:
    entry = publication_entry("failed", now, reason=reason)
    deps.publications.finish(
        task.id, PublicationState.FAILED, claim=None, now=now, reason=reason, history=entry
    )
