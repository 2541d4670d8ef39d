"""The shop connection routes' request, update, view and page models.

Pydantic models, imported by the API only (its validation and its OpenAPI document): the stored
connection the workers read is a plain record (reelay.models.connection), and each setting's
rule and default is defined there once; these declare the same constants for the document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field, SecretStr, ValidationInfo, field_validator

from reelay.models.api import ReviewDeadlineHours
from reelay.models.base import ReelayModel
from reelay.models.connection import (
    ALL_CREDENTIAL_FIELDS,
    MAX_SECRET_LENGTH,
    SETTING_DEFAULTS,
    SETTINGS,
    SHOPIFY_API_VERSION,
    TEMPLATE_FIELDS,
    WOO_META_KEY,
    Platform,
    check_api_version,
    foreign_credential,
    foreign_credential_reason,
    normalize_shop,
    settings_of,
)
from reelay.models.prompt_templates import MAX_TEMPLATE_LENGTH, check_template
from reelay.models.task import MAX_REVIEW_DEADLINE_HOURS, MIN_REVIEW_DEADLINE_HOURS, ReviewDeadlineAction
from reelay.models.video_options import AspectRatio, ProductType

_TEMPLATE_HELP = "Placeholders: {title}, {product_type}, {vendor}, {tags}."


class _Settings(ReelayModel):
    """The settings as the API takes and shows them (reelay.models.connection.ConnectionSettings)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    type: ProductType = SETTING_DEFAULTS["type"]
    aspect_ratio: AspectRatio = SETTING_DEFAULTS["aspect_ratio"]
    auto_video: bool = Field(
        default=SETTING_DEFAULTS["auto_video"],
        description="Generate the video as soon as the preview exists.",
    )
    image_prompt_template: str | None = Field(
        default=None, max_length=MAX_TEMPLATE_LENGTH, description=_TEMPLATE_HELP
    )
    video_prompt_template: str | None = Field(
        default=None, max_length=MAX_TEMPLATE_LENGTH, description=_TEMPLATE_HELP
    )
    enabled: bool = Field(
        default=SETTING_DEFAULTS["enabled"], description="Off: the shop's hooks are answered and ignored."
    )
    review_deadline_hours: ReviewDeadlineHours = None
    review_deadline_action: ReviewDeadlineAction = Field(
        default=SETTING_DEFAULTS["review_deadline_action"],
        description="What happens to a preview nobody reviewed in time.",
    )
    write_back: bool = Field(
        default=SETTING_DEFAULTS["write_back"],
        description="Put each finished video on its product in the shop (needs the shop's admin "
        "credentials: Shopify's admin_access_token, WooCommerce's consumer_key and consumer_secret).",
    )
    shopify_api_version: str = Field(
        default=SETTING_DEFAULTS["shopify_api_version"],
        pattern=SHOPIFY_API_VERSION,
        description="Shopify Admin API version, e.g. 2025-10.",
    )
    woo_video_meta_key: str = Field(
        default=SETTING_DEFAULTS["woo_video_meta_key"],
        pattern=WOO_META_KEY,
        description="WooCommerce: the product meta key that holds the video's URL.",
    )
    woo_video_in_description: bool = Field(
        default=SETTING_DEFAULTS["woo_video_in_description"],
        description="WooCommerce: also add an HTML5 video block to the product description.",
    )

    @field_validator(*TEMPLATE_FIELDS)
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        return check_template(value) if value else None

    @field_validator("shopify_api_version")
    @classmethod
    def _api_version(cls, value: str) -> str | None:
        return check_api_version(value)

    def settings(self) -> dict[str, Any]:
        """The settings by name, for the stored record."""
        return settings_of(self)


def _credential(description: str) -> Any:
    return Field(default=None, min_length=1, max_length=MAX_SECRET_LENGTH, description=description)


_ABOUT_TOKEN = "Shopify: an Admin API access token (shpat_...). Stored sealed; never shown again."  # noqa: S105
_ABOUT_KEY = "WooCommerce: a REST API consumer key (ck_...) with read/write access. Stored sealed."
_ABOUT_CONSUMER_SECRET = "WooCommerce: the REST API consumer secret (cs_...). Stored sealed."  # noqa: S105 (help text)


