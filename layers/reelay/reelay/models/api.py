"""Shapes of Reelay's public REST API: request bodies, answers and the one error shape."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field, field_validator

from reelay.models.base import ReelayModel
from reelay.models.clock import utc_now
from reelay.models.http_urls import check_http_url
from reelay.models.media_states import ArchiveState, PublicationState
from reelay.models.prompt_templates import MAX_PROMPT_LENGTH
from reelay.models.status import TaskStatus
from reelay.models.task import (
    ADMIN_URL_MAX_LENGTH,
    MAX_REVIEW_DEADLINE_HOURS,
    MIN_REVIEW_DEADLINE_HOURS,
    REF_MAX_LENGTH,
    SOURCE_MAX_LENGTH,
    ReviewDeadlineAction,
    Task,
    webhook_payload,
)
from reelay.models.upstream import MAX_URL_LENGTH, AspectRatio, MotionStyle, ProductType

# An absolute http(s) URL of at most 200 characters, as Creatify's `format: uri, maxLength: 200`
# (checked by `check_http_url`, the rule shop intake holds a product's image to too). The JSON
# schema says so, so a client generated from Reelay's OpenAPI document (or a fuzzer) sends a URL.
# How long a preview may wait for review: a task request's field and a shop connection's setting.
ReviewDeadlineHours = Annotated[
    int | None,
    Field(
        ge=MIN_REVIEW_DEADLINE_HOURS,
        le=MAX_REVIEW_DEADLINE_HOURS,
        description="With auto_video false: hours a preview may wait for review.",
    ),
]
HttpUrl200 = Annotated[
    str,
    Field(max_length=MAX_URL_LENGTH, json_schema_extra={"format": "uri"}),
]


# The API's shapes of the task's plain records (reelay.models.task.ExternalRef, which holds the
# same limits, and reelay.models.media.Publication), under the same names in the OpenAPI document.
# Their docstrings are the document's descriptions.
class ExternalRef(ReelayModel):
    """Where the product came from, so consumers can map a video back to their catalog."""

    model_config = ConfigDict(extra="forbid")

    # Also an SNS message attribute, which SNS refuses when empty.
    source: str = Field(default="api", min_length=1, max_length=SOURCE_MAX_LENGTH)
    shop: str | None = Field(default=None, max_length=REF_MAX_LENGTH)
    product_id: str | None = Field(default=None, max_length=REF_MAX_LENGTH)
    title: str | None = Field(default=None, max_length=REF_MAX_LENGTH)
    # Where a person edits the product in the shop's admin.
    admin_url: str | None = Field(default=None, max_length=ADMIN_URL_MAX_LENGTH)


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


class ProductVideoRequest(ReelayModel):
    """POST /v1/product-videos: Creatify's gen_image fields, the video's, and Reelay's own."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    product_url: HttpUrl200 = Field(description="Direct URL of the product image (http or https).")
    type: ProductType = ProductType.PRODUCT_ANYSHOT
    aspect_ratio: AspectRatio = AspectRatio.LANDSCAPE
    image_prompt: str | None = Field(default=None, max_length=MAX_PROMPT_LENGTH)
    override_avatar: Annotated[str, Field(json_schema_extra={"format": "uuid"})] | None = Field(
        default=None, description="Persona id (see GET /v1/avatars); used only for product_avatar."
    )
    product_showcase_url: HttpUrl200 | None = Field(
        default=None, description="URL of a second product image (http or https)."
    )
    video_prompt: str | None = Field(default=None, max_length=MAX_PROMPT_LENGTH)
    motion_style: MotionStyle | None = None
    webhook_url: HttpUrl200 | None = Field(
        default=None, description="Receives a signed POST when the task finishes (http or https)."
    )
    auto_video: bool = Field(
        default=True, description="Generate the video as soon as the preview image exists."
    )
    review_deadline_hours: ReviewDeadlineHours = None
    review_deadline_action: ReviewDeadlineAction = Field(
        default=ReviewDeadlineAction.NONE, description="What happens to a preview nobody reviewed in time."
    )
    external_ref: ExternalRef | None = None

    @field_validator("product_url", "webhook_url", "product_showcase_url")
    @classmethod
    def _absolute_http_url(cls, value: str | None) -> str | None:
        # Creatify's own rule for URLs, so a request we accept is one Creatify accepts.
        return check_http_url(value)

    @field_validator("override_avatar")
    @classmethod
    def _uuid(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from uuid import UUID

        return str(UUID(value))

    @field_validator("motion_style", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    def fingerprint(self) -> str:
        """Identifies the body, so a reused Idempotency-Key with another body can be refused."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


class RegenerateRequest(ReelayModel):
    """POST /v1/product-videos/{id}/regenerate: a new preview, optionally with a new prompt."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    image_prompt: str | None = Field(default=None, max_length=MAX_PROMPT_LENGTH)


class RejectRequest(ReelayModel):
    """POST /v1/product-videos/{id}/reject: turn the preview down, ending the task."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str | None = Field(default=None, max_length=500)


class VideoRequest(ReelayModel):
    """POST /v1/product-videos/{id}/video: optional overrides for the video stage."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    video_prompt: str | None = Field(default=None, max_length=MAX_PROMPT_LENGTH)
    motion_style: MotionStyle | None = None

    @field_validator("motion_style", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value


class MediaFile(ReelayModel):
    """Reelay's copy of one of Creatify's files (reelay.logic.media_view)."""

    state: ArchiveState
    key: str | None = Field(default=None, description="The object's key in the media bucket")
    bytes: int | None = None
    content_type: str | None = None
    url: str | None = Field(
        default=None, description="A lasting media link (302 to a short-lived URL), once archived"
    )
    failed_reason: str | None = Field(default=None, description="Why the copy failed (or was retried)")


class TaskMedia(ReelayModel):
    bucket: str | None = Field(default=None, description="The stack's private media bucket")
    photo: MediaFile | None = None
    video: MediaFile | None = None


class ProductVideo(ReelayModel):
    """A task as the API shows it: the webhook fields plus Reelay's own."""

    id: str
    status: TaskStatus
    type: ProductType
    product_url: str
    aspect_ratio: AspectRatio
    override_avatar: str | None = None
    product_showcase_url: str | None = None
    image_prompt: str | None = None
    video_prompt: str | None = None
    motion_style: MotionStyle | None = None
    webhook_url: str | None = None
    generated_photo_url: str | None = None
    generated_video_url: str | None = None
    failed_reason: str | None = None
    auto_video: bool
    external_ref: ExternalRef
    regen_source_id: str | None = Field(
        default=None, description="The task whose preview this one regenerates."
    )
    regenerated_as: str | None = Field(
        default=None, description="The task that regenerated this one's preview."
    )
    publication: Publication | None = Field(
        default=None,
        description="Putting the video on the shop product (a connection with write-back on): "
        "pending, publishing, published or failed with a reason. The status stays Creatify's.",
    )
    created_at: str
    updated_at: str
    media: TaskMedia | None = Field(
        default=None, description="Reelay's copies of the photo and video (on reads, as in events)"
    )

    @classmethod
    def from_task(cls, task: Task, media: dict[str, Any] | None = None) -> ProductVideo:
        data: dict[str, Any] = webhook_payload(task)
        data["media"] = media
        data.update(
            motion_style=task.motion_style,
            auto_video=task.auto_video,
            external_ref=task.external_ref.as_json(),
            regen_source_id=task.regen_source_id,
            regenerated_as=task.regenerated_as,
            publication=task.publication.as_json() if task.publication is not None else None,
        )
        return cls.model_validate(data)


class ProductVideoPage(ReelayModel):
    items: list[ProductVideo]
    next_cursor: str | None = None


class DeliveryReplay(ReelayModel):
    """A replay of a finished task's webhook delivery, queued for the delivery worker."""

    task_id: str
    event_id: str = Field(description="The same event id (webhook-id) as the original delivery.")
    replay: int = Field(description="1 for the task's first replay, 2 for the next, ...")


class Avatar(ReelayModel):
    """A Creatify persona usable as override_avatar, with what helps a person pick one."""

    id: str
    creator_name: str | None = None
    gender: str | None = None
    age_range: str | None = None
    style: str | None = None
    location: str | None = None
    suitable_industries: str | None = None
    keywords: str | None = None
    preview_image_16_9: str | None = None
    preview_image_1_1: str | None = None
    preview_image_9_16: str | None = None


class AvatarList(ReelayModel):
    items: list[Avatar]


class Credits(ReelayModel):
    """Creatify's credits left on the account, and the tenant's daily budget (UTC days)."""

    remaining_credits: float = Field(description="Credits left on the Creatify account Reelay uses")
    day: date = Field(description="The UTC day the budget figures are for")
    daily_budget: int | None = Field(
        description="Credits the tenant's calls may reserve per UTC day; null when unlimited"
    )
    used_today: int = Field(
        ge=0, description="Credits reserved today: spent, or held by calls whose outcome is not known yet"
    )
    left_today: int | None = Field(ge=0, description="Credits left in today's budget; null when unlimited")
    resets_at: datetime = Field(description="When the next day's budget starts (midnight UTC)")


class ErrorDetail(ReelayModel):
    code: str
    message: str
    field: str | None = None


class ErrorBody(ReelayModel):
    error: ErrorDetail
