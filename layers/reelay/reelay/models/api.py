"""Shapes of Reelay's public REST API: request bodies, answers and the one error shape.

Plain records (reelay.models.records), not pydantic models: the API's cold start has no room for
pydantic's import. A request body is read with `from_stored` (unknown keys refused, strings
stripped), an answer is written with `as_json()`. The task's own ExternalRef and Publication
records are the API's too, under the same names in the OpenAPI document, so each of their rules
is declared once (reelay.models.task, reelay.models.media).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any
from uuid import UUID

from reelay.models.http_urls import check_http_url
from reelay.models.media import Publication
from reelay.models.media_states import ArchiveState
from reelay.models.prompt_templates import MAX_PROMPT_LENGTH
from reelay.models.records import Record, described, none_if_blank, number, record, text
from reelay.models.status import TaskStatus
from reelay.models.task import (
    MAX_REVIEW_DEADLINE_HOURS,
    MIN_REVIEW_DEADLINE_HOURS,
    ExternalRef,
    ReviewDeadlineAction,
    Task,
    webhook_payload,
)
from reelay.models.upstream import MAX_URL_LENGTH, AspectRatio, MotionStyle, ProductType


def review_deadline_hours() -> Any:
    """How long a preview may wait for review: a task request's field and a shop connection's setting."""
    return number(
        None,
        ge=MIN_REVIEW_DEADLINE_HOURS,
        le=MAX_REVIEW_DEADLINE_HOURS,
        description="With auto_video false: hours a preview may wait for review.",
    )


def _http_url(*, required: bool = False, description: str) -> Any:
    # An absolute http(s) URL of at most 200 characters, as Creatify's `format: uri, maxLength:
    # 200`, checked by Creatify's own rule (`check_http_url`, which shop intake holds a product's
    # image to too), so a request we accept is one Creatify accepts. The document says `uri`, so
    # a client generated from it (or a fuzzer) sends a URL.
    return text(
        required=required,
        max_length=MAX_URL_LENGTH,
        format="uri",
        check=check_http_url,
        description=description,
    )


def _uuid(value: str) -> str:
    try:
        return str(UUID(value))
    except ValueError:
        raise ValueError("must be a UUID") from None


@record
class ProductVideoRequest(Record):
    """POST /v1/product-videos: Creatify's gen_image fields, the video's, and Reelay's own."""

    forbid_unknown = True
    strip_whitespace = True

    product_url: str = _http_url(
        required=True, description="Direct URL of the product image (http or https)."
    )
    type: ProductType = ProductType.PRODUCT_ANYSHOT
    aspect_ratio: AspectRatio = AspectRatio.LANDSCAPE
    image_prompt: str | None = text(max_length=MAX_PROMPT_LENGTH)
    override_avatar: str | None = text(
        format="uuid",
        check=_uuid,
        description="Persona id (see GET /v1/avatars); used only for product_avatar.",
    )
    product_showcase_url: str | None = _http_url(description="URL of a second product image (http or https).")
    video_prompt: str | None = text(max_length=MAX_PROMPT_LENGTH)
    motion_style: MotionStyle | None = none_if_blank()
    webhook_url: str | None = _http_url(
        description="Receives a signed POST when the task finishes (http or https)."
    )
    auto_video: bool = described(True, description="Generate the video as soon as the preview image exists.")
    review_deadline_hours: int | None = review_deadline_hours()
    review_deadline_action: ReviewDeadlineAction = described(
        ReviewDeadlineAction.NONE, description="What happens to a preview nobody reviewed in time."
    )
    external_ref: ExternalRef | None = None

    def fingerprint(self) -> str:
        """Identifies the body, so a reused Idempotency-Key with another body can be refused.

        Stored with the task and compared across deploys: byte for byte what pydantic's
        `sha256(model_dump_json())` was (compact JSON, fields in order, None as null, enums as
        values, non-ASCII characters as themselves).
        """
        body = json.dumps(self.as_json(), separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(body.encode()).hexdigest()


@record
class RegenerateRequest(Record):
    """POST /v1/product-videos/{id}/regenerate: a new preview, optionally with a new prompt."""

    forbid_unknown = True
    strip_whitespace = True

    image_prompt: str | None = text(max_length=MAX_PROMPT_LENGTH)


@record
class RejectRequest(Record):
    """POST /v1/product-videos/{id}/reject: turn the preview down, ending the task."""

    forbid_unknown = True
    strip_whitespace = True

    reason: str | None = text(max_length=500)


@record
class VideoRequest(Record):
    """POST /v1/product-videos/{id}/video: optional overrides for the video stage."""

    forbid_unknown = True
    strip_whitespace = True

    video_prompt: str | None = text(max_length=MAX_PROMPT_LENGTH)
    motion_style: MotionStyle | None = none_if_blank()


@record
class MediaFile(Record):
    """Reelay's copy of one of Creatify's files (reelay.logic.media_view)."""

    state: ArchiveState
    key: str | None = described(None, description="The object's key in the media bucket")
    bytes: int | None = None
    content_type: str | None = None
    url: str | None = described(
        None, description="A lasting media link (302 to a short-lived URL), once archived"
    )
    failed_reason: str | None = described(None, description="Why the copy failed (or was retried)")


@record
class TaskMedia(Record):
    bucket: str | None = described(None, description="The stack's private media bucket")
    photo: MediaFile | None = None
    video: MediaFile | None = None


@record
class ProductVideo(Record):
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
    regen_source_id: str | None = described(None, description="The task whose preview this one regenerates.")
    regenerated_as: str | None = described(None, description="The task that regenerated this one's preview.")
    publication: Publication | None = described(
        None,
        description="Putting the video on the shop product (a connection with write-back on): "
        "pending, publishing, published or failed with a reason. The status stays Creatify's.",
    )
    created_at: str
    updated_at: str
    media: TaskMedia | None = described(
        None, description="Reelay's copies of the photo and video (on reads, as in events)"
    )

    @classmethod
    def from_task(cls, task: Task, media: dict[str, Any] | None = None) -> ProductVideo:
        """The task's webhook fields (as its webhook shows them), Reelay's own, and `media`
        (reelay.logic.media_view.media_object) when given."""
        return cls.from_stored(
            {
                **webhook_payload(task),
                "media": media,
                "motion_style": task.motion_style,
                "auto_video": task.auto_video,
                "external_ref": task.external_ref,
                "regen_source_id": task.regen_source_id,
                "regenerated_as": task.regenerated_as,
                "publication": task.publication,
            }
        )


@record
class ProductVideoPage(Record):
    items: list[ProductVideo]
    next_cursor: str | None = None


@record
class DeliveryReplay(Record):
    """A replay of a finished task's webhook delivery, queued for the delivery worker."""

    task_id: str
    event_id: str = described(description="The same event id (webhook-id) as the original delivery.")
    replay: int = described(description="1 for the task's first replay, 2 for the next, ...")


@record
class Avatar(Record):
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


@record
class AvatarList(Record):
    items: list[Avatar]


@record
class Credits(Record):
    """Creatify's credits left on the account, and the tenant's daily budget (UTC days)."""

    remaining_credits: float = described(description="Credits left on the Creatify account Reelay uses")
    day: date = described(description="The UTC day the budget figures are for")
    daily_budget: int | None = described(
        description="Credits the tenant's calls may reserve per UTC day; null when unlimited"
    )
    used_today: int = number(
        ge=0, description="Credits reserved today: spent, or held by calls whose outcome is not known yet"
    )
    left_today: int | None = number(ge=0, description="Credits left in today's budget; null when unlimited")
    resets_at: datetime = described(description="When the next day's budget starts (midnight UTC)")


@record
class ErrorDetail(Record):
    """What went wrong: a code for machines, a message for a person, the field at fault if any."""

    code: str
    message: str
    field: str | None = None


@record
class ErrorBody(Record):
    """Every answer that is not a success (`reelay.http.errors`)."""

    error: ErrorDetail
