"""What archiving a task's media asks of the outside: the copy itself, its record, the links.

`reelay.clients.media_copy` copies a Creatify URL into the media bucket, streamed;
`reelay.dal.archive_records` records where each asset's copy stands on the task item;
`reelay.clients.media_bucket` mints the short-lived URLs a media link redirects to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from reelay.models.media import ArchivedFile
from reelay.models.media_states import MediaAsset


@dataclass(frozen=True)
class CopiedFile:
    key: str
    size: int
    content_type: str


class CopyFailed(Exception):
    """The copy did not complete (the source failed, was cut, or S3 refused); nothing is visible."""


class MediaCopier(Protocol):
    @property
    def bucket(self) -> str: ...

    def copy(self, url: str, addresses: Sequence[str], key_stem: str) -> CopiedFile:
        """Copy `url` (connecting to one of the checked `addresses`) to `<key_stem>.<ext>`.

        Raises CopyFailed; the object appears whole or not at all.
        """
        ...


class Settled(StrEnum):
    """What became of a settle: it counted, or it found the asset moved on, or no task."""

    RECORDED = "recorded"
    SUPERSEDED = "superseded"  # settled already, or another attempt is the current one
    TASK_GONE = "task_gone"


class ArchiveStore(Protocol):
    def settle(
        self,
        task_id: str,
        asset: MediaAsset,
        file: ArchivedFile,
        entry: dict[str, Any],
        *,
        from_attempt: int | None = None,
        message_id: str | None = None,
    ) -> Settled:
        """Record the copy's outcome (archived, failed, or pending for a retry) and its history entry.

        Holds only while `archive.<asset>` is absent or pending, so one outcome counts and a late
        copy never overwrites it. With `from_attempt`, only while that attempt is the current one
        (no record yet for attempt 0; pending from the failure before it otherwise), so of two
        copies of one attempt only one moves the asset on; `message_id` (the SQS message being
        run) lets a redelivery of the message that recorded a retry move on from that retry too,
        in case its send was lost. The entry is kept while the history has room (HISTORY_LIMIT),
        else counted in `history_dropped`, with no read beforehand.
        """
        ...


class MediaUrls(Protocol):
    def presigned_get(self, key: str, expires_in: int) -> str: ...
