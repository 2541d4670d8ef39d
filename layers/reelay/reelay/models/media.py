"""Reelay's own copies of a task's media, and where publishing the video to the shop stands.

Both live on the task item beside Creatify's six statuses and never change them:
- `archive`: per asset ("photo", "video"), the copy of Creatify's file in the stack's media
  bucket (its object key, never a URL: presigned URLs expire, keys do not).
- `publication`: for a task from a shop connection with write-back on, whether its video is on
  the product yet (pending → publishing → published, or failed with the reason).

Plain records (reelay.models.records), read and written as the task item holds them; the API
shows this Publication as it is (reelay.models.api.ProductVideo).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from reelay.models.clock import utc_now
from reelay.models.media_states import ArchiveState, PublicationState
from reelay.models.records import Record, count, record


@record
class ArchivedFile(Record):
    """One asset's copy in the media bucket."""

    state: ArchiveState = ArchiveState.PENDING
    key: str | None = None
    bytes: int | None = count(None)
    content_type: str | None = None
    source_url: str | None = None
    failed_reason: str | None = None
    attempts: int = count()
    # On a pending record after a failure: the SQS message whose run recorded it and queues the
    # next attempt, so a redelivery of that message may queue it again if the send was lost.
    retry_by: str | None = None
    updated_at: datetime = dataclasses.field(default_factory=utc_now)


@record
class Publication(Record):
    """Where putting the task's video on its shop product stands."""

    state: PublicationState = PublicationState.PENDING
    platform: str | None = None
    connection_id: str | None = None
    product_id: str | None = None
    # Shopify: the Video media gid; WooCommerce: the product id whose meta holds the video URL.
    media_id: str | None = None
    reason: str | None = None
    attempts: int = count()
    updated_at: datetime = dataclasses.field(default_factory=utc_now)