class ShopConnectionRequest(_Settings):
    """POST /v1/shop-connections."""

    platform: Platform
    shop: str = Field(
        max_length=255,
        description="Shopify: the shop's myshopify.com domain. WooCommerce: the store's site URL.",
    )
    webhook_secret: SecretStr = Field(
        min_length=1,
        max_length=MAX_SECRET_LENGTH,
        description="Shopify: the app's client secret (or the signing secret shown under Notifications). "
        "WooCommerce: the webhook's Secret. Stored sealed; never shown again.",
    )
    next_webhook_secret: SecretStr | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_SECRET_LENGTH,
        description="A second secret accepted as well, for a rotation.",
    )
    admin_access_token: SecretStr | None = _credential(_ABOUT_TOKEN)
    consumer_key: SecretStr | None = _credential(_ABOUT_KEY)
    consumer_secret: SecretStr | None = _credential(_ABOUT_CONSUMER_SECRET)

    @field_validator(*ALL_CREDENTIAL_FIELDS)
    @classmethod
    def _credential_of_its_platform(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        platform = info.data.get("platform")
        name = str(info.field_name)
        if value is not None and isinstance(platform, Platform) and foreign_credential(platform, [name]):
            raise ValueError(foreign_credential_reason(platform, name))
        return value

    @field_validator("shop")
    @classmethod
    def _one_spelling(cls, value: str, info: ValidationInfo) -> str:
        platform = info.data.get("platform")
        # Without a valid platform there is nothing to check against; its own error says so.
        return normalize_shop(platform, value) if isinstance(platform, Platform) else value


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


def _null_only_where_accepted(schema: dict[str, Any]) -> None:
    """The JSON schema offers null only for fields that take it (a client sends what it offers)."""
    properties = schema.get("properties", {})
    for name in _NOT_NULL:
        field = properties[name]
        field.pop("default", None)
        variants = [v for v in field.pop("anyOf", []) if v != {"type": "null"}]
        if variants:
            field.update(variants[0])


class ShopConnectionUpdate(ReelayModel):
    """PATCH /v1/shop-connections/{id}: only the fields sent change; null clears next_webhook_secret."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra=_null_only_where_accepted
    )

    type: ProductType | None = None
    aspect_ratio: AspectRatio | None = None
    auto_video: bool | None = None
    image_prompt_template: str | None = Field(default=None, max_length=MAX_TEMPLATE_LENGTH)
    video_prompt_template: str | None = Field(default=None, max_length=MAX_TEMPLATE_LENGTH)
    enabled: bool | None = None
    review_deadline_hours: int | None = Field(
        default=None, ge=MIN_REVIEW_DEADLINE_HOURS, le=MAX_REVIEW_DEADLINE_HOURS
    )
    review_deadline_action: ReviewDeadlineAction | None = None
    webhook_secret: SecretStr | None = Field(default=None, min_length=1, max_length=MAX_SECRET_LENGTH)
    # An empty secret is no secret (and KMS refuses to seal one): null clears, "" is refused.
    next_webhook_secret: SecretStr | None = Field(default=None, min_length=1, max_length=MAX_SECRET_LENGTH)
    write_back: bool | None = None
    shopify_api_version: str | None = Field(default=None, pattern=SHOPIFY_API_VERSION)
    woo_video_meta_key: str | None = Field(default=None, pattern=WOO_META_KEY)
    woo_video_in_description: bool | None = None
    # null removes a stored credential (write-back then stops until it is set again).
    admin_access_token: SecretStr | None = _credential(_ABOUT_TOKEN)
    consumer_key: SecretStr | None = _credential(_ABOUT_KEY)
    consumer_secret: SecretStr | None = _credential(_ABOUT_CONSUMER_SECRET)

    @field_validator(*TEMPLATE_FIELDS)
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        return check_template(value) if value else value

    @field_validator("shopify_api_version")
    @classmethod
    def _api_version(cls, value: str | None) -> str | None:
        return check_api_version(value)

    @field_validator(*_NOT_NULL)
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Only sent fields are validated: null here means "clear", which these cannot be.
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep it")
        return value

    def setting_changes(self) -> dict[str, Any]:
        """The settings this request changes (secrets apart), with their new values."""
        return {name: getattr(self, name) for name in SETTINGS if name in self.model_fields_set}


class ShopConnectionView(_Settings):
    """A connection as the API shows it: never its secrets, only whether a second one is set."""

    model_config = ConfigDict(extra="forbid")

    id: str
    platform: Platform
    shop: str
    hook_url: str = Field(
        description="Register this URL in the shop as the webhook address.",
        json_schema_extra={"format": "uri"},
    )
    has_next_secret: bool
    has_admin_access_token: bool = Field(description="Shopify: whether an Admin API token is stored.")
    has_consumer_key: bool = Field(description="WooCommerce: whether a consumer key and secret are stored.")
    created_at: datetime
    updated_at: datetime


class ShopConnectionPage(ReelayModel):
    items: list[ShopConnectionView]
