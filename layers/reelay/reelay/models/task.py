"""Reelay's own task: Creatify's fields under their exact names, plus what Reelay tracks.

Plain records (reelay.models.records), not pydantic models: the task stream reads a task from
every stream image it gets, and its cold start has no room for pydantic. The API shapes what it
takes and shows with its own records (reelay.models.api), built from these; its request body
holds this ExternalRef itself.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from reelay.models.clock import utc_now
from reelay.models.media import ArchivedFile, Publication
from reelay.models.records import Record, record, text
from reelay.models.status import TaskStatus, is_terminal
from reelay.models.video_options import AspectRatio, MotionStyle, ProductType

if TYPE_CHECKING:
    from reelay.models.upstream import ProductToVideo

# How long an external ref's fields may be (the API's request body holds this ExternalRef).
SOURCE_MAX_LENGTH = 32
REF_MAX_LENGTH = 255
ADMIN_URL_MAX_LENGTH = 2048
# How long a preview may wait for review, in hours (with auto_video false): up to 30 days. The
# same bounds for a task's request and for a shop connection's setting.
MIN_REVIEW_DEADLINE_HOURS = 1
MAX_REVIEW_DEADLINE_HOURS = 720


class ReviewDeadlineAction(StrEnum):
    APPROVE = "approve"  # ask for the video as if its owner had approved the preview
    REJECT = "reject"  # fail the task with "rejected: nobody reviewed the preview in time"
    NONE = "none"  # keep waiting


@record
class ExternalRef(Record):
    """Where the product came from, so consumers can map a video back to their catalog."""

    forbid_unknown = True

    # Also an SNS message attribute, which SNS refuses when empty.
    source: str = text("api", min_length=1, max_length=SOURCE_MAX_LENGTH)
    shop: str | None = text(max_length=REF_MAX_LENGTH)
    product_id: str | None = text(max_length=REF_MAX_LENGTH)
    title: str | None = text(max_length=REF_MAX_LENGTH)
    # Where a person edits the product in the shop's admin.
    admin_url: str | None = text(max_length=ADMIN_URL_MAX_LENGTH)


@record
class Task(Record):
    """A task as its item holds it (attributes it does not declare are ignored when read)."""

    id: str
    tenant_id: str
    status: TaskStatus = TaskStatus.INITIALIZING
    type: ProductType = ProductType.PRODUCT_ANYSHOT
    product_url: str
    aspect_ratio: AspectRatio = AspectRatio.LANDSCAPE
    override_avatar: str | None = None
    product_showcase_url: str | None = None
    image_prompt: str | None = None
    video_prompt: str | None = None
    motion_style: MotionStyle | None = None
    webhook_url: str | None = None
    generated_photo_url: str | None = None
    generated_video_url: str | None = None
    failed_reason: str | None = None
    auto_video: bool = True
    external_ref: ExternalRef = dataclasses.field(default_factory=ExternalRef)
    provider_task_id: str | None = None
    # Where Creatify should call back for this task, seen on the request that created it
    # (API Gateway's own domain and stage, not a client header); PUBLIC_BASE_URL overrides.
    callback_base_url: str | None = None
    credits_spent: int = 0
    # Regeneration: the task this one regenerates the preview of, and the task that did so.
    regen_source_id: str | None = None
    regenerated_as: str | None = None
    # What happens to a preview nobody reviews within this many hours (auto_video false).
    review_deadline_hours: int | None = None
    review_deadline_action: ReviewDeadlineAction = ReviewDeadlineAction.NONE
    idempotency_key: str | None = None
    request_hash: str | None = None
    created_at: datetime = dataclasses.field(default_factory=utc_now)
    updated_at: datetime = dataclasses.field(default_factory=utc_now)
    version: int = 1
    delivery_attempts: int = 0
    last_delivery: dict[str, Any] | None = None
    # How many replays of the delivery were asked for (POST .../deliveries).
    delivery_replays: int = 0
    # What happened to the task, compact and bounded (reelay.models.task_history).
    history: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    history_dropped: int = 0
    # Stored with every task since histories are recorded; an item without it (a task created by
    # an earlier version) is read as False: the steps before its first recorded one are unknown.
    history_from_start: bool = True
    # Reelay's copies of Creatify's files, by asset ("photo", "video") (reelay.models.media).
    archive: dict[str, ArchivedFile] = dataclasses.field(default_factory=dict)
    # Putting the video on the shop product, for a task from a connection with write-back on.
    publication: Publication | None = None

    @property
    def terminal(self) -> bool:
        return is_terminal(self.status)


@record
class StatusUpdate(Record):
    """What the provider says about a task now: the only input to a forward-only apply."""

    status: TaskStatus
    provider_task_id: str | None = None
    generated_photo_url: str | None = None
    generated_video_url: str | None = None
    failed_reason: str | None = None
    motion_style: MotionStyle | None = None
    video_prompt: str | None = None

    @classmethod
    def from_provider(cls, remote: ProductToVideo) -> StatusUpdate:
        return cls(
            status=remote.status,
            provider_task_id=str(remote.id),
            generated_photo_url=remote.generated_photo_url,
            generated_video_url=remote.generated_video_url,
            failed_reason=remote.failed_reason,
            motion_style=remote.motion_style,
            video_prompt=remote.video_prompt,
        )


# Creatify's webhook fields, in this order (design guide, section 4): the outbound webhook body
# is these, then Reelay's `media` object last (reelay.logic.media_view.webhook_body).
WEBHOOK_FIELDS: tuple[str, ...] = (
    "id",
    "failed_reason",
    "type",
    "product_url",
    "aspect_ratio",
    "override_avatar",
    "product_showcase_url",
    "image_prompt",
    "video_prompt",
    "status",
    "generated_video_url",
    "generated_photo_url",
    "created_at",
    "updated_at",
    "webhook_url",
)


def webhook_payload(task: Task) -> dict[str, Any]:
    return task.as_json(WEBHOOK_FIELDS)
