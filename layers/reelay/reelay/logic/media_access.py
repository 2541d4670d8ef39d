"""Answering a media link: where a holder of a signed link may fetch an archived photo or video.

A bad signature is refused before the task is looked at, so a link says nothing about
whether a task exists; only a good one learns whether its asset is archived. The answer is a
presigned GetObject URL lasting PRESIGNED_SECONDS: long enough to start the download it was
asked for, short enough that a copied URL soon stops working (the link itself keeps working).
"""

from __future__ import annotations

from reelay.deps import Deps
from reelay.errors import MediaLinkInvalid, MediaNotArchived
from reelay.models.media_states import ArchiveState, MediaAsset

PRESIGNED_SECONDS = 900


def media_redirect(task_id: str, asset: str, sig: str | None, deps: Deps) -> str:
    """The presigned URL a valid link redirects to; MediaLinkInvalid or MediaNotArchived otherwise."""
    if not deps.media_links.valid(task_id, asset, sig):
        raise MediaLinkInvalid("the media link's signature does not match")
    task = deps.tasks.get(task_id)
    file = task.archive.get(MediaAsset(asset).value) if task is not None else None
    if file is None or file.state is not ArchiveState.ARCHIVED or not file.key:
        raise MediaNotArchived(f"no archived {asset} for this link")
    return deps.media_urls.presigned_get(file.key, PRESIGNED_SECONDS)
