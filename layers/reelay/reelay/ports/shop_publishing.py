"""What logic needs from a shop's admin API to put a task's video on a product.

One implementation per platform in `reelay.clients` (Shopify's Admin GraphQL API, WooCommerce's
REST API); the publish logic picks one by the connection's platform and never sees HTTP.
Failures are typed by what the caller may do next, as for Creatify (`creatify_errors`):

- ``ShopThrottled``: the shop asked us to slow down; try again after ``retry_after`` seconds.
- ``ShopUnavailable``: no answer, a 5xx, a timeout: safe to try again later.
- ``ProductGone``: the product no longer exists in the shop; publishing ends, never retried.
- ``PublishRefused``: the shop said no (bad or missing credentials, userErrors, mediaErrors):
  repeating the same request gets the same answer, so publishing ends with ``reason``.

No exception carries a credential: messages come from status codes and the shop's error bodies.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class ShopPublishError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ShopThrottled(ShopPublishError):
    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class ShopUnavailable(ShopPublishError):
    pass


class ProductGone(ShopPublishError):
    pass


class PublishRefused(ShopPublishError):
    pass


@dataclass(frozen=True)
class ShopCredentials:
    """The opened credentials of a connection (never stored or logged in this form).

    Shopify: ``access_token`` (an Admin API token). WooCommerce: ``consumer_key`` and
    ``consumer_secret``.
    """

    access_token: str | None = field(default=None, repr=False)
    consumer_key: str | None = field(default=None, repr=False)
    consumer_secret: str | None = field(default=None, repr=False)


class VideoSource(Protocol):
    """The archived video: its size and type up front (Shopify needs fileSize), its bytes as a stream."""

    @property
    def size(self) -> int: ...

    @property
    def content_type(self) -> str: ...

    @property
    def filename(self) -> str: ...

    def chunks(self) -> Iterator[bytes]:
        """The file's bytes in order, a bounded chunk at a time (never the whole file at once)."""
        ...


@dataclass(frozen=True)
class PublishRequest:
    """One product to put one video on."""

    task_id: str
    shop: str  # the connection's normalized shop (myshopify domain or the store's site URL)
    product_id: str  # as the shop names it (Shopify: the numeric id; a gid is accepted too)
    credentials: ShopCredentials
    alt: str  # the product's title, or a fallback
    video: VideoSource | None = None  # what Shopify uploads
    video_url: str | None = None  # a lasting URL of Reelay's copy, which WooCommerce links to
    settings: dict[str, object] = field(default_factory=dict)  # per platform (API version, Woo modes)


class MediaProgress(StrEnum):
    PROCESSING = "processing"  # attached, the shop is still processing it: check again later
    READY = "ready"  # on the product and playable
    FAILED = "failed"  # the shop could not process it: ``reason`` says why


@dataclass(frozen=True)
class MediaStatus:
    media_id: str
    progress: MediaProgress
    reason: str | None = None


class ShopPublisher(Protocol):
    def find(self, request: PublishRequest) -> MediaStatus | None:
        """The video this task already put on the product (a retry after a lost answer), or None."""
        ...

    def attach(self, request: PublishRequest) -> MediaStatus:
        """Upload (where the platform needs it) and attach the video to the product, once."""
        ...

    def check(self, request: PublishRequest, media_id: str) -> MediaStatus:
        """Where the shop's processing of an attached video stands."""
        ...
