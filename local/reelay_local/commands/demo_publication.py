"""The demo's last step with `--shop`: the video put on the product in the local shop.

The connection was made with write-back on (a Shopify shop's Admin API token, a WooCommerce
shop's REST API key), so the task has a publication. Publishing starts once Reelay's archived
copy of the video exists; the step waits for it to end and prints the product's page in the
local shop, whose <video> plays it (Shopify: the uploaded copy; WooCommerce: the media link).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from html import unescape
from typing import Any

import httpx

from reelay_cli.api_client import ReelayClient

# The archive copies the demo's video in about a second; Shopify-like processing takes the
# local shop's media_processing_seconds, and the first check comes 2 s after the attach.
PENDING_SECONDS = 20.0
PUBLISH_SECONDS = 60.0


class PublicationFailed(RuntimeError):
    pass


def show_publication(say: Callable[[str], None], client: ReelayClient, link: Any, task_id: str) -> None:
    """Wait for the task's publication to end and show where the video is; PublicationFailed if not."""
    task = client.get(task_id)
    if task.get("publication") is None:
        return
    say("\nPutting the video on the product (write-back to the shop's admin API):")
    started = time.monotonic()
    seen = None
    while True:
        publication = client.get(task_id)["publication"]
        if publication["state"] != seen:
            seen = publication["state"]
            say(f"  publication {seen}")
        if seen in ("published", "failed"):
            break
        waited = time.monotonic() - started
        if seen == "pending" and waited > PENDING_SECONDS:
            media = client.get(task_id).get("media") or {}
            archive = (media.get("video") or {}).get("state", "not started")
            raise PublicationFailed(
                f"publishing never started: the video's archived copy is {archive} after {waited:.0f}s"
            )
        if waited > PENDING_SECONDS + PUBLISH_SECONDS:
            raise PublicationFailed(f"the video was still {seen} after {waited:.0f}s")
        time.sleep(0.3)
    if seen == "failed":
        raise PublicationFailed(f"the video was not published: {publication.get('reason')}")
    product_id = task["external_ref"]["product_id"]
    page = f"{link.shop.base_url}/products/{product_id}"
    html = httpx.get(page, timeout=10.0).text
    # Shopify's page plays the shop's own copy (<source src="/...">); a WooCommerce page the
    # product meta's media link (<video src="http...">), which Reelay's API redirects to the file.
    source = re.search(r'<video[^>]*?\ssrc="([^"]+)"|<video[^>]*><source src="([^"]+)"', html)
    if source is None:
        raise PublicationFailed(f"the product page shows no video: {page}")
    src = unescape(source.group(1) or source.group(2))
    url = src if src.startswith(("http://", "https://")) else link.shop.base_url + src
    played = httpx.get(url, timeout=30.0, follow_redirects=True)
    if played.status_code != 200 or not played.content:
        raise PublicationFailed(f"the product page's video does not play: {played.status_code}")
    say(f"  -> on the product as {publication['media_id']}, {len(played.content)} bytes")
    say(f"  the product's page in the shop: {page}")
