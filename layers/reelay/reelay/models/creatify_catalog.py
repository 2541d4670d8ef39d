"""Creatify's catalog as the API shows it: its avatars (personas) and the account's credits.

Pydantic models, read only on the API's path (its avatars and credits routes): the workers never
ask for the catalog, and the Creatify client imports this module only when it is asked for it.
Unknown fields in these answers are tolerated (and kept).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import ConfigDict, ValidationError

from reelay.models.base import ReelayModel


class _Response(ReelayModel):
    model_config = ConfigDict(extra="allow", use_enum_values=False)


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


def read_persona(data: Any) -> Persona:
    """A persona from Creatify's JSON; a ValueError naming the fields at fault if it is none."""
    try:
        return Persona.model_validate(data)
    except ValidationError as exc:
        raise ValueError(_described(exc)) from None


def read_remaining_credits(data: Any) -> float:
    """The credits left, from Creatify's JSON; a ValueError naming the field at fault if none."""
    try:
        return RemainingCredits.model_validate(data).remaining_credits
    except ValidationError as exc:
        raise ValueError(_described(exc)) from None


def _described(exc: ValidationError) -> str:
    # Field locations and messages only: pydantic's own str() would quote the answer's values.
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or '(body)'}: {error['msg']}"
        for error in exc.errors(include_input=False, include_url=False)[:3]
    )
