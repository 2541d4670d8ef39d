"""The names of a task's media assets and the states of their copies and of the shop write-back.

Plain enums, apart from the records in reelay.models.media that hold them, so queue messages
and the workers' hot paths can name them without importing anything else.
"""

from __future__ import annotations

from enum import StrEnum


class MediaAsset(StrEnum):
    PHOTO = "photo"  # Creatify's generated_photo_url (the preview image)
    VIDEO = "video"  # Creatify's generated_video_url


class ArchiveState(StrEnum):
    PENDING = "pending"  # a copy is queued or under way
    ARCHIVED = "archived"  # the whole file is in the bucket under `key`
    FAILED = "failed"  # the copy was tried and given up on: `failed_reason` says why


class PublicationState(StrEnum):
    PENDING = "pending"  # waits for the video and its archived copy
    PUBLISHING = "publishing"  # claimed: uploading, attaching, or waiting for the shop to process it
    PUBLISHED = "published"  # on the product; `media_id` names it in the shop
    FAILED = "failed"  # ended without the video on the product: `reason` says why
