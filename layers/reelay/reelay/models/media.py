"""Reelay's own copies of a task's media, and where publishing the video to the shop stands.

Both live on the task item beside Creatify's six statuses and never change them:
- `archive`: per asset ("photo", "video"), the copy of Creatify's file in the stack's media
  bucket (its object key, never a URL: presigned URLs expire, keys do not).
- `publication`: for a task from a shop connection with write-back on, whether its video is on
  the product yet (pending → publishing → published, or failed with the reason).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field

from reelay.models.base import ReelayModel
from reelay.models.clock import utc_now


class MediaAsset(StrEnum):
    PHOTO = "photo"  # Creatify's generated_photo_url (the preview image)
    VIDEO = "video"  # Creatify's generated_video_url


class ArchiveState(StrEnum):
    PENDING = "pending"  # a copy is queued or under way
    ARCHIVED = "archived"  # the whole file is in the bucket under `key`
    FAILED = "failed"  # the copy was tried and given up on: `failed_reason` says why


class ArchivedFile(ReelayModel):
    """One asset's copy in the media bucket."""

    model_config = ConfigDict(extra="ignore")

    state: ArchiveState = ArchiveState.PENDING
    key: str | None = None
    bytes: int | None = Field(default=None, ge=0)
    content_type: str | None = None
    source_url: str | None = None
    failed_reason: str | None = None
    attempts: int = Field(default=0, ge=0)
    # On a pending record after a failure: the SQS message whose run recorded it and queues the
    # next attempt, so a redelivery of that message may queue it again if the send was lost.
    retry_by: str | None = None
    updated_at: datetime = Field(default_factory=utc_now)


class PublicationState(StrEnum):
    PENDING = "pending"  # waits for the video and its archived copy
    PUBLISHING = "publishing"  # claimed: uploading, attaching, or waiting for the shop to process it
    PUBLISHED = "published"  # on the product; `media_id` names it in the shop
    FAILED = "failed"  # ended without the video on the product: `reason` says why


class Publication(ReelayModel):
    """Where putting the task's video on its shop product stands."""

    model_config = ConfigDict(extra="ignore")

    state: PublicationState = PublicationState.PENDING
    platform: str | None = None
    connection_id: str | None = None
    product_id: str | None = None
    # Shopify: the Video media gid; WooCommerce: the product id whose meta holds the video URL.
    media_id: str | None = None
    reason: str | None = None
    attempts: int = Field(default=0, ge=0)
    updated_at: datetime = Field(default_factory=utc_now)
