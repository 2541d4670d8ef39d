"""A connected shop's product becoming a task: its webhook, checked, mapped and written once.

Shopify gives a hook 5 seconds, so the request path does only this: find the connection,
verify the signature over the raw body (before anything parses it), and make one conditional
write. Everything else (Creatify, events) happens off the task stream like any other task.

- products/create (Shopify) and product.created (WooCommerce) with an image: the product's
  task, whose id derives from (platform, shop, product id): one product, one video.
- created without an image (Shopify often sends the image in a later update): remembered, so
  that the update bringing its first image starts the video. Any other update starts nothing,
  so editing a product that already had images (or a video) never spends credits.
- A Shopify delivery is taken once per X-Shopify-Webhook-Id; WooCommerce's delivery id changes
  on every try, so there the product's own task id is the deduplication.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from aws_lambda_powertools import Logger

from reelay.deps import Deps
from reelay.logic.connection_secrets import webhook_secrets
from reelay.logic.task_lifecycle import waits_on_provider
from reelay.models.connection import Platform, ShopConnection, normalize_shop
from reelay.models.http_urls import check_http_url
from reelay.models.media import Publication
from reelay.models.prompt_templates import MAX_PROMPT_LENGTH, render
from reelay.models.shop_products import ShopProduct, shopify_product, woocommerce_product
from reelay.models.status import TaskStatus
from reelay.models.task import ExternalRef, Task
from reelay.models.task_ids import derive_task_id_for_product
from reelay.models.upstream import MAX_URL_LENGTH
from reelay.ports.stores import IntakeResult
from reelay.security.shop_signatures import signature_matches

logger = Logger(child=True)

_WOO_PING = re.compile(rb"^webhook_id=\d+$")
CREATE_TOPICS = {Platform.SHOPIFY: "products/create", Platform.WOOCOMMERCE: "product.created"}
UPDATE_TOPICS = {Platform.SHOPIFY: "products/update", Platform.WOOCOMMERCE: "product.updated"}


class HookOutcome(StrEnum):
    CREATED = "created"  # the product's task was written
    AWAITING_IMAGE = "awaiting_image"  # no image yet: its first one will start the video
    DUPLICATE = "duplicate"  # this delivery, or this product's task, was there already
    NOT_STARTED = "not_started"  # an update that starts nothing (see the module docstring)
    NO_IMAGE = "no_image"  # an update still without a usable image
    IGNORED = "ignored"  # a topic Reelay does not use, a disabled connection, a ping
    UNKNOWN_CONNECTION = "unknown_connection"
    BAD_SIGNATURE = "bad_signature"
    WRONG_SHOP = "wrong_shop"  # signed, but by another shop than the connection's
    NOT_A_PRODUCT = "not_a_product"  # signed, but the body is no product


# What each platform calls the parts of a delivery (header names as HTTP sends them, any case).
_HEADERS = {
    Platform.SHOPIFY: {
        "signature": "x-shopify-hmac-sha256",
        "topic": "x-shopify-topic",
        "shop": "x-shopify-shop-domain",
        "delivery": "x-shopify-webhook-id",
    },
    Platform.WOOCOMMERCE: {
        "signature": "x-wc-webhook-signature",
        "topic": "x-wc-webhook-topic",
        "shop": "x-wc-webhook-source",
        "delivery": "",  # changes on every try: the product's task id deduplicates instead
    },
}


def receive_shop_hook(
    platform: Platform,
    connection_id: str,
    headers: Mapping[str, str],
    body: bytes,
    deps: Deps,
    *,
    callback_base_url: str | None = None,
) -> HookOutcome:
    """One webhook delivery from a connected shop, with the headers as received (any case)."""
    sent = {name.lower(): value for name, value in headers.items()}
    names = _HEADERS[platform]
    connection = deps.connections.get(connection_id)
    if connection is None or connection.platform is not platform:
        return HookOutcome.UNKNOWN_CONNECTION
    if platform is Platform.WOOCOMMERCE and _WOO_PING.match(body.strip()):
        # WooCommerce checks a new webhook's address with an unsigned form post; nothing to do.
        return HookOutcome.IGNORED
    if not signature_matches(sent.get(names["signature"]), body, webhook_secrets(connection, deps)):
        logger.warning("shop hook refused: signature", extra={"connection_id": connection_id})
        return HookOutcome.BAD_SIGNATURE
    if not _same_shop(platform, sent.get(names["shop"], ""), connection.shop):
        logger.warning("shop hook refused: another shop signed it", extra={"connection_id": connection_id})
        return HookOutcome.WRONG_SHOP
    if not connection.enabled:
        return HookOutcome.IGNORED
    topic = sent.get(names["topic"], "")
    if topic not in (CREATE_TOPICS[platform], UPDATE_TOPICS[platform]):
        return HookOutcome.IGNORED
    try:
        payload = json.loads(body)
        if not isinstance(payload, dict):
            raise ValueError("not a JSON object")
        read = shopify_product if platform is Platform.SHOPIFY else woocommerce_product
        product = read(payload, connection.shop)
    except (ValueError, RecursionError) as exc:  # a body that is no product: InvalidRecord naming the field
        logger.warning(
            "shop hook body is no product", extra={"connection_id": connection_id, "error": str(exc)[:200]}
        )
        return HookOutcome.NOT_A_PRODUCT
    delivery_id = sent.get(names["delivery"], "") if names["delivery"] else ""
    return take_product(
        connection,
        product,
        is_update=topic == UPDATE_TOPICS[platform],
        delivery=(platform.value, delivery_id[:128]) if delivery_id else None,
        deps=deps,
        callback_base_url=callback_base_url,
    )


def take_product(
    connection: ShopConnection,
    product: ShopProduct,
    *,
    is_update: bool,
    delivery: tuple[str, str] | None,
    deps: Deps,
    callback_base_url: str | None = None,
) -> HookOutcome:
    """Start the product's video, or remember it until its first image; one conditional write."""
    platform = connection.platform.value
    where = {"connection_id": connection.id, "product_id": product.product_id}
    if not product.image_urls:
        if is_update:
            return HookOutcome.NO_IMAGE
        logger.info("product has no usable image yet; waiting for its first one", extra=where)
        result = deps.product_intake.await_image(
            platform, connection.shop, product.product_id, delivery=delivery
        )
        return (
            HookOutcome.DUPLICATE if result is IntakeResult.DUPLICATE_DELIVERY else HookOutcome.AWAITING_IMAGE
        )
    task = product_task(connection, product, callback_base_url=callback_base_url)
    result = deps.product_intake.start_video(
        task,
        stays_open=waits_on_provider(task.status, task.auto_video),
        delivery=delivery,
        awaiting=(platform, connection.shop, product.product_id) if is_update else None,
    )
    if result is IntakeResult.CREATED:
        logger.info("product video task created", extra={**where, "task_id": task.id})
        return HookOutcome.CREATED
    if result is IntakeResult.NOT_AWAITING_IMAGE:
        return HookOutcome.NOT_STARTED
    return HookOutcome.DUPLICATE


