"""Shop connections: a tenant's Shopify or WooCommerce store, whose new products become videos.

A connection names the shop, holds the secret the shop signs its webhooks with (sealed, see
`ports.services.SecretBox`; never returned or logged) and an optional second secret for a
rotation, and says what each product becomes: type, aspect ratio, auto_video, and prompt
templates over the product's title, product_type, vendor and tags.

With `write_back` on, the finished video goes back onto the product (`reelay.logic.publish`),
with the shop's admin credentials, sealed like the webhook secret: Shopify's Admin API access
token, or WooCommerce's REST consumer key and secret.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, SecretStr, ValidationInfo, field_validator

from reelay.models.base import ReelayModel
from reelay.models.prompt_templates import MAX_TEMPLATE_LENGTH, check_template
from reelay.models.task import ReviewDeadlineAction, utc_now
from reelay.models.upstream import AspectRatio, ProductType

_SHOPIFY_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}\.myshopify\.com$")
MAX_SECRET_LENGTH = 512
# Shopify releases its Admin API quarterly: 2025-10, 2026-01, ...; "unstable" is its preview.
SHOPIFY_API_VERSION = r"^(\d{4}-(01|04|07|10)|unstable)$"
# WooCommerce meta keys are free text; keep them to what a theme or plugin can name.
WOO_META_KEY = r"^[A-Za-z0-9_][A-Za-z0-9_:-]{0,254}$"

# The credential fields each platform's admin API takes (the others are refused for it).
CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    "shopify": ("admin_access_token",),
    "woocommerce": ("consumer_key", "consumer_secret"),
}
ALL_CREDENTIAL_FIELDS = ("admin_access_token", "consumer_key", "consumer_secret")


def check_api_version(version: str | None) -> str | None:
    """A Shopify Admin API version Reelay's calls work with: productUpdate takes media from 2024-10."""
    if version is not None and version != "unstable" and version < "2024-10":
        raise ValueError("must be 2024-10 or later: productUpdate takes a product's new media from 2024-10")
    return version


def sealed_name(credential: str) -> str:
    """Where a connection keeps a credential, sealed: `sealed_<name>`."""
    return f"sealed_{credential}"


class Platform(StrEnum):
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"


def normalize_shop(platform: Platform, shop: str) -> str:
    """One spelling per shop: Shopify's `<name>.myshopify.com`, a WooCommerce site's base URL.

    Raises ValueError saying what a shop of that platform looks like.
    """
    raw = shop.strip()
    if platform is Platform.SHOPIFY:
        host = (urlsplit(raw).hostname if "://" in raw else raw.split("/", 1)[0]) or ""
        host = host.lower().rstrip(".")
        if not _SHOPIFY_DOMAIN.match(host):
            raise ValueError("must be the shop's myshopify.com domain, e.g. acme.myshopify.com")
        return host
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be the store's site URL, e.g. https://shop.example.com")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("must be the store's site URL alone, with no query, fragment or credentials")
    port = f":{parts.port}" if parts.port else ""
    # WooCommerce names itself with home_url('/'): compare without the trailing slash.
    return f"{parts.scheme}://{parts.hostname.lower()}{port}{parts.path.rstrip('/')}"


