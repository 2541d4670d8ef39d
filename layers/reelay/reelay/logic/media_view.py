"""What consumers are told about a task's archived media: the `media` object of every announcement.

The same object goes into the EventBridge detail, the SNS message, the webhook body (last,
after Creatify's fields) and the API's task view:
    {"bucket": <media bucket>, "photo": <file or null>, "video": <file or null>}
with each file {state, key, bytes, content_type, url, failed_reason}. `key` is the object's key
in the (private) bucket, for consumers in the same AWS account; `url` is a media link
(security/media_links.py) that lasts as long as the object, for everyone else: a presigned URL
would die with the signing Lambda role's session.
"""

from __future__ import annotations

from typing import Any

from reelay.deps import Deps
from reelay.models.media import ArchivedFile
from reelay.models.media_states import ArchiveState, MediaAsset
from reelay.models.task import Task, webhook_payload


def link_base(task: Task, deps: Deps) -> str | None:
    """Where the API answers media links: the public base URL, else the one the task was made on."""
    base = deps.settings.public_base_url
    if base and base.strip().lower() != "none":
        return base
    return task.callback_base_url


def media_object(task: Task, deps: Deps) -> dict[str, Any]:
    base = link_base(task, deps)
    return {
        "bucket": deps.settings.media_bucket or None,
        **{asset.value: _file(task, asset, deps, base) for asset in MediaAsset},
    }


def _file(task: Task, asset: MediaAsset, deps: Deps, base: str | None) -> dict[str, Any] | None:
    file: ArchivedFile | None = task.archive.get(asset.value)
    if file is None:
        return None
    url = None
    if file.state is ArchiveState.ARCHIVED and base:
        url = deps.media_links.link(base, task.id, asset)
    return {
        "state": file.state.value,
        "key": file.key,
        "bytes": file.bytes,
        "content_type": file.content_type,
        "url": url,
        "failed_reason": file.failed_reason,
    }


def webhook_body(task: Task, deps: Deps, media: dict[str, Any] | None = None) -> dict[str, Any]:
    """Creatify's webhook fields in their order, then `media`."""
    body = webhook_payload(task)
    body["media"] = media if media is not None else media_object(task, deps)
    return body