def _refusal(url: str) -> str | None:
    """Why Creatify would refuse this image URL (the rule the API holds a product_url to), or None."""
    if len(url) > MAX_URL_LENGTH:
        return f"is longer than {MAX_URL_LENGTH} characters, Creatify's limit"
    try:
        check_http_url(url)
    except ValueError as bad:
        return str(bad)
    return None


def product_task(connection: ShopConnection, product: ShopProduct, *, callback_base_url: str | None) -> Task:
    """The task a product becomes under its connection's settings."""
    values = product.prompt_values()
    first, *others = product.image_urls
    showcase = next((url for url in others if _refusal(url) is None), None)
    refused = _refusal(first)
    return Task(
        id=derive_task_id_for_product(connection.platform.value, connection.shop, product.product_id),
        tenant_id=connection.tenant_id,
        # A URL Creatify would refuse still makes a task, failed with the reason, so its owner hears of it.
        status=TaskStatus.FAILED if refused else TaskStatus.INITIALIZING,
        failed_reason=f"product image URL {refused}" if refused else None,
        type=connection.type,
        product_url=first,
        aspect_ratio=connection.aspect_ratio,
        product_showcase_url=showcase,
        image_prompt=_prompt(connection.image_prompt_template, values),
        video_prompt=_prompt(connection.video_prompt_template, values),
        auto_video=connection.auto_video,
        review_deadline_hours=connection.review_deadline_hours,
        review_deadline_action=connection.review_deadline_action,
        external_ref=ExternalRef(
            source=connection.platform.value,
            shop=connection.shop,
            product_id=product.product_id,
            title=product.title or None,
            admin_url=product.admin_url[:2048],
        ),
        callback_base_url=callback_base_url,
        # Write-back: the video goes onto this product once it exists (reelay.logic.publish).
        publication=(
            Publication(
                platform=connection.platform.value, connection_id=connection.id, product_id=product.product_id
            )
            if connection.publishes
            else None
        ),
    )


