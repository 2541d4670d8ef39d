"""Products as the shops send them (Shopify's and WooCommerce's webhook bodies), and as Reelay reads them.

The platform payloads are read tolerantly (unknown fields ignored, absent ones empty), since
either platform adds fields over time; `ShopProduct` is the one shape the intake works with.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import ConfigDict, Field, field_validator

from reelay.models.base import ReelayModel
from reelay.models.connection import Platform

MAX_TITLE_LENGTH = 255


class _Payload(ReelayModel):
    model_config = ConfigDict(extra="ignore")


class ShopifyImage(_Payload):
    src: str = ""
    position: int | None = None


class ShopifyProductPayload(_Payload):
    """The body of Shopify's products/create and products/update webhooks (REST resource format)."""

    id: int | str
    title: str = ""
    product_type: str = ""
    vendor: str = ""
    tags: str | list[str] = ""
    images: list[ShopifyImage] = Field(default_factory=list)

    @field_validator("title", "product_type", "vendor", mode="before")
    @classmethod
    def _null_is_empty(cls, value: object) -> object:
        return "" if value is None else value

    @field_validator("images", mode="before")
    @classmethod
    def _null_is_none(cls, value: object) -> object:
        return [] if value is None else value


class WooTerm(_Payload):
    name: str = ""


class WooImage(_Payload):
    src: str = ""


class WooProductPayload(_Payload):
    """The body of WooCommerce's product.created and product.updated webhooks (REST API v3 format)."""

    id: int | str
    name: str = ""
    images: list[WooImage] = Field(default_factory=list)
    categories: list[WooTerm] = Field(default_factory=list)
    tags: list[WooTerm] = Field(default_factory=list)
    brands: list[WooTerm] = Field(default_factory=list)

    @field_validator("images", "categories", "tags", "brands", mode="before")
    @classmethod
    def _null_is_none(cls, value: object) -> object:
        return [] if value is None else value


class ShopProduct(ReelayModel):
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
    """Raises pydantic's ValidationError for a body that is no product (no id)."""
    body = ShopifyProductPayload.model_validate(payload)
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
    """Raises pydantic's ValidationError for a body that is no product (no id)."""
    body = WooProductPayload.model_validate(payload)
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
