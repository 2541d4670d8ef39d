"""What archiving a task's media asks of the outside: the copy itself, its record, the links.

`reelay.clients.media_copy` copies a Creatify URL into the media bucket, streamed;
`reelay.dal.archive_records` records where each asset's copy stands on the task item;
`reelay.clients.media_bucket` mints the short-lived URLs a media link redirects to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from reelay.models.media import ArchivedFile, MediaAsset
from reelay.models.task_history import HistoryNote


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


class ArchiveStore(Protocol):
    def claim(
        self, task_id: str, asset: MediaAsset, attempt: int, *, takeover: bool, source_url: str
    ) -> bool:
        """Mark the copy of `asset` under way for this attempt, if no other attempt has it.

        Holds when the asset has no record yet, or is pending from an earlier attempt (from the
        same attempt too with `takeover`: a redelivery of a job whose run died), or pending under
        a claim so old its run must have died. False otherwise.
        """
        ...

    def settle(
        self, task_id: str, asset: MediaAsset, file: ArchivedFile, history: HistoryNote | None
    ) -> bool:
        """Record the copy's outcome (archived, failed, or pending with the last failure's reason).

        Holds only while the asset is still pending, so a late copy never overwrites an outcome.
        """
        ...


class MediaUrls(Protocol):
    def presigned_get(self, key: str, expires_in: int) -> str: ...
