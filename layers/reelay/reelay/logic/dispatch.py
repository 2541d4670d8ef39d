"""The outbox dispatcher: what each committed task change sets in motion.

The task stream delivers every change at least once, in order per task. Each reaction is
safe to repeat: provider jobs are guarded by their job slot and the worker's claim, and events carry an id
derived from (task, status), so a repeated record yields the same event id.

A reaction that fails after its clients' own retries raises, and the stream hands the whole
record back later, so every step of it that had already succeeded is done again: that is
the usual way an event is announced twice (same event_id; consumers dedupe on it). The task
stream holds the sends a batch's reactions make and sends them in batches once the batch is
dispatched (reelay.clients.held_sends), in this module's order per destination.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_lambda_powertools import Logger

from reelay.deps import Deps
from reelay.logic.media_view import media_object, webhook_body
from reelay.logic.publication_dispatch import react_to_publication
from reelay.logic.task_lifecycle import (
    Reaction,
    announcement_due,
    archive_job,
    archive_to_queue,
    image_job,
    reaction_to,
)
from reelay.models.events import event_detail
from reelay.models.jobs import DeliveryJob, ProviderJob, ProviderJobKind
from reelay.models.media_states import MediaAsset
from reelay.models.task import Task

logger = Logger(child=True)


@dataclass
class Dispatched:
    provider_jobs: list[ProviderJobKind] = field(default_factory=list)
    archives: list[MediaAsset] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    deliveries: list[str] = field(default_factory=list)
    # For the stage metrics: where a new task came from, and the terminal status just announced.
    submitted_from: str | None = None
    finished_as: str | None = None


def dispatch_change(old: Task | None, new: Task | None, deps: Deps) -> Dispatched:
    """Do what the task lifecycle says entering the new task's row sets in motion.

    Also the announcement a row waits for until its archive settles, made for the change that
    settles it (the media worker's write).
    """
    done = Dispatched()
    if new is None:
        return done  # a TTL removal: nothing to tell anyone
    reaction = reaction_to(old, new)
    if old is None:
        done.submitted_from = "regenerate" if new.regen_source_id else new.external_ref.source
    if reaction is Reaction.QUEUE_GEN_IMAGE:
        _queue_provider_job(new, image_job(new), deps, done)
    elif reaction is Reaction.QUEUE_GEN_VIDEO:
        _queue_provider_job(new, ProviderJobKind.GEN_VIDEO, deps, done)
    _queue_archive(old, new, deps, done)
    if announcement_due(old, new):
        _announce(new, deps, done)
    _publication(old, new, deps, done)
    return done


def _publication(old: Task | None, new: Task, deps: Deps, done: Dispatched) -> None:
    # Write-back has its own small state beside the status (reelay.logic.publication_dispatch).
    done.events += react_to_publication(old, new, deps)


def _queue_provider_job(task: Task, kind: ProviderJobKind, deps: Deps, done: Dispatched) -> None:
    # No slot is written here: the first job adopts the free slot when it starts, and until
    # then the task's own change (its updated_at) says when the job was queued, which is what
    # the reconciler judges a lost job by. A repeated record sends a copy of the first job: the
    # copies share the slot, so only one runs, and a job put back or replaced since owns the
    # slot, so the copy ends without effect.
    deps.provider_queue.send(ProviderJob(kind=kind, task_id=task.id))
    done.provider_jobs.append(kind)


def _queue_archive(old: Task | None, new: Task, deps: Deps, done: Dispatched) -> None:
    # A repeated record queues the job again: the copies write the same object, and the media
    # worker's conditional settle lets one outcome count (reelay.logic.archive_media).
    asset = archive_to_queue(old, new)
    if asset is not None:
        deps.media_queue.send(archive_job(new, asset))
        done.archives.append(asset)


def _announce(task: Task, deps: Deps, done: Dispatched) -> None:
    # The order keeps repeats rare: the step most likely to fail goes first, so its failure
    # repeats nothing. EventBridge refuses entries under its PutEvents quota (and reports it
    # inside a 200), SNS throttles past its publish quota, and an SQS send to our own queue
    # almost never fails; a failure in a later step repeats the earlier ones on the retry. (The
    # task stream's held sends keep this order across destinations: events, SNS, then queues.)
    media = media_object(task, deps)
    detail = event_detail(task, media)
    deps.publisher.put_event(detail)
    deps.publisher.publish_message(detail)
    done.events.append(detail["event_id"])
    if task.terminal:
        done.finished_as = task.status.value
    if task.webhook_url:
        job = DeliveryJob(
            task_id=task.id,
            event_id=detail["event_id"],
            payload=webhook_body(task, deps, media),
            webhook_url=task.webhook_url,
            tenant_id=task.tenant_id,
        )
        deps.delivery_queue.send(job)
        done.deliveries.append(job.event_id)
    logger.info("task announced", extra={"task_id": task.id, "status": task.status.value})
