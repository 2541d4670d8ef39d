"""Products as the shops send them (Shopify's and WooCommerce's webhook bodies), and as Reelay reads them.

The platform payloads are read tolerantly (unknown fields ignored, absent ones empty, and a
null where a shop may send one read as empty), since either platform adds fields over time;
`ShopProduct` is the one shape the intake works with. A body that is no product is an
`InvalidRecord` (a ValueError) naming the field at fault: `id` missing, `images.0.src` not a
string.

Plain records (reelay.models.records), not pydantic models: the shop webhook and the partner
event function read a product on their first invocation, and pydantic's import with one model
costs about 0.3x of boto3's own cold start (bench/cold_start.py --parts).
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from reelay.models.connection import Platform
from reelay.models.records import InvalidRecord, Record, record

MAX_TITLE_LENGTH = 255


class _Payload(Record):
    """A part of a shop's body: unknown fields ignored, a null in `null_is_empty` read as empty.

    (No dataclass of its own: it declares no field, and each class made costs the cold start.)
    """

    # Fields a platform sends as null when they are empty (Shopify's vendor, a product's lists).
    null_is_empty: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            if field.name in self.null_is_empty and getattr(self, field.name) is None:
                made = field.default_factory
                object.__setattr__(self, field.name, field.default if made is dataclasses.MISSING else made())
        super().__post_init__()


@record
class _ProductPayload(_Payload):
    """A product body: its id is a whole number or a string, as each platform sends it."""

    id: int | str

    def __post_init__(self) -> None:
        super().__post_init__()
        # A blank id names no product (and would give every such body the same task).
        if isinstance(self.id, str) and not self.id.strip():
            raise InvalidRecord(type(self).__name__, "id", "is blank", wanted="a product id")


@record
class ShopifyImage(_Payload):
    src: str = ""
    position: int | None = None

    def __post_init__(self) -> None:
        # A position written as text ("2") orders the images as the number would.
        # (Other text is refused below as no whole number, naming the field.)
        if isinstance(self.position, str):
            with contextlib.suppress(ValueError):
                object.__setattr__(self, "position", int(self.position))
        super().__post_init__()


@record
class ShopifyProductPayload(_ProductPayload):
    """The body of Shopify's products/create and products/update webhooks (REST resource format)."""

    null_is_empty = ("title", "product_type", "vendor", "images")

    title: str = ""
    product_type: str = ""
    vendor: str = ""
    tags: str | list[str] = ""
    images: list[ShopifyImage] = dataclasses.field(default_factory=list)


@record
class WooTerm(_Payload):
    name: str = ""


@record
class WooImage(_Payload):
    src: str = ""


@record
class WooProductPayload(_ProductPayload):
    """The body of WooCommerce's product.created and product.updated webhooks (REST API v3 format)."""

    null_is_empty = ("images", "categories", "tags", "brands")

    name: str = ""
    images: list[WooImage] = dataclasses.field(default_factory=list)
    categories: list[WooTerm] = dataclasses.field(default_factory=list)
    tags: list[WooTerm] = dataclasses.field(default_factory=list)
    brands: list[WooTerm] = dataclasses.field(default_factory=list)


@record
class ShopProduct(Record):
    """A product of a connected shop, whichever platform sent it."""

    platform: Platform
    shop: str
    product_id: str
    title: str
    product_type: str
    vendor: str
    tags: list[str]
    image_urls: list[str]
    admin_url: str

    def prompt_values(self) -> dict[str, str]:
        return {
            "title": self.title,
            "product_type": self.product_type,
            "vendor": self.vendor,
            "tags": ", ".join(self.tags),
        }


def image_url(src: str) -> str:
    """A product image's URL without its query string (Shopify's `?v=` cache busters)."""
    parts = urlsplit(src.strip())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _usable_images(sources: list[str]) -> list[str]:
    return [url for url in (image_url(s) for s in sources if s) if url.startswith(("http://", "https://"))]


def shopify_product(payload: dict[str, Any], shop: str) -> ShopProduct:
    """The product in Shopify's body; InvalidRecord (a ValueError) naming the field if it is none."""
    body = ShopifyProductPayload.from_stored(payload)
    images = sorted(body.images, key=lambda image: image.position if image.position is not None else 1 << 30)
    tags = body.tags if isinstance(body.tags, list) else body.tags.split(",")
    return ShopProduct(
        platform=Platform.SHOPIFY,
        shop=shop,
        product_id=str(body.id),
        title=body.title.strip()[:MAX_TITLE_LENGTH],
        product_type=body.product_type.strip()[:MAX_TITLE_LENGTH],
        vendor=body.vendor.strip()[:MAX_TITLE_LENGTH],
        tags=[t.strip() for t in tags if t.strip()],
        image_urls=_usable_images([image.src for image in images]),
        admin_url=f"https://{shop}/admin/products/{body.id}",
    )


def woocommerce_product(payload: dict[str, Any], site: str) -> ShopProduct:
    """The product in WooCommerce's body; InvalidRecord (a ValueError) naming the field if it is none."""
    body = WooProductPayload.from_stored(payload)
    return ShopProduct(
        platform=Platform.WOOCOMMERCE,
        shop=site,
        product_id=str(body.id),
        title=body.name.strip()[:MAX_TITLE_LENGTH],
        # WooCommerce has no product type or vendor of its own: the first category and brand say most.
        product_type=(body.categories[0].name.strip() if body.categories else "")[:MAX_TITLE_LENGTH],
        vendor=(body.brands[0].name.strip() if body.brands else "")[:MAX_TITLE_LENGTH],
        tags=[t.name.strip() for t in body.tags if t.name.strip()],
        image_urls=_usable_images([image.src for image in body.images]),
        admin_url=f"{site}/wp-admin/post.php?post={body.id}&action=edit",
    )
