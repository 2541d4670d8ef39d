"""Request validation with Django REST Framework's rules and messages.

Creatify is a DRF service (trailing slashes, drf-spectacular schema), so its 400s are field maps
like {"aspect_ratio": ["\\"4x3\\" is not a valid choice."]}. The messages below are DRF's and
Django's own, so a client written against the simulator reads real errors the same way.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from reelay_local.simulators.creatify import personas

PRODUCT_TYPES: tuple[str, ...] = ("product_anyshot", "product_avatar")
ASPECT_RATIOS: tuple[str, ...] = ("9x16", "16x9", "1x1")
MOTION_STYLES: tuple[str, ...] = ("talking", "display")
MAX_URL_LENGTH = 200
MAX_LIST_IDS = 100

REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."
NOT_BLANK = "This field may not be blank."
NOT_A_STRING = "Not a valid string."
INVALID_URL = "Enter a valid URL."
INVALID_UUID = "Must be a valid UUID."

Errors = dict[str, list[str]]


class ValidationFailed(Exception):
    """A 400 whose body is a DRF error map."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors: dict[str, list[str]] = dict(errors)


class ParseFailed(Exception):
    """A 400 (bad JSON) or 415 (not JSON) whose body is {"detail": ...}."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


# --------------------------------------------------------------------------- body parsing


def parse_json_object(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """The request body as a dict, failing the way DRF's JSONParser and Serializer do."""
    if not raw:
        # DRF treats an empty body as empty data whatever the content type.
        return {}
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise ParseFailed(415, f'Unsupported media type "{content_type or ""}" in request.')
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ParseFailed(400, f"JSON parse error - {error}") from error
    except json.JSONDecodeError as error:
        raise ParseFailed(400, f"JSON parse error - {error}") from error
    if data is None:
        raise ValidationFailed({"non_field_errors": ["No data provided"]})
    if not isinstance(data, dict):
        raise ValidationFailed(
            {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {type(data).__name__}."]}
        )
    return data


# --------------------------------------------------------------------------- URL rules (Django's)

# Django's URLValidator, which DRF's URLField uses: scheme + host with a TLD (or localhost, or an IP).
_UL = "\u00a1-\uffff"
_IPV4 = (
    r"(?:0|25[0-5]|2[0-4][0-9]|1[0-9]?[0-9]?|[1-9][0-9]?)"
    r"(?:\.(?:0|25[0-5]|2[0-4][0-9]|1[0-9]?[0-9]?|[1-9][0-9]?)){3}"
)
_IPV6 = r"\[[0-9a-f:.]+\]"
_HOSTNAME = rf"[a-z{_UL}0-9](?:[a-z{_UL}0-9-]{{0,61}}[a-z{_UL}0-9])?"
_DOMAIN = rf"(?:\.(?!-)[a-z{_UL}0-9-]{{1,63}}(?<!-))*"
_TLD = rf"\.(?!-)(?:[a-z{_UL}-]{{2,63}}|xn--[a-z0-9]{{1,59}})(?<!-)\.?"
_HOST = f"(?:{_HOSTNAME}{_DOMAIN}{_TLD}|localhost)"
_URL_RE = re.compile(
    r"^(?:[a-z0-9.+-]*)://"
    r"(?:[^\s:@/]+(?::[^\s:@/]*)?@)?"
    rf"(?:{_IPV4}|{_IPV6}|{_HOST})"
    r"(?::[0-9]{1,5})?"
    r"(?:[/?#][^\s]*)?"
    r"\Z",
    re.IGNORECASE,
)
_URL_SCHEMES = ("http", "https", "ftp", "ftps")
_PORT_RE = re.compile(r"://(?:[^/@]*@)?(?:\[[^\]]*\]|[^/:?#]*):(\d+)")


def is_valid_url(value: str) -> bool:
    if "://" not in value or value.split("://", 1)[0].lower() not in _URL_SCHEMES:
        return False
    if len(value) > 2048 or not _URL_RE.match(value):
        return False
    port = _PORT_RE.search(value)
    return port is None or int(port.group(1)) <= 65535


# --------------------------------------------------------------------------- field rules (DRF's)

_MISSING = object()


@dataclass(frozen=True)
class _Field:
    name: str
    allow_null: bool = True
    allow_blank: bool = True
    max_length: int | None = None


def _char(data: Mapping[str, Any], spec: _Field, errors: Errors) -> Any:
    """DRF CharField: numbers become text, other types are refused, surrounding spaces trimmed."""
    value = data.get(spec.name, _MISSING)
    if value is _MISSING or value is None:
        if value is None and not spec.allow_null:
            errors[spec.name] = [NOT_NULL]
        return value
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors[spec.name] = [NOT_A_STRING]
        return _MISSING
    text = str(value).strip()
    if text == "":
        if not spec.allow_blank:
            errors[spec.name] = [NOT_BLANK]
        return text
    if spec.max_length is not None and len(text) > spec.max_length:
        errors[spec.name] = [f"Ensure this field has no more than {spec.max_length} characters."]
    return text


def _url(data: Mapping[str, Any], spec: _Field, errors: Errors) -> Any:
    value = _char(data, spec, errors)
    if isinstance(value, str) and value and not is_valid_url(value):
        # DRF runs every validator and reports all their messages, length first.
        errors.setdefault(spec.name, []).append(INVALID_URL)
    return value


def _choice(data: Mapping[str, Any], spec: _Field, choices: Collection[str], errors: Errors) -> Any:
    value = data.get(spec.name, _MISSING)
    if value is _MISSING:
        return value
    if value is None:
        if not spec.allow_null:
            errors[spec.name] = [NOT_NULL]
        return None
    if value == "" and spec.allow_blank:
        return ""
    if isinstance(value, bool) or str(value) not in choices:
        errors[spec.name] = [f'"{value}" is not a valid choice.']
        return _MISSING
    return str(value)


def _uuid(data: Mapping[str, Any], name: str, errors: Errors) -> Any:
    value = data.get(name, _MISSING)
    if value is _MISSING or value is None:
        return value
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return str(uuid.UUID(value.strip()))
    except ValueError:
        errors[name] = [INVALID_UUID]
        return _MISSING


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Drop fields that were absent so callers can tell "not sent" from "sent as null"."""
    return {name: value for name, value in values.items() if value is not _MISSING}


# --------------------------------------------------------------------------- request bodies


def validate_gen_image(data: Mapping[str, Any]) -> dict[str, Any]:
    """Body of gen_image, with defaults applied. Unknown fields are ignored, as DRF does."""
    errors: Errors = {}
    product_url = _url(
        data, _Field("product_url", allow_null=False, allow_blank=False, max_length=200), errors
    )
    if product_url is _MISSING and "product_url" not in errors:
        errors["product_url"] = [REQUIRED]
    values = {
        "product_url": product_url,
        "type": _choice(data, _Field("type", allow_null=False, allow_blank=False), PRODUCT_TYPES, errors),
        "image_prompt": _char(data, _Field("image_prompt"), errors),
        "aspect_ratio": _choice(
            data, _Field("aspect_ratio", allow_null=False, allow_blank=False), ASPECT_RATIOS, errors
        ),
        "override_avatar": _uuid(data, "override_avatar", errors),
        "product_showcase_url": _char(data, _Field("product_showcase_url"), errors),
        "webhook_url": _url(data, _Field("webhook_url", max_length=MAX_URL_LENGTH), errors),
    }
    avatar = values["override_avatar"]
    if isinstance(avatar, str) and personas.get_persona(avatar) is None:
        # The field is a relation to the persona table: DRF's PrimaryKeyRelatedField wording.
        errors["override_avatar"] = [f'Invalid pk "{avatar}" - object does not exist.']
    if errors:
        raise ValidationFailed(errors)
    cleaned = _clean(values)
    cleaned.setdefault("type", "product_anyshot")
    cleaned.setdefault("aspect_ratio", "16x9")
    return cleaned


def validate_gen_video(data: Mapping[str, Any]) -> dict[str, Any]:
    """Body of gen_video (and, inferred, regen_video): every field optional, `{}` valid."""
    errors: Errors = {}
    values = {
        "motion_style": _choice(data, _Field("motion_style"), MOTION_STYLES, errors),
        "video_prompt": _char(data, _Field("video_prompt"), errors),
        "webhook_url": _url(data, _Field("webhook_url", max_length=MAX_URL_LENGTH), errors),
    }
    if errors:
        raise ValidationFailed(errors)
    return _clean(values)


def validate_regen_image(data: Mapping[str, Any]) -> dict[str, Any]:
    errors: Errors = {}
    values = {
        "image_prompt": _char(data, _Field("image_prompt"), errors),
        "webhook_url": _url(data, _Field("webhook_url", max_length=MAX_URL_LENGTH), errors),
    }
    if errors:
        raise ValidationFailed(errors)
    return _clean(values)


# --------------------------------------------------------------------------- query parameters


def parse_ids(raw: str | None) -> list[str] | None:
    """The `ids` filter of the task list: comma-separated UUIDs, at most 100."""
    if raw is None:
        return None
    if raw == "":
        raise ValidationFailed({"ids": ["Ensure this field has at least 1 characters."]})
    items = [item.strip() for item in raw.split(",")]
    if len(items) > MAX_LIST_IDS:
        raise ValidationFailed({"ids": [f"Ensure this field has no more than {MAX_LIST_IDS} elements."]})
    ids: list[str] = []
    for item in items:
        try:
            ids.append(str(uuid.UUID(item)))
        except ValueError as error:
            raise ValidationFailed({"ids": [f'"{item}" is not a valid UUID.']}) from error
    return ids


def parse_choices(name: str, raw: str | None, choices: Collection[str]) -> set[str] | None:
    """A comma-separated multiple-choice filter, with django-filter's message for a bad value."""
    if raw is None or raw.strip() == "":
        return None
    values = {item.strip() for item in raw.split(",") if item.strip()}
    for value in sorted(values):
        if value not in choices:
            raise ValidationFailed(
                {name: [f"Select a valid choice. {value} is not one of the available choices."]}
            )
    return values


def parse_positive_int(name: str, raw: str | None, default: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        number = int(raw.strip())
    except ValueError as error:
        raise ValidationFailed({name: ["A valid integer is required."]}) from error
    if number < 1:
        raise ValidationFailed({name: ["Ensure this value is greater than or equal to 1."]})
    return number
