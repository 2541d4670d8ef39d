"""Creatify Product-to-Video shapes, mirrored exactly from the upstream contract.

Field names, enums, defaults and limits follow Creatify's API reference. Its task answer
tolerates unknown fields and nulls (the provider adds fields and leaves results empty until a
stage finishes); request bodies refuse unknown fields so a typo in our own code fails loudly
instead of being silently dropped by the provider.

Plain records (reelay.models.records), not pydantic models: the provider worker, the provider
webhook and the reconciler read and send these on their first invocation, and pydantic's import
with its models was most of their cold start beyond boto3's. A body or answer that cannot be
read is an `InvalidRecord` (a ValueError) naming the field. Creatify's catalog (personas,
credits), which only the API asks for, has its records in reelay.models.creatify_catalog.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from reelay.models.records import Record, record, text
from reelay.models.status import TaskStatus

# Creatify's enums for the video (type, aspect ratio, motion style) are defined in
# reelay.models.video_options, which the task record imports too; named here as the contract's.
from reelay.models.video_options import AspectRatio, MotionStyle, ProductType

MAX_URL_LENGTH = 200
MAX_IDS_PER_LIST = 100


# Creatify's six statuses: defined with their order in reelay.models.status; the contract's name
# for them here.
ProviderStatus = TaskStatus


def _url(*, required: bool = False) -> Any:
    """A URL of at most 200 characters, Creatify's `maxLength: 200`. Its form (`format: uri`) was
    checked where it came in (reelay.models.http_urls), or Reelay made it (its callback URLs)."""
    return text(max_length=MAX_URL_LENGTH, required=required)


@record
class _Request(Record):
    """A request body: unknown fields refused, strings stripped, URLs within Creatify's length."""

    forbid_unknown = True
    strip_whitespace = True

    def to_body(self) -> dict[str, Any]:
        """The JSON body to send: unset optionals are left out rather than sent as null."""
        return self.stored()


@record
class GenImageRequest(_Request):
    """Body of POST /api/product_to_videos/gen_image/ (1 credit)."""

    product_url: str = _url(required=True)
    type: ProductType = ProductType.PRODUCT_ANYSHOT
    image_prompt: str | None = None
    # Creatify's default is ambiguous between doc revisions; Reelay always sends one explicitly.
    aspect_ratio: AspectRatio = AspectRatio.LANDSCAPE
    override_avatar: UUID | None = None
    product_showcase_url: str | None = None
    webhook_url: str | None = _url()

    def to_body(self) -> dict[str, Any]:
        body = super().to_body()
        # Creatify ignores override_avatar for product_anyshot; not sending it keeps the
        # request honest about what will be used.
        if self.type is ProductType.PRODUCT_ANYSHOT:
            body.pop("override_avatar", None)
        return body


@record
class GenVideoRequest(_Request):
    """Body of POST /api/product_to_videos/{id}/gen_video/ (3 credits). `{}` is valid."""

    motion_style: MotionStyle | None = None
    video_prompt: str | None = None
    webhook_url: str | None = _url()

    def __post_init__(self) -> None:
        # The provider documents motion_style as "talking, display, or blank".
        if self.motion_style == "":
            object.__setattr__(self, "motion_style", None)
        super().__post_init__()


@record
class RegenImageRequest(_Request):
    """Body of POST /api/product_to_videos/{id}/regen_image/ (1 credit, creates a new task)."""

    image_prompt: str | None = None
    webhook_url: str | None = _url()


@record
class RegenVideoRequest(GenVideoRequest):
    """Body of POST /api/product_to_videos/{id}/regen_video/ (creates a new task; body inferred)."""


# Creatify sends "" for an absent value in these; Reelay's API and deliveries say null.
_BLANK_IS_NONE = (
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
)


@record
class ProductToVideo(Record):
    """The provider's task object: the answer of every product_to_videos endpoint.

    Fields Creatify adds beyond these are ignored.
    """

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

    def __post_init__(self) -> None:
        for name in _BLANK_IS_NONE:
            if getattr(self, name) == "":
                object.__setattr__(self, name, None)
        super().__post_init__()

    @classmethod
    def from_answer(cls, data: Any) -> ProductToVideo:
        """The task in a JSON answer of Creatify's; InvalidRecord (a ValueError) if it is none."""
        return cls.from_stored(data)
