"""The local shop's checks of product input: each field by name, InvalidInput naming the first bad one."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from reelay_local.simulators.shop.catalog import MAX_IMAGES
from reelay_local.simulators.shop.errors import InvalidInput

MAX_TITLE = 255


def checked_fields(**fields: Any) -> dict[str, Any]:
    """Validate product fields by name (any of EDITABLE_FIELDS); InvalidInput names the first bad one."""
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "title":
            title = text_field("title", value).strip()
            if not title:
                raise InvalidInput("title can't be blank")
            if len(title) > MAX_TITLE:
                raise InvalidInput(f"title is too long (at most {MAX_TITLE} characters)")
            cleaned[name] = title
        elif name == "tags":
            cleaned[name] = _tags(value)
        elif name == "price":
            cleaned[name] = _price(value)
        else:
            cleaned[name] = text_field(name, value)
    return cleaned


def text_field(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string")
    return value


def _tags(value: Any) -> list[str]:
    # Shopify's API takes tags as one comma-separated string; a list is accepted too.
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, Iterable) and all(isinstance(tag, str) for tag in value):
        items = list(value)
    else:
        raise InvalidInput("tags must be a list of strings or one comma-separated string")
    tags: list[str] = []
    for tag in (item.strip() for item in items):
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def _price(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidInput("price must be a decimal number or a string holding one")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(f"price {value!r} is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidInput("price must be a finite number, not negative")
    return f"{amount.quantize(Decimal('0.01'))}"


def image_count(value: Any, *, already: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput("images must be a whole number of images, 0 or more")
    if already + value > MAX_IMAGES:
        raise InvalidInput(f"a product holds at most {MAX_IMAGES} images")
    return value
