"""Shop connections: a tenant's Shopify or WooCommerce store, whose new products become videos.

A connection names the shop, holds the secret the shop signs its webhooks with (sealed, see
`ports.services.SecretBox`; never returned or logged) and an optional second secret for a
rotation, and says what each product becomes: type, aspect ratio, auto_video, and prompt
templates over the product's title, product_type, vendor and tags.

With `write_back` on, the finished video goes back onto the product (`reelay.logic.publish`),
with the shop's admin credentials, sealed like the webhook secret: Shopify's Admin API access
token, or WooCommerce's REST consumer key and secret.

Plain records (reelay.models.records), not pydantic models: the publish worker and shop intake
read a connection on their first invocation, and pydantic's import with its models was most of
their cold start beyond boto3's. A stored connection is written as the pydantic model wrote it
and read with the same rules per field (a value that breaks one is an `InvalidRecord` naming the
field), each value as the type it was written as: pydantic's lax readings (`"48"` for a number
of hours, `"false"` for a bool, an epoch number for a time) are refused, and Reelay never writes
them. The API's request, update and view are records too, in reelay.models.connection_api,
with the rules and defaults defined here.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from reelay.models.clock import utc_now
from reelay.models.prompt_templates import MAX_TEMPLATE_LENGTH, check_template
from reelay.models.records import InvalidRecord, Record, record, text
from reelay.models.task import MAX_REVIEW_DEADLINE_HOURS, MIN_REVIEW_DEADLINE_HOURS, ReviewDeadlineAction
from reelay.models.video_options import AspectRatio, ProductType

_SHOPIFY_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}\.myshopify\.com$")
MAX_SECRET_LENGTH = 512
# Shopify releases its Admin API quarterly: 2025-10, 2026-01, ...; "unstable" is its preview.
SHOPIFY_API_VERSION = r"^(\d{4}-(01|04|07|10)|unstable)$"
# WooCommerce meta keys are free text; keep them to what a theme or plugin can name.
WOO_META_KEY = r"^[A-Za-z0-9_][A-Za-z0-9_:-]{0,254}$"
TEMPLATE_FIELDS = ("image_prompt_template", "video_prompt_template")

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


def foreign_credential(platform: Platform | str, sent: list[str]) -> str | None:
    """The first of the `sent` credential names the platform does not take, or None."""
    return next((name for name in sent if name not in CREDENTIAL_FIELDS[Platform(platform).value]), None)


def foreign_credential_reason(platform: Platform | str, field: str) -> str:
    name = Platform(platform).value
    return f"{field} is not a {name} credential; {name} takes {' and '.join(CREDENTIAL_FIELDS[name])}"


@record
class ConnectionSettings(Record):
    """What a connection makes of each product, and whether it is on."""

    forbid_unknown = True
    strip_whitespace = True

    type: ProductType = ProductType.PRODUCT_ANYSHOT
    aspect_ratio: AspectRatio = AspectRatio.PORTRAIT
    # Generate the video as soon as the preview exists.
    auto_video: bool = True
    # Placeholders: {title}, {product_type}, {vendor}, {tags}; empty is none.
    image_prompt_template: str | None = text(max_length=MAX_TEMPLATE_LENGTH)
    video_prompt_template: str | None = text(max_length=MAX_TEMPLATE_LENGTH)
    # Off: the shop's hooks are answered and ignored.
    enabled: bool = True
    review_deadline_hours: int | None = None
    review_deadline_action: ReviewDeadlineAction = ReviewDeadlineAction.NONE
    # Put each finished video on its product in the shop (with the shop's admin credentials).
    write_back: bool = False
    shopify_api_version: str = "2025-10"
    # WooCommerce: the product meta key that holds the video's URL, and whether the product's
    # description gets an HTML5 video block too.
    woo_video_meta_key: str = "reelay_video_url"
    woo_video_in_description: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        # The rules a field's declared type does not carry, the same the API's models apply.
        for name in TEMPLATE_FIELDS:
            template = getattr(self, name)
            checked = self._checked(name, check_template, template) if template else None
            object.__setattr__(self, name, checked)
        hours = self.review_deadline_hours
        if hours is not None and not MIN_REVIEW_DEADLINE_HOURS <= hours <= MAX_REVIEW_DEADLINE_HOURS:
            wanted = f"{MIN_REVIEW_DEADLINE_HOURS} to {MAX_REVIEW_DEADLINE_HOURS} hours"
            raise InvalidRecord(type(self).__name__, "review_deadline_hours", f"{hours} is not {wanted}")
        if not re.fullmatch(SHOPIFY_API_VERSION, self.shopify_api_version):
            why = f"{self.shopify_api_version!r} is no Admin API version (such as 2025-10, or unstable)"
            raise InvalidRecord(type(self).__name__, "shopify_api_version", why)
        self._checked("shopify_api_version", check_api_version, self.shopify_api_version)
        if not re.fullmatch(WOO_META_KEY, self.woo_video_meta_key):
            why = f"{self.woo_video_meta_key!r} is not a meta key (letters, digits, _ : -)"
            raise InvalidRecord(type(self).__name__, "woo_video_meta_key", why)

    def _checked(self, name: str, check: Any, value: Any) -> Any:
        try:
            return check(value)
        except ValueError as exc:
            raise InvalidRecord(type(self).__name__, name, str(exc)) from None


# The settings' names, and the default of each: the API's models document the same defaults.
SETTINGS: tuple[str, ...] = tuple(field.name for field in dataclasses.fields(ConnectionSettings))
SETTING_DEFAULTS: dict[str, Any] = {
    field.name: field.default for field in dataclasses.fields(ConnectionSettings)
}


def settings_of(holder: Any) -> dict[str, Any]:
    """The connection settings `holder` (a stored connection, or the API's request) holds, by name."""
    return {name: getattr(holder, name) for name in SETTINGS}


def _sealed(*, required: bool = False) -> Any:
    """A sealed secret: never in the record's repr."""
    if required:
        return dataclasses.field(repr=False)
    return dataclasses.field(default=None, repr=False)


@record
class ShopConnection(ConnectionSettings):
    """A connection as stored; the secrets only as the SecretBox sealed them.

    Attributes it does not declare (the item's keys) are ignored when read.
    """

    forbid_unknown = False

    id: str
    tenant_id: str
    platform: Platform
    shop: str
    sealed_secret: str = _sealed(required=True)
    sealed_next_secret: str | None = _sealed()
    # The shop's admin credentials for write-back, sealed like the webhook secret.
    sealed_admin_access_token: str | None = _sealed()
    sealed_consumer_key: str | None = _sealed()
    sealed_consumer_secret: str | None = _sealed()
    created_at: datetime = dataclasses.field(default_factory=utc_now)
    updated_at: datetime = dataclasses.field(default_factory=utc_now)

    def settings(self) -> dict[str, Any]:
        """Its settings by name (enums as members)."""
        return settings_of(self)

    @property
    def has_credentials(self) -> bool:
        """Whether every admin credential its platform needs is stored."""
        return all(getattr(self, sealed_name(name)) for name in CREDENTIAL_FIELDS[self.platform.value])

    @property
    def publishes(self) -> bool:
        """Whether its products' videos go back onto the products (write-back on, credentials there)."""
        return self.write_back and self.has_credentials
