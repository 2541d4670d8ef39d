"""The shop connection routes' request, update, view and page: plain records.

Imported by the API only, which reads a body with `from_stored` and answers a record's
`as_json()`; the OpenAPI document is written from these declarations (with each class's
`adjust_json_schema`). The stored connection the workers read is reelay.models.connection, where
each setting's rule and default is defined once; these declare the same constants for the API.

Secrets (the webhook secrets and the admin credentials) are plain strings, not a wrapper type:
the logic seals them as they are, and records read only the types they know. They are kept out
of every repr (`repr=False`), masked in a dump, and kept out of every refusal: a value a record
cannot hold is quoted in its InvalidRecord, so a secret field's refusal says what the field
takes instead (`_SecretsUnquoted`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar, Self

from reelay.models.api import review_deadline_hours
from reelay.models.connection import (
    ALL_CREDENTIAL_FIELDS,
    MAX_SECRET_LENGTH,
    SETTING_DEFAULTS,
    SETTINGS,
    SHOPIFY_API_VERSION,
    WOO_META_KEY,
    Platform,
    check_api_version,
    foreign_credential,
    foreign_credential_reason,
    normalize_shop,
    settings_of,
)
from reelay.models.prompt_templates import MAX_TEMPLATE_LENGTH, check_template
from reelay.models.record_fields import described, number, text
from reelay.models.records import InvalidRecord, Record, record
from reelay.models.task import MAX_REVIEW_DEADLINE_HOURS, MIN_REVIEW_DEADLINE_HOURS, ReviewDeadlineAction
from reelay.models.video_options import AspectRatio, ProductType

_TEMPLATE_HELP = "Placeholders: {title}, {product_type}, {vendor}, {tags}."
_SECRET_FIELDS = frozenset({"webhook_secret", "next_webhook_secret", *ALL_CREDENTIAL_FIELDS})


def _template_or_none(template: str) -> str | None:
    # An empty template is none (the stored connection reads it so too).
    return check_template(template) if template else None


def _template_or_empty(template: str) -> str:
    # An update keeps "" as sent: it clears the stored template.
    return check_template(template) if template else template


def _secret(*, required: bool = False, description: str | None = None) -> Any:
    """A secret: 1 to MAX_SECRET_LENGTH characters, never in the record's repr; `format: password`
    in the document, which writes it write-only (as pydantic's SecretStr)."""
    field = text(
        min_length=1,
        max_length=MAX_SECRET_LENGTH,
        required=required,
        description=description,
        format="password",
    )
    field.repr = False
    return field


def _unquoted(invalid: InvalidRecord) -> InvalidRecord:
    """`invalid` as it may be said of a secret field: what the field takes, never the value sent."""
    if invalid.field not in _SECRET_FIELDS or invalid.wanted is None:
        return invalid  # not a secret, or a rule that does not quote the value (a length)
    return InvalidRecord(invalid.record, invalid.field, f"should be {invalid.wanted}", wanted=invalid.wanted)


@record
class _SecretsUnquoted(Record):
    """A body holding secrets: refused without quoting what was sent, dumped with them masked."""

    @classmethod
    def from_stored(cls, values: Any) -> Self:
        if not isinstance(values, Mapping):  # the record's own refusal would quote the body
            raise InvalidRecord(cls.__name__, "", "should be an object", wanted="an object")
        return super().from_stored(values)

    def __post_init__(self) -> None:
        try:
            super().__post_init__()
        except InvalidRecord as invalid:
            raise _unquoted(invalid) from None

    def as_json(self, names: Iterable[str] | None = None) -> dict[str, Any]:
        """The body as JSON with each secret masked, as pydantic's SecretStr wrote one: the logic
        reads the secrets themselves, a dump (a log line, a debugger) never shows them."""
        return {name: _masked(name, value) for name, value in super().as_json(names).items()}

    def stored(self) -> dict[str, Any]:
        return {name: _masked(name, value) for name, value in super().stored().items()}


def _masked(name: str, value: Any) -> Any:
    return "**********" if name in _SECRET_FIELDS and value is not None else value


@record
class _Settings(Record):
    """The settings as the API takes and shows them (reelay.models.connection.ConnectionSettings)."""

    forbid_unknown = True
    strip_whitespace = True

    type: ProductType = SETTING_DEFAULTS["type"]
    aspect_ratio: AspectRatio = SETTING_DEFAULTS["aspect_ratio"]
    auto_video: bool = described(
        SETTING_DEFAULTS["auto_video"], description="Generate the video as soon as the preview exists."
    )
    image_prompt_template: str | None = text(
        max_length=MAX_TEMPLATE_LENGTH, description=_TEMPLATE_HELP, check=_template_or_none
    )
    video_prompt_template: str | None = text(
        max_length=MAX_TEMPLATE_LENGTH, description=_TEMPLATE_HELP, check=_template_or_none
    )
    enabled: bool = described(
        SETTING_DEFAULTS["enabled"], description="Off: the shop's hooks are answered and ignored."
    )
    review_deadline_hours: int | None = review_deadline_hours()
    review_deadline_action: ReviewDeadlineAction = described(
        SETTING_DEFAULTS["review_deadline_action"],
        description="What happens to a preview nobody reviewed in time.",
    )
    write_back: bool = described(
        SETTING_DEFAULTS["write_back"],
        description="Put each finished video on its product in the shop (needs the shop's admin "
        "credentials: Shopify's admin_access_token, WooCommerce's consumer_key and consumer_secret).",
    )
    shopify_api_version: str = text(
        SETTING_DEFAULTS["shopify_api_version"],
        pattern=SHOPIFY_API_VERSION,
        check=check_api_version,
        description="Shopify Admin API version, e.g. 2025-10.",
    )
    woo_video_meta_key: str = text(
        SETTING_DEFAULTS["woo_video_meta_key"],
        pattern=WOO_META_KEY,
        description="WooCommerce: the product meta key that holds the video's URL.",
    )
    woo_video_in_description: bool = described(
        SETTING_DEFAULTS["woo_video_in_description"],
        description="WooCommerce: also add an HTML5 video block to the product description.",
    )

    def settings(self) -> dict[str, Any]:
        """The settings by name, for the stored record."""
        return settings_of(self)


_ABOUT_TOKEN = "Shopify: an Admin API access token (shpat_...). Stored sealed; never shown again."  # noqa: S105
_ABOUT_KEY = "WooCommerce: a REST API consumer key (ck_...) with read/write access. Stored sealed."
_ABOUT_CONSUMER_SECRET = "WooCommerce: the REST API consumer secret (cs_...). Stored sealed."  # noqa: S105 (help text)


@record
class ShopConnectionRequest(_SecretsUnquoted, _Settings):
    """POST /v1/shop-connections."""

    platform: Platform
    shop: str = text(
        required=True,
        max_length=255,
        description="Shopify: the shop's myshopify.com domain. WooCommerce: the store's site URL.",
    )
    webhook_secret: str = _secret(
        required=True,
        description="Shopify: the app's client secret (or the signing secret shown under Notifications). "
        "WooCommerce: the webhook's Secret. Stored sealed; never shown again.",
    )
    next_webhook_secret: str | None = _secret(description="A second secret accepted as well, for a rotation.")
    admin_access_token: str | None = _secret(description=_ABOUT_TOKEN)
    consumer_key: str | None = _secret(description=_ABOUT_KEY)
    consumer_secret: str | None = _secret(description=_ABOUT_CONSUMER_SECRET)

    def __post_init__(self) -> None:
        super().__post_init__()
        # The rules across fields, once each field is read (the platform is one of its own).
        try:
            object.__setattr__(self, "shop", normalize_shop(self.platform, self.shop))
        except ValueError as exc:
            raise InvalidRecord(type(self).__name__, "shop", str(exc)) from None
        for name in ALL_CREDENTIAL_FIELDS:
            if getattr(self, name) is not None and foreign_credential(self.platform, [name]):
                raise InvalidRecord(type(self).__name__, name, foreign_credential_reason(self.platform, name))


# PATCH fields that cannot be cleared: None only means "not sent", and null is refused.
_NOT_NULL = (
    "type",
    "aspect_ratio",
    "auto_video",
    "enabled",
    "review_deadline_action",
    "webhook_secret",
    "write_back",
    "shopify_api_version",
    "woo_video_meta_key",
    "woo_video_in_description",
)
_CANNOT_BE_NULL = "cannot be null; leave the field out to keep it"


def _null_only_where_accepted(schema: dict[str, Any]) -> None:
    """The JSON schema offers null only for fields that take it (a client sends what it offers)."""
    properties = schema.get("properties", {})
    for name in _NOT_NULL:
        field = properties[name]
        field.pop("default", None)
        if isinstance(field.get("type"), list):
            kinds = [kind for kind in field["type"] if kind != "null"]
            field["type"] = kinds[0] if len(kinds) == 1 else kinds
        variants = [v for v in field.pop("anyOf", []) if v != {"type": "null"}]
        if len(variants) == 1:
            # In pydantic's key order: the type and its rules, then title and description,
            # writeOnly last.
            variant = dict(variants[0])
            write_only = variant.pop("writeOnly", None)
            merged = {**variant, **field}
            if write_only is not None:
                merged["writeOnly"] = write_only
            field.clear()
            field.update(merged)
        elif variants:
            field["anyOf"] = variants


@record
class ShopConnectionUpdate(_SecretsUnquoted):
    """PATCH /v1/shop-connections/{id}: only the fields sent change; null clears next_webhook_secret."""

    forbid_unknown = True
    strip_whitespace = True

    type: ProductType | None = None
    aspect_ratio: AspectRatio | None = None
    auto_video: bool | None = None
    image_prompt_template: str | None = text(max_length=MAX_TEMPLATE_LENGTH, check=_template_or_empty)
    video_prompt_template: str | None = text(max_length=MAX_TEMPLATE_LENGTH, check=_template_or_empty)
    enabled: bool | None = None
    review_deadline_hours: int | None = number(
        None, ge=MIN_REVIEW_DEADLINE_HOURS, le=MAX_REVIEW_DEADLINE_HOURS
    )
    review_deadline_action: ReviewDeadlineAction | None = None
    webhook_secret: str | None = _secret()
    # An empty secret is no secret (and KMS refuses to seal one): null clears, "" is refused.
    next_webhook_secret: str | None = _secret()
    write_back: bool | None = None
    shopify_api_version: str | None = text(pattern=SHOPIFY_API_VERSION, check=check_api_version)
    woo_video_meta_key: str | None = text(pattern=WOO_META_KEY)
    woo_video_in_description: bool | None = None
    # null removes a stored credential (write-back then stops until it is set again).
    admin_access_token: str | None = _secret(description=_ABOUT_TOKEN)
    consumer_key: str | None = _secret(description=_ABOUT_KEY)
    consumer_secret: str | None = _secret(description=_ABOUT_CONSUMER_SECRET)

    # The fields the request sent, null ones included: a record has no "fields set" of its own,
    # and this is not a field (so not in the document, not a key a body may send).
    _sent: ClassVar[frozenset[str]] = frozenset()

    def __post_init__(self) -> None:
        super().__post_init__()
        # Built in code rather than read from a body: the fields given a value are those sent.
        given = frozenset(f.name for f in dataclasses.fields(self) if getattr(self, f.name) is not None)
        object.__setattr__(self, "_sent", given)

    @classmethod
    def from_stored(cls, values: Any) -> Self:
        """The update a PATCH body asks for; null is refused for the fields that cannot be cleared."""
        update = super().from_stored(values)
        nulled = next((name for name in _NOT_NULL if name in values and values[name] is None), None)
        if nulled is not None:
            raise InvalidRecord(cls.__name__, nulled, _CANNOT_BE_NULL)
        object.__setattr__(update, "_sent", frozenset(values))
        return update

    @property
    def sent(self) -> frozenset[str]:
        """The fields the request sent, null ones included: only these change."""
        return self._sent

    def replace(self, **changes: Any) -> Self:
        """A copy with `changes`, still sending what this one sent (a null sent to clear too)."""
        copy = super().replace(**changes)
        object.__setattr__(copy, "_sent", self._sent | frozenset(changes))
        return copy

    def setting_changes(self) -> dict[str, Any]:
        """The settings this request changes (secrets apart), with their new values."""
        return {name: getattr(self, name) for name in SETTINGS if name in self._sent}

    @classmethod
    def adjust_json_schema(cls, schema: dict[str, Any]) -> None:
        """The OpenAPI document's schema of this record: null offered only where it is taken."""
        _null_only_where_accepted(schema)

    def __eq__(self, other: object) -> bool:
        # Two updates with the same values differ when one clears a field the other leaves alone.
        same = super().__eq__(other)
        if not isinstance(other, ShopConnectionUpdate) or same is not True:
            return same
        return self._sent == other._sent

    def __hash__(self) -> int:
        return hash((super().__hash__(), self._sent))


@record
class ShopConnectionView(_Settings):
    """A connection as the API shows it: never its secrets, only whether a second one is set."""

    id: str
    platform: Platform
    shop: str
    hook_url: str = text(
        required=True, description="Register this URL in the shop as the webhook address.", format="uri"
    )
    has_next_secret: bool
    has_admin_access_token: bool = described(description="Shopify: whether an Admin API token is stored.")
    has_consumer_key: bool = described(
        description="WooCommerce: whether a consumer key and secret are stored."
    )
    created_at: datetime
    updated_at: datetime


@record
class ShopConnectionPage(Record):
    items: list[ShopConnectionView]
