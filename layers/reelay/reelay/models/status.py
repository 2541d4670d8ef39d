"""The task status machine: Creatify's six statuses, their order, and the one rule for applying news.

Rule (design guide, section 2): an incoming status applies only forward. `failed` applies
from any non-terminal status. A repeat, a regression or anything after a terminal status
is a no-op, never an error, so a sender that retries is answered calmly.

No pydantic here: every worker imports it (reelay.models.upstream names the same enum
`ProviderStatus`, as Creatify's contract does).
"""

from __future__ import annotations

from enum import StrEnum


class TaskStatus(StrEnum):
    """Creatify's six statuses, spelled as its API spells them (its `ProviderStatus`)."""

    INITIALIZING = "initializing"
    IMAGE_GENERATING = "image_generating"
    IMAGE_GENERATED = "image_generated"
    VIDEO_GENERATING = "video_generating"
    VIDEO_GENERATED = "video_generated"
    FAILED = "failed"


RANK: dict[TaskStatus, int] = {
    TaskStatus.INITIALIZING: 0,
    TaskStatus.IMAGE_GENERATING: 1,
    TaskStatus.IMAGE_GENERATED: 2,
    TaskStatus.VIDEO_GENERATING: 3,
    TaskStatus.VIDEO_GENERATED: 4,
}

TERMINAL: frozenset[TaskStatus] = frozenset({TaskStatus.VIDEO_GENERATED, TaskStatus.FAILED})


def is_terminal(status: TaskStatus) -> bool:
    return status in TERMINAL


def should_apply(current: TaskStatus, incoming: TaskStatus) -> bool:
    """Whether a task at `current` moves to `incoming` (forward only; failed from any non-terminal)."""
    current, incoming = TaskStatus(current), TaskStatus(incoming)
    if current in TERMINAL:
        return False
    if incoming is TaskStatus.FAILED:
        return True
    return RANK[incoming] > RANK[current]


def ranks_below(incoming: TaskStatus) -> list[TaskStatus]:
    """The non-terminal statuses from which `incoming` is a forward step (for a conditional write)."""
    incoming = TaskStatus(incoming)
    return [s for s in TaskStatus if should_apply(s, incoming)]
