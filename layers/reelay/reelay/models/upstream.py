"""Creatify Product-to-Video shapes, mirrored exactly from the upstream contract.

Field names, enums, defaults and limits follow Creatify's API reference. Responses
tolerate unknown fields and nulls (the provider adds fields and leaves results empty
until a stage finishes); request bodies forbid unknown fields so a typo in our own
code fails loudly instead of being silently dropped by the provider.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import ConfigDict, Field, field_validator

from reelay.models.base import ReelayModel
from reelay.models.status import TaskStatus

# Creatify's enums for the video (type, aspect ratio, motion style) are defined in
# reelay.models.video_options, which the task record imports without pydantic; named here too.
from reelay.models.video_options import AspectRatio, MotionStyle, ProductType

MAX_URL_LENGTH = 200
MAX_IDS_PER_LIST = 100


# Creatify's six statuses: defined with their order in reelay.models.status, which the workers
# import without pydantic; the contract's name for them here.
ProviderStatus = TaskStatus


# An absolute http(s) URL of at most 200 characters, as Creatify's `format: uri, maxLength: 200`.
# The JSON schema says so too, so a client generated from Reelay's OpenAPI document (or a
# fuzzer) sends a URL.
HttpUrl200 = Annotated[
    str,
    Field(max_length=MAX_URL_LENGTH, json_schema_extra={"format": "uri"}),
]


def check_http_url(value: str | None) -> str | None:
    if value is None:
        return None
    # AnyUrl quietly percent-encodes these, but the value kept and sent on is the raw string,
    # which Creatify's `format: uri` refuses.
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ValueError("must not contain spaces or control characters")
    # Here, not at the top: pydantic's URL module (and the importlib.metadata it imports) is
    # needed only by a path that checks a URL, not by every reader of a task.
    from pydantic import AnyUrl

    url = AnyUrl(value)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("must be an absolute http or https URL")
    return value


class _Request(ReelayModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True, str_strip_whitespace=True)

    def to_body(self) -> dict[str, Any]:
        """The JSON body to send: unset optionals are left out rather than sent as null."""
        return self.model_dump(mode="json", exclude_none=True)


class GenImageRequest(_Request):
    """Body of POST /api/product_to_videos/gen_image/ (1 credit)."""

    product_url: HttpUrl200
    type: ProductType = ProductType.PRODUCT_ANYSHOT
    image_prompt: str | None = None
    # Creatify's default is ambiguous between doc revisions; Reelay always sends one explicitly.
    aspect_ratio: AspectRatio = AspectRatio.LANDSCAPE
    override_avatar: UUID | None = None
    product_showcase_url: str | None = None
    webhook_url: HttpUrl200 | None = None

    _urls = field_validator("product_url", "webhook_url")(check_http_url)

    def to_body(self) -> dict[str, Any]:
        body = super().to_body()
        # Creatify ignores override_avatar for product_anyshot; not sending it keeps the
        # request honest about what will be used.
        if body.get("type") == ProductType.PRODUCT_ANYSHOT.value:
            body.pop("override_avatar", None)
        return body


class GenVideoRequest(_Request):
    """Body of POST /api/product_to_videos/{id}/gen_video/ (3 credits). `{}` is valid."""

    motion_style: MotionStyle | None = None
    video_prompt: str | None = None
    webhook_url: HttpUrl200 | None = None

    _urls = field_validator("webhook_url")(check_http_url)

    @field_validator("motion_style", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        # The provider documents motion_style as "talking, display, or blank".
        return None if value == "" else value


class RegenImageRequest(_Request):
    """Body of POST /api/product_to_videos/{id}/regen_image/ (1 credit, creates a new task)."""

    image_prompt: str | None = None
    webhook_url: HttpUrl200 | None = None

    _urls = field_validator("webhook_url")(check_http_url)


class RegenVideoRequest(GenVideoRequest):
    """Body of POST /api/product_to_videos/{id}/regen_video/ (creates a new task; body inferred)."""


class _Response(ReelayModel):
    model_config = ConfigDict(extra="allow", use_enum_values=False)


class ProductToVideo(_Response):
    """The provider's task object: the answer of every product_to_videos endpoint."""

    id: UUID
    product_url: str
    status: ProviderStatus
    generated_video_url: str | None = None
    generated_photo_url: str | None = None
    created_at: datetime
    updated_at: datetime
    failed_reason: str | None = None
    regen_type: str | None = None
    regen_source_id: str | None = None
    type: ProductType = ProductType.PRODUCT_ANYSHOT
    aspect_ratio: AspectRatio | None = None
    override_avatar: str | None = None
    motion_style: MotionStyle | None = None
    product_showcase_url: str | None = None
    image_prompt: str | None = None
    video_prompt: str | None = None
    webhook_url: str | None = None

    # Creatify sends "" for an absent value in these; Reelay's API and deliveries say null.
    @field_validator(
        "motion_style",
        "generated_video_url",
        "generated_photo_url",
        "failed_reason",
        "regen_type",
        "regen_source_id",
        "aspect_ratio",
        "override_avatar",
        "product_showcase_url",
        "image_prompt",
        "video_prompt",
        "webhook_url",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value


class Gender(StrEnum):
    MALE = "m"
    FEMALE = "f"
    NON_BINARY = "nb"


class Persona(_Response):
    """An avatar; its id is what gen_image takes as override_avatar."""

    id: UUID
    created_at: datetime | None = None
    updated_at: datetime | None = None
    gender: str | None = None
    creator_name: str | None = None
    suitable_industries: str | None = None
    preview_image_16_9: str | None = None
    preview_image_1_1: str | None = None
    preview_image_9_16: str | None = None
    preview_video_16_9: str | None = None
    preview_video_1_1: str | None = None
    preview_video_9_16: str | None = None
    landscape_preview_video: str | None = None
    squared_preview_video: str | None = None
    portrait_preview_video: str | None = None
    is_active: bool = True
    process_status: str | None = None
    failed_reason: str | None = None
    type: str | None = None
    age_range: str | None = None
    location: str | None = None
    style: str | None = None
    video_scene: str | None = None
    keywords: str | None = None


class PersonaPage(_Response):
    """GET /api/personas/paginated/."""

    count: int
    next: str | None = None
    previous: str | None = None
    results: list[Persona]


class RemainingCredits(_Response):
    """GET /api/remaining_credits/."""

    remaining_credits: float
