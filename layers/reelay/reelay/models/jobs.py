"""Messages on Reelay's queues: work for the provider, delivery, media and publish workers.

Plain records (reelay.models.records), not pydantic models: each worker reads one on its hot
path, and pydantic's import and validators were most of a worker's cold start beyond boto3's.
Reelay writes every message itself, so reading one back is strict: a JSON object with exactly the
fields the message declares (an unknown field refuses it: a typo, or a newer writer, should be
noticed), each of its declared type, counters never negative. A message that fails is an
InvalidRecord naming the field, and SQS retries it into the dead-letter queue.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any, Self

from reelay.models.media_states import MediaAsset
from reelay.models.records import InvalidRecord, Record, count, record


@record
class QueueMessage(Record):
    """A message Reelay writes to one of its queues and reads back."""

    forbid_unknown = True

    def to_json(self) -> str:
        return json.dumps(self.as_json(), separators=(",", ":"))

    @classmethod
    def from_json(cls, body: str | bytes) -> Self:
        try:
            values = json.loads(body)
        except ValueError:
            raise InvalidRecord(cls.__name__, "", "the body is not JSON") from None
        return cls.from_stored(values)


class ProviderJobKind(StrEnum):
    GEN_IMAGE = "gen_image"
    GEN_VIDEO = "gen_video"
    # A new preview for a task whose preview was turned down: Creatify makes a new task from it.
    REGEN_IMAGE = "regen_image"


# SQS caps a message's DelaySeconds at 15 minutes: a longer wait is a chain of re-enqueues.
MAX_DELAY_SECONDS = 900

# What each job costs at Creatify (its API reference: gen_image 1 credit, gen_video 3).
CREDITS: dict[ProviderJobKind, int] = {
    ProviderJobKind.GEN_IMAGE: 1,
    ProviderJobKind.GEN_VIDEO: 3,
    ProviderJobKind.REGEN_IMAGE: 1,
}


# The id of the first job of a kind, the one the task stream queues: every copy a repeated
# stream record makes shares it, so the copies share one job slot (reelay.ports.job_stores.JobSlot).
FIRST_JOB = "first"


@record
class ProviderJob(QueueMessage):
    kind: ProviderJobKind
    task_id: str
    # Which message this is: only the one its (task, kind) slot names may run; a put-back gets
    # a new id, so every older copy of the job ends without effect.
    job_id: str = FIRST_JOB
    # How many times this job was put back after a safe-to-retry answer from Creatify.
    retries: int = count()


@record
class DeliveryJob(QueueMessage):
    task_id: str
    event_id: str
    # Index into the retry schedule of the next attempt to make.
    attempt: int = count()
    # When the attempt is due (epoch seconds); SQS delays cap at 15 minutes, so a longer
    # wait is a chain of re-enqueues until this time has come.
    not_before: float = 0.0
    # The webhook body as it was when the event was announced, so a retry hours later says
    # what the event id says (an approval's image_generated, not the video_generating since).
    payload: dict[str, Any] | None = None
    # 0 for the delivery the task's outcome set off; n for the operator's or tenant's n-th replay.
    replay: int = count()
    # Where to and for whom, as the task said when the job was queued, so an attempt reads no
    # task; None in jobs queued before they carried it (the worker reads the task then).
    webhook_url: str | None = None
    tenant_id: str | None = None


@record
class ArchiveJob(QueueMessage):
    """Copy one of a task's Creatify files into the media bucket (reelay.logic.archive_media).

    The task stream fills in what the copy needs from the task it saw, so the worker reads
    nothing: `tenant_id` (the object key's prefix) and `source_url` (Creatify's file; None when
    Creatify gave none). A job without `tenant_id` was queued before they were carried (an
    upgrade overlapping messages in flight or in the dead-letter queue): the worker reads the task.
    """

    task_id: str
    asset: MediaAsset
    # 0 for the copy the task stream queued; n for the n-th retry the worker queued after a failure.
    attempt: int = count()
    tenant_id: str | None = None
    source_url: str | None = None

    @property
    def carries_source(self) -> bool:
        """Whether the job says what to copy (queued by this version), or the task must be read."""
        return self.tenant_id is not None


class PublishStage(StrEnum):
    PUBLISH = "publish"  # find or upload and attach the video
    CHECK = "check"  # ask the shop whether the attached video is processed yet


@record
class PublishJob(QueueMessage):
    """Putting a task's video on its shop product; one message per step of the queue-delay chain."""

    task_id: str
    stage: PublishStage = PublishStage.PUBLISH
    # The claim this message belongs to (the publication's `attempts` when it was claimed); None
    # for the task stream's first message, which must claim the publication itself.
    claim: int | None = None
    media_id: str | None = None
    # Safe-to-retry answers so far in this step: the shop unavailable, and the shop throttling.
    retries: int = count()
    throttles: int = count()
    # Checks so far and when the first one was queued (epoch seconds): the wait is bounded.
    checks: int = count()
    checking_since: float | None = None
