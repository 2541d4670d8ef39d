"""Creatify's catalog as the API shows it: its avatars (personas) and the account's credits.

Plain records (reelay.models.records), read only on the API's path (its avatars and credits
routes): the workers never ask for the catalog, and the Creatify client imports this module only
when it is asked for it. Fields Creatify adds to these answers are ignored.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from reelay.models.records import InvalidRecord, Record, record


class Gender(StrEnum):
    MALE = "m"
    FEMALE = "f"
    NON_BINARY = "nb"


@record
class Persona(Record):
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


@record
class RemainingCredits(Record):
    """GET /api/remaining_credits/."""

    remaining_credits: float


def read_persona(data: Any) -> Persona:
    """A persona from Creatify's JSON; a ValueError naming the field at fault if it is none."""
    try:
        return Persona.from_stored(data)
    except InvalidRecord as exc:
        # The field and what it should be only: the answer's values are not repeated.
        raise ValueError(exc.without_value()) from None


def read_remaining_credits(data: Any) -> float:
    """The credits left, from Creatify's JSON; a ValueError naming the field at fault if none."""
    try:
        return RemainingCredits.from_stored(data).remaining_credits
    except InvalidRecord as exc:
        raise ValueError(exc.without_value()) from None
