"""`LocalShop`, the simulator's Python face: products, webhooks, deliveries, and the HTTP server's life.

Every change to a product (create, new image, edit) is one event, delivered to each active
webhook subscribed to its topic; the call returns as soon as the deliveries are queued.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from reelay_local.simulators.shop.catalog import (
    EDITABLE_FIELDS,
    Catalog,
    Product,
    ProductImage,
    ascii_file_stem,
    now,
)
from reelay_local.simulators.shop.config import ShopConfig
from reelay_local.simulators.shop.delivery import Delivery, DeliveryAttempt, DeliveryQueue
from reelay_local.simulators.shop.dialect import Dialect
from reelay_local.simulators.shop.errors import InvalidInput, WebhookPingFailed
from reelay_local.simulators.shop.events import EventKind, ShopEvent, Webhook
from reelay_local.simulators.shop.hook_address import check_hook_address
from reelay_local.simulators.shop.images import CONTENT_TYPES, photo_format, photo_shape, render_photo
from reelay_local.simulators.shop.product_fields import checked_fields, image_count, text_field
from reelay_local.simulators.shop.product_page import product_page
from reelay_local.simulators.shop.server import ShopHttpServer
from reelay_local.simulators.shop.shopify import ShopifyDialect
from reelay_local.simulators.shop.shopify_admin import ShopifyAdmin
from reelay_local.simulators.shop.woocommerce import WooCommerceDialect

if TYPE_CHECKING:
    from reelay_local.simulators.shop.woo_admin import WooAdmin

PING_TIMEOUT_SECONDS = 5.0


class LocalShop:
    """A Shopify-like or WooCommerce-like store on 127.0.0.1 that sends real-format, signed webhooks."""

    def __init__(self, config: ShopConfig | None = None) -> None:
        self._config = config or ShopConfig()
        self._catalog = Catalog()
        self._webhooks: list[Webhook] = []
        self._lock = threading.Lock()
        self._deliveries = DeliveryQueue(
            workers=self._config.workers,
            timeout_seconds=self._config.receiver_timeout_seconds,
            connect_timeout_seconds=self._config.connect_timeout_seconds,
            retry_base_seconds=self._config.retry_base_seconds,
            on_outcome=self._delivery_outcome,
        )
        self._server: ShopHttpServer | None = None
        self._dialect: Dialect | None = None
        self._admin: ShopifyAdmin | None = None
        self._woo_admin: WooAdmin | None = None
        self._stopped = False

    # ---- lifecycle

    def start(self) -> Self:
        if self._server is not None:
            return self
        if self._stopped:
            raise RuntimeError("a stopped shop cannot be restarted; create a new one")
        server = ShopHttpServer(self._config.host, self._config.port, self)
        dialects = {"shopify": ShopifyDialect, "woocommerce": WooCommerceDialect}
        self._dialect = dialects[self._config.platform](self._config, server.base_url)
        if self._config.platform == "shopify":
            seconds = self._config.media_processing_seconds
            self._admin = ShopifyAdmin(server.base_url, processing_seconds=seconds)
            if self._config.admin_access_token:
                self._admin.access_token = self._config.admin_access_token
        self._deliveries.start()
        server.start()
        self._server = server
        return self

    def stop(self) -> None:
        """Stop serving, drop undelivered webhooks and pending retries, free the port. Safe to call twice."""
        server, self._server = self._server, None
        self._stopped = True
        if server is not None:
            server.stop()
        self._deliveries.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the shop is not started")
        return self._server.base_url

    @property
    def config(self) -> ShopConfig:
        return self._config

    @property
    def platform(self) -> str:
        return self._config.platform

    @property
    def topics(self) -> tuple[str, ...]:
        """The topics this shop publishes (products/create, ... or product.created, ...)."""
        return tuple(self._started().topics.values())

    # ---- webhooks

    def configure_webhook(
        self, address: str, secret: str | None = None, topics: Iterable[str] | None = None
    ) -> Webhook:
        """Subscribe `address` to `topics` (default: every product topic), signed with `secret`.

        Without a secret one is generated, as WooCommerce does; read it from the answer. A
        WooCommerce shop pings the address first and refuses to save the webhook unless the
        ping is answered with 2xx (WebhookPingFailed).
        """
        dialect = self._started()
        check_hook_address(address)
        if secret is None:
            secret = secrets.token_urlsafe(24)
        if not isinstance(secret, str) or not secret:
            raise InvalidInput("secret must be a non-empty string")
        if isinstance(topics, str) or (topics is not None and not isinstance(topics, Iterable)):
            raise InvalidInput("topics must be a list of topic names")
        chosen = tuple(dialect.topics.values()) if topics is None else tuple(topics)
        unknown = [topic for topic in chosen if topic not in dialect.topics.values()]
        if unknown or not chosen:
            known = ", ".join(dialect.topics.values())
            raise InvalidInput(f"topics must be some of {known}; got {', '.join(unknown) or 'none'}")
        webhook = Webhook(dialect.next_id("webhook"), address, chosen, secret, datetime.now(UTC))
        ping = dialect.ping(webhook)
        if ping is not None:
            # wp_safe_remote_post's own timeout (WordPress's default, 5 s), not the delivery one.
            timeout = min(PING_TIMEOUT_SECONDS, self._config.receiver_timeout_seconds)
            attempt = self._deliveries.post_now(webhook, *ping, timeout_seconds=timeout)
            if not attempt.ok:
                # WooCommerce's own wording (WC_Webhook::deliver_ping).
                if attempt.status_code is None:
                    raise WebhookPingFailed(f"Error: Delivery URL cannot be reached: {attempt.error}")
                raise WebhookPingFailed(f"Error: Delivery URL returned response code: {attempt.status_code}")
        with self._lock:
            self._webhooks.append(webhook)
        return webhook

    @property
    def webhooks(self) -> list[Webhook]:
        with self._lock:
            return list(self._webhooks)

    # ---- products

    def create_product(
        self,
        title: str,
        *,
        description: str = "",
        product_type: str = "",
        vendor: str | None = None,
        tags: Iterable[str] | str = (),
        images: int = 1,
        price: str | int | float = "19.99",
        sku: str = "",
    ) -> dict[str, Any]:
        """Create a product with `images` drawn photos; its create event is queued for every hook."""
        dialect = self._started()
        fields = checked_fields(
            title=title, description=description, product_type=product_type, tags=tags, price=price, sku=sku
        )
        fields["vendor"] = text_field("vendor", vendor) if vendor is not None else self._default_vendor()
        count = image_count(images, already=0)
        stamp = now()
        with self._catalog.locked():
            product = Product(
                id=dialect.next_id("product"),
                handle=dialect.new_handle(fields["title"], self._catalog),
                created_at=stamp,
                updated_at=stamp,
                variant_id=dialect.next_id("variant") if dialect.platform == "shopify" else 0,
                option_id=dialect.next_id("option") if dialect.platform == "shopify" else 0,
                **fields,
            )
            for _ in range(count):
                product.images.append(self._new_image(product, stamp))
            self._catalog.add(product)
        return self._emit("create", product)

    def add_image(self, product_id: int, *, alt: str | None = None) -> dict[str, Any]:
        """Add one drawn photo to the product; sends an update event carrying all its images."""
        self._started()
        product = self._catalog.get(product_id)
        if alt is not None:
            alt = text_field("alt", alt)
        with self._catalog.locked():
            image_count(1, already=len(product.images))
            stamp = now()
            self._catalog.add_image(product, self._new_image(product, stamp, alt))
            product.updated_at = stamp
        return self._emit("update", product)

    def update_product(self, product_id: int, **fields: Any) -> dict[str, Any]:
        """Change any of title, description, vendor, product_type, tags, price, sku; sends an update event."""
        self._started()
        unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
        if unknown:
            raise InvalidInput(
                f"unknown product field {unknown[0]!r}; editable: {', '.join(EDITABLE_FIELDS)}"
            )
        if not fields:
            raise InvalidInput(f"nothing to update; editable: {', '.join(EDITABLE_FIELDS)}")
        cleaned = checked_fields(**fields)
        product = self._catalog.get(product_id)
        with self._catalog.locked():
            for name, value in cleaned.items():
                setattr(product, name, value)
            product.updated_at = now()
        return self._emit("update", product)

    def change_product(self, product_id: int, change: Callable[[Product], None]) -> dict[str, Any]:
        """Apply `change` (checked input only) under the catalog's lock, then send one update event."""
        self._started()
        product = self._catalog.get(product_id)
        with self._catalog.locked():
            change(product)
            product.updated_at = now()
        return self._emit("update", product)

    def delete_product(self, product_id: int, *, trash: bool = False) -> dict[str, Any]:
        """Delete the product for good, or move it to WooCommerce's trash (shown with status "trash").

        Returns the product's JSON; no webhook is sent (Reelay subscribes to no delete topic).
        """
        dialect = self._started()
        if trash and self.platform != "woocommerce":
            raise InvalidInput("only a WooCommerce shop has a trash")
        with self._catalog.locked():
            product = self._catalog.get(product_id) if trash else self._catalog.remove(product_id)
            if trash:
                product.status, product.updated_at = "trash", now()
            elif self._admin is not None:
                self._admin.forget_product(product_id)
            return dialect.product_json(product)

    def product(self, product_id: int) -> dict[str, Any]:
        """The product as the platform's REST API shows it now."""
        dialect = self._started()
        return self._catalog.snapshot(self._catalog.get(product_id), dialect.product_json)

    def products(self) -> list[dict[str, Any]]:
        dialect = self._started()
        return [self._catalog.snapshot(product, dialect.product_json) for product in self._catalog.all()]

    def photo(self, path: str) -> tuple[bytes, str] | None:
        """The image file served at `path` and its content type, or None if no image lives there."""
        spec = self._catalog.photo_at(path)
        if spec is None:
            return None
        return render_photo(spec), CONTENT_TYPES[spec.format]

    def has_product(self, product_id: int) -> bool:
        return any(product.id == product_id for product in self._catalog.all())

    def product_page(self, product_id: int) -> bytes:
        """The storefront page of the product (`/products/<id>`): photos and processed videos."""
        self._started()
        product = self._catalog.get(product_id)
        videos = []
        if self._admin is not None:
            seconds = self._admin.processing_seconds  # the knob's value, which a test may change
            videos = [v for v in self._admin.product_videos(product_id) if v.status(seconds) == "READY"]
        extra = ""
        if self.platform == "woocommerce":
            from reelay_local.simulators.shop.woo_admin import render_product_video

            extra = render_product_video(self.product(product_id))
        return product_page(product, videos, extra)

    @property
    def admin(self) -> ShopifyAdmin | None:
        """Shopify's Admin API of this shop (its token, call counts and knobs); None for WooCommerce."""
        return self._admin

    @property
    def woo_admin(self) -> WooAdmin:
        """The WooCommerce REST API's state: the API key it accepts, its fault knobs, its call counts."""
        with self._lock:
            if self._woo_admin is None:
                from reelay_local.simulators.shop.woo_admin import WooAdmin

                self._woo_admin = WooAdmin(self._config)  # which refuses a Shopify shop's config
            return self._woo_admin

    # ---- deliveries

    @property
    def deliveries(self) -> list[DeliveryAttempt]:
        """Every attempt so far (pings, first tries, retries), in the order they ended."""
        return self._deliveries.attempts

    @property
    def pending_deliveries(self) -> int:
        return self._deliveries.pending

    def wait_for_deliveries(self, timeout_seconds: float = 10.0) -> bool:
        """Wait until every queued delivery has succeeded or run out of retries; False on timeout."""
        return self._deliveries.wait_idle(timeout_seconds)

    # ---- inside

    def _started(self) -> Dialect:
        if self._dialect is None or self._server is None:
            raise RuntimeError("the shop is not started (use it as a context manager, or call start())")
        return self._dialect

    def _default_vendor(self) -> str:
        # Shopify fills an empty vendor with the shop's name.
        return self._config.shop_domain.split(".", 1)[0] if self.platform == "shopify" else ""

    def _new_image(self, product: Product, stamp: datetime, alt: str | None = None) -> ProductImage:
        dialect = self._started()
        image_id = dialect.next_id("image")
        position = len(product.images) + 1
        width, height = photo_shape(position, self._config.image_size)
        fmt = photo_format(position)
        path = dialect.image_location(product.title, image_id, fmt, stamp)
        file_name = f"{ascii_file_stem(product.title)}-{image_id}"
        return ProductImage(image_id, position, stamp, width, height, fmt, path, file_name, alt)

    def _emit(self, kind: EventKind, product: Product) -> dict[str, Any]:
        """Queue the event's deliveries and return the payload they carry."""
        dialect = self._started()
        payload = self._catalog.snapshot(product, dialect.product_json)
        event = ShopEvent(kind, product.id, payload, str(uuid.uuid4()), datetime.now(UTC))
        topic = dialect.topics[kind]
        body = dialect.encode(payload)
        for webhook in self.webhooks:
            if webhook.status != "active" or topic not in webhook.topics:
                continue
            delivery_id, headers = dialect.event_headers(topic, body, webhook, event)
            self._deliveries.submit(
                Delivery(webhook, topic, product.id, delivery_id, body, headers, dialect.retries)
            )
        return payload

    def _delivery_outcome(self, webhook: Webhook, ok: bool) -> None:
        if self.platform != "woocommerce":
            return
        with self._lock:
            if ok:
                webhook.failure_count = 0
            elif webhook.failure_count >= self._config.woocommerce_max_failures:
                # WC_Webhook::failed_delivery: past the limit the webhook stops delivering until
                # someone sets it active again.
                webhook.status = "disabled"
            else:
                webhook.failure_count += 1
