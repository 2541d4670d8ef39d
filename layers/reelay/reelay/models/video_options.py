"""Creatify's enums for what a product video is: its type, its aspect ratio and its motion style.

Plain enums, apart from Creatify's request and response records in reelay.models.upstream,
which name them: the task record holds them too, and the API's pydantic models (as
reelay.models.status holds Creatify's statuses).
"""

from __future__ import annotations

from enum import StrEnum


class ProductType(StrEnum):
    PRODUCT_ANYSHOT = "product_anyshot"
    PRODUCT_AVATAR = "product_avatar"


class AspectRatio(StrEnum):
    PORTRAIT = "9x16"
    LANDSCAPE = "16x9"
    SQUARE = "1x1"


class MotionStyle(StrEnum):
    TALKING = "talking"
    DISPLAY = "display"