class ConnectionSettings(ReelayModel):
    """What a connection makes of each product, and whether it is on."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    type: ProductType = ProductType.PRODUCT_ANYSHOT
    aspect_ratio: AspectRatio = AspectRatio.PORTRAIT
    auto_video: bool = Field(default=True, description="Generate the video as soon as the preview exists.")
    image_prompt_template: str | None = Field(
        default=None,
        max_length=MAX_TEMPLATE_LENGTH,
        description="Placeholders: {title}, {product_type}, {vendor}, {tags}.",
    )
    video_prompt_template: str | None = Field(
        default=None,
        max_length=MAX_TEMPLATE_LENGTH,
        description="Placeholders: {title}, {product_type}, {vendor}, {tags}.",
    )
    enabled: bool = Field(default=True, description="Off: the shop's hooks are answered and ignored.")
    review_deadline_hours: int | None = Field(
        default=None, ge=1, le=720, description="With auto_video false: hours a preview may wait for review."
    )
    review_deadline_action: ReviewDeadlineAction = Field(
        default=ReviewDeadlineAction.NONE, description="What happens to a preview nobody reviewed in time."
    )
    write_back: bool = Field(
        default=False,
        description="Put each finished video on its product in the shop (needs the shop's admin "
        "credentials: Shopify's admin_access_token, WooCommerce's consumer_key and consumer_secret).",
    )
    shopify_api_version: str = Field(
        default="2025-10", pattern=SHOPIFY_API_VERSION, description="Shopify Admin API version, e.g. 2025-10."
    )
    woo_video_meta_key: str = Field(
        default="reelay_video_url",
        pattern=WOO_META_KEY,
        description="WooCommerce: the product meta key that holds the video's URL.",
    )
    woo_video_in_description: bool = Field(
        default=False, description="WooCommerce: also add an HTML5 video block to the product description."
    )

    @field_validator("image_prompt_template", "video_prompt_template")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        return check_template(value) if value else None

    @field_validator("shopify_api_version")
    @classmethod
    def _api_version(cls, value: str) -> str | None:
        return check_api_version(value)


class ShopConnection(ConnectionSettings):
    """A connection as stored; the secrets only as the SecretBox sealed them."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str
    tenant_id: str
    platform: Platform
    shop: str
    sealed_secret: str = Field(repr=False)
    sealed_next_secret: str | None = Field(default=None, repr=False)
    # The shop's admin credentials for write-back, sealed like the webhook secret.
    sealed_admin_access_token: str | None = Field(default=None, repr=False)
    sealed_consumer_key: str | None = Field(default=None, repr=False)
    sealed_consumer_secret: str | None = Field(default=None, repr=False)
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)

    def settings(self) -> ConnectionSettings:
        return ConnectionSettings.model_validate(
            self.model_dump(include=set(ConnectionSettings.model_fields))
        )

    @property
    def has_credentials(self) -> bool:
        """Whether every admin credential its platform needs is stored."""
        return all(getattr(self, sealed_name(name)) for name in CREDENTIAL_FIELDS[self.platform.value])

    @property
    def publishes(self) -> bool:
        """Whether its products' videos go back onto the products (write-back on, credentials there)."""
        return self.write_back and self.has_credentials


def _credential(description: str) -> Any:
    return Field(default=None, min_length=1, max_length=MAX_SECRET_LENGTH, description=description)


_ABOUT_TOKEN = "Shopify: an Admin API access token (shpat_...). Stored sealed; never shown again."  # noqa: S105
_ABOUT_KEY = "WooCommerce: a REST API consumer key (ck_...) with read/write access. Stored sealed."
_ABOUT_CONSUMER_SECRET = "WooCommerce: the REST API consumer secret (cs_...). Stored sealed."  # noqa: S105 (help text)


def foreign_credential(platform: Platform | str, sent: list[str]) -> str | None:
    """The first of the `sent` credential names the platform does not take, or None."""
    return next((name for name in sent if name not in CREDENTIAL_FIELDS[Platform(platform).value]), None)


def foreign_credential_reason(platform: Platform | str, field: str) -> str:
    name = Platform(platform).value
    return f"{field} is not a {name} credential; {name} takes {' and '.join(CREDENTIAL_FIELDS[name])}"


class ShopConnectionRequest(ConnectionSettings):
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
    review_deadline_hours: int | None = Field(default=None, ge=1, le=720)
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

    @field_validator("image_prompt_template", "video_prompt_template")
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
        names = set(ConnectionSettings.model_fields) & self.model_fields_set
        return {name: getattr(self, name) for name in names}


class ShopConnectionView(ConnectionSettings):
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