def _prompt(template: str | None, values: dict[str, str]) -> str | None:
    return render(template, values, MAX_PROMPT_LENGTH) or None if template else None


def _same_shop(platform: Platform, named: str, connection_shop: str) -> bool:
    try:
        return normalize_shop(platform, named) == connection_shop
    except ValueError:
        return False


def partner_event_product(detail: Mapping[str, Any]) -> tuple[str, str, str, dict[str, Any]] | None:
    """(topic, shop, webhook id, product payload) of a Shopify event from EventBridge, or None."""
    metadata = detail.get("metadata")
    payload = detail.get("payload")
    if not isinstance(metadata, Mapping) or not isinstance(payload, dict):
        return None
    sent = {str(k).lower(): str(v) for k, v in metadata.items()}
    return (
        sent.get("x-shopify-topic", ""),
        sent.get("x-shopify-shop-domain", ""),
        sent.get("x-shopify-webhook-id", ""),
        payload,
    )


def receive_partner_event(
    detail: Mapping[str, Any], deps: Deps, *, callback_base_url: str | None = None
) -> HookOutcome:
    """A Shopify webhook delivered through an EventBridge partner event source.

    EventBridge itself vouches for the sender, so there is no HMAC; the shop must still be a
    connected one, and then the same intake as over HTTPS applies.
    """
    parts = partner_event_product(detail)
    if parts is None:
        return HookOutcome.NOT_A_PRODUCT
    topic, shop_domain, delivery_id, payload = parts
    try:
        shop = normalize_shop(Platform.SHOPIFY, shop_domain)
    except ValueError:
        return HookOutcome.UNKNOWN_CONNECTION
    connection = deps.connections.find_by_shop(Platform.SHOPIFY.value, shop)
    if connection is None:
        logger.warning("partner event from a shop no connection names", extra={"shop": shop})
        return HookOutcome.UNKNOWN_CONNECTION
    if not connection.enabled or topic not in (
        CREATE_TOPICS[Platform.SHOPIFY],
        UPDATE_TOPICS[Platform.SHOPIFY],
    ):
        return HookOutcome.IGNORED
    try:
        product = shopify_product(payload, connection.shop)
    except ValueError as exc:  # InvalidRecord naming the field, or an image URL urlsplit cannot read
        logger.warning("partner event is no product", extra={"shop": shop, "error": str(exc)[:200]})
        return HookOutcome.NOT_A_PRODUCT
    return take_product(
        connection,
        product,
        is_update=topic == UPDATE_TOPICS[Platform.SHOPIFY],
        delivery=(Platform.SHOPIFY.value, delivery_id[:128]) if delivery_id else None,
        deps=deps,
        callback_base_url=callback_base_url,
    )
