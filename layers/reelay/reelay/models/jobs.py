"""Messages on Reelay's queues: work for the provider, delivery, media and publish workers.

Plain frozen dataclasses, not pydantic models: each worker parses one on its hot path, and
pydantic's import and validators were most of a worker's cold start beyond boto3's. Reelay
writes every message itself, so reading one back is strict and small: JSON with exactly the
fields the message declares (an unknown field refuses it, as a typo or a newer writer should
be noticed), each of its declared type; counters are never negative. A message that fails is
an `InvalidMessage` naming the field, and SQS retries it into the dead-letter queue.
"""

from __future__ import annotations

import dataclasses
import json
import types
from enum import Enum, StrEnum
from functools import cache
from typing import Any, Self, Union, get_args, get_origin, get_type_hints

from reelay.models.media_states import MediaAsset


class InvalidMessage(ValueError):
    """A queue message that is not what its type says: the field at fault and why."""


# A field that counts something: 0 or more.
COUNT: dict[str, Any] = {"ge": 0}


def _count(default: int = 0) -> Any:
    return dataclasses.field(default=default, metadata=COUNT)


@dataclasses.dataclass(frozen=True, kw_only=True)
class QueueMessage:
    """A message Reelay writes to one of its queues and reads back."""

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), separators=(",", ":"))

    def replace(self, **changes: Any) -> Self:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_json(cls, body: str | bytes) -> Self:
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise InvalidMessage(f"{cls.__name__}: the body is not JSON") from exc
        if not isinstance(data, dict):
            raise InvalidMessage(f"{cls.__name__}: the body is not a JSON object")
        declared = _declared(cls)
        unknown = sorted(set(data) - set(declared))
        if unknown:
            raise InvalidMessage(f"{cls.__name__}.{unknown[0]}: not a field of this message")
        values = {name: _read(cls, name, declared[name], value) for name, value in data.items()}
        missing = [name for name, (_, required, _) in declared.items() if required and name not in values]
        if missing:
            raise InvalidMessage(f"{cls.__name__}.{missing[0]}: missing")
        return cls(**values)


@cache
def _declared(cls: type[QueueMessage]) -> dict[str, tuple[Any, bool, bool]]:
    """Each field's type, whether it is required, and whether it counts (0 or more)."""
    hints = get_type_hints(cls)
    return {
        f.name: (
            hints[f.name],
            f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
            dict(f.metadata) == COUNT,
        )
        for f in dataclasses.fields(cls)
    }


def _read(cls: type, name: str, declared: tuple[Any, bool, bool], value: Any) -> Any:
    kind, _, counts = declared
    read = _as(kind, value)
    if read is _WRONG:
        raise InvalidMessage(f"{cls.__name__}.{name}: {value!r} is not {_spell(kind)}")
    if counts and read < 0:
        raise InvalidMessage(f"{cls.__name__}.{name}: {value!r} is negative")
    return read


_WRONG = object()


def _as(kind: Any, value: Any) -> Any:
    if get_origin(kind) in (Union, types.UnionType):
        if value is None and type(None) in get_args(kind):
            return None
        for option in get_args(kind):
            if option is not type(None) and (read := _as(option, value)) is not _WRONG:
                return read
        return _WRONG
    if get_origin(kind) is dict:
        return value if isinstance(value, dict) and all(isinstance(k, str) for k in value) else _WRONG
    if isinstance(kind, type) and issubclass(kind, Enum):
        try:
            return kind(value)
        except ValueError:
            return _WRONG
    if kind is bool:
        return value if isinstance(value, bool) else _WRONG
    if kind is int:
        return value if isinstance(value, int) and not isinstance(value, bool) else _WRONG
    if kind is float:
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else _WRONG
    if kind is str:
        return value if isinstance(value, str) else _WRONG
    raise TypeError(f"a queue message cannot declare a field of type {kind!r}")


def _spell(kind: Any) -> str:
    if isinstance(kind, type) and issubclass(kind, Enum):
        return "one of " + ", ".join(member.value for member in kind)
    if isinstance(kind, type):
        return f"a JSON {'string' if kind is str else 'object' if kind is dict else 'number'}"
    return str(kind).replace("typing.", "")


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


@dataclasses.dataclass(frozen=True, kw_only=True)
class ProviderJob(QueueMessage):
    kind: ProviderJobKind
    task_id: str
    # Which message this is: only the one its (task, kind) slot names may run; a put-back gets
    # a new id, so every older copy of the job ends without effect.
    job_id: str = FIRST_JOB
    # How many times this job was put back after a safe-to-retry answer from Creatify.
    retries: int = _count()


@dataclasses.dataclass(frozen=True, kw_only=True)
class DeliveryJob(QueueMessage):
    task_id: str
    event_id: str
    # Index into the retry schedule of the next attempt to make.
    attempt: int = _count()
    # When the attempt is due (epoch seconds); SQS delays cap at 15 minutes, so a longer
    # wait is a chain of re-enqueues until this time has come.
    not_before: float = 0.0
    # The webhook body as it was when the event was announced, so a retry hours later says
    # what the event id says (an approval's image_generated, not the video_generating since).
    payload: dict[str, Any] | None = None
    # 0 for the delivery the task's outcome set off; n for the operator's or tenant's n-th replay.
    replay: int = _count()
    # Where to and for whom, as the task said when the job was queued, so an attempt reads no
    # task; None in jobs queued before they carried it (the worker reads the task then).
    webhook_url: str | None = None
    tenant_id: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
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
    attempt: int = _count()
    tenant_id: str | None = None
    source_url: str | None = None

    @property
    def carries_source(self) -> bool:
        """Whether the job says what to copy (queued by this version), or the task must be read."""
        return self.tenant_id is not None


class PublishStage(StrEnum):
    PUBLISH = "publish"  # find or upload and attach the video
    CHECK = "check"  # ask the shop whether the attached video is processed yet


@dataclasses.dataclass(frozen=True, kw_only=True)
class PublishJob(QueueMessage):
    """Putting a task's video on its shop product; one message per step of the queue-delay chain."""

    task_id: str
    stage: PublishStage = PublishStage.PUBLISH
    # The claim this message belongs to (the publication's `attempts` when it was claimed); None
    # for the task stream's first message, which must claim the publication itself.
    claim: int | None = None
    media_id: str | None = None
    # Safe-to-retry answers so far in this step: the shop unavailable, and the shop throttling.
    retries: int = _count()
    throttles: int = _count()
    # Checks so far and when the first one was queued (epoch seconds): the wait is bounded.
    checks: int = _count()
    checking_since: float | None = None
