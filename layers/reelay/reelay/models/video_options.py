"""Creatify's enums for what a product video is: its type, its aspect ratio and its motion style.

Plain enums in a module of their own (as reelay.models.status holds Creatify's statuses):
Creatify's request and answer records in reelay.models.upstream name them, and so do the task
record and the API's request and answer records.
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
