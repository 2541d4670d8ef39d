"""Putting a task's video on a WooCommerce product through the store's REST API (wc/v3).

WooCommerce products have no video field (`images[]` takes image attachments only, so an MP4
is refused), and a consumer key cannot upload to the WordPress media library. So nothing is
uploaded: the product links to Reelay's lasting media link (`request.video_url`). One
`PUT /wp-json/wc/v3/products/{id}` writes

- the link into the product's meta under a configurable key (`settings["video_meta_key"]`,
  default ``reelay_video_url``), which a gallery plugin can read, and
- when `settings["video_in_description"]` is true, a WordPress core Video block at the end of
  the description, marked with the class ``reelay-video`` so a second attach replaces Reelay's
  block instead of adding another (the rest of the description is left as it was).

Both are written by key or by marker, so an attach repeated after a lost answer changes
nothing; `find` reads the product first so the publish worker can skip the write altogether.
WooCommerce has no processing step: an attached video is ready at once.

Requests: Basic auth with the consumer key and secret, HTTPS only (WooCommerce accepts Basic
auth only over TLS), to an address the URL guard checked (clients/pinned_http.py), no redirect
followed, no proxy from the environment. `base_url_override` (set only by the local emulator)
sends the calls to the local shop instead of the connection's site URL; loopback is allowed
there and nowhere else. Failures are typed as ports/shop_publishing says; no message carries
a credential.
"""

from __future__ import annotations

import base64
import html
import json
import re
import ssl
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ReadTimeoutError,
    SSLError,
)

from reelay.clients.http_answer import Answer
from reelay.clients.pinned_http import pinned_open
from reelay.ports.shop_publishing import (
    MediaProgress,
    MediaStatus,
    ProductGone,
    PublishRefused,
    PublishRequest,
    ShopThrottled,
    ShopUnavailable,
)
from reelay.security.url_guard import HostDoesNotResolve, UnsafeUrl, check_outbound_url

if TYPE_CHECKING:
    from urllib3 import BaseHTTPResponse

DEFAULT_META_KEY = "reelay_video_url"
DEFAULT_RETRY_AFTER = 30.0
MAX_RETRY_AFTER = 900.0  # an SQS delay's ceiling: the worker cannot wait longer in one step
MAX_ANSWER_BYTES = 4 * 1024 * 1024
CONNECT_TIMEOUT_SECONDS = 3.05
READ_TIMEOUT_SECONDS = 20.0
_HEADERS = {"User-Agent": "reelay-woocommerce-publisher", "Accept": "application/json"}
PRODUCT_PATH = "/wp-json/wc/v3/products/{product_id}"
BLOCK_CLASS = "reelay-video"
_BLOCK_OPEN = '<!-- wp:video {"className":"' + BLOCK_CLASS + '"} -->'
_BLOCK = re.compile(re.escape(_BLOCK_OPEN) + r".*?<!-- /wp:video -->", re.DOTALL)
_PRODUCT_ID = re.compile(r"^[1-9][0-9]{0,19}$")


def video_block(video_url: str) -> str:
    """A core Video block as the block editor saves it, with Reelay's class as its marker."""
    src = html.escape(video_url, quote=True)
    return (
        f"{_BLOCK_OPEN}\n"
        f'<figure class="wp-block-video {BLOCK_CLASS}"><video controls src="{src}"></video></figure>\n'
        "<!-- /wp:video -->"
    )


def with_video_block(description: str, video_url: str) -> str:
    """`description` with Reelay's block holding `video_url`: the first one replaced in place
    (any further copies dropped), or the block added at the end."""
    block = video_block(video_url)
    found = list(_BLOCK.finditer(description))
    if not found:
        return f"{description}\n\n{block}" if description.strip() else block
    first = found[0]
    rest = _BLOCK.sub("", description[first.end() :])
    return description[: first.start()] + block + rest


def holds_video_block(description: str, video_url: str) -> bool:
    """Whether Reelay's block in `description` plays `video_url` (as saved, or as WordPress's
    HTML filter may have rewritten the markup around it)."""
    src = html.escape(video_url, quote=True)
    return any(src in block.group(0) or video_url in block.group(0) for block in _BLOCK.finditer(description))


class WooCommercePublisher:
    """ShopPublisher for WooCommerce stores (request.shop is the store's site URL)."""

    def __init__(self, *, base_url_override: str | None = None, tls: ssl.SSLContext | None = None) -> None:
        # Requests go through pinned_http.pinned_open (urllib3, which botocore has already
        # loaded): short timeouts, no redirect (the guard checked this URL, not where it points),
        # no pooled connection (one is matched by address alone and could carry another host's
        # request), no proxy (the guard checked the store's addresses, not a proxy's).
        self._tls = tls
        self._override = base_url_override.rstrip("/") if base_url_override else None

    def __repr__(self) -> str:
        return f"WooCommercePublisher(base_url_override={self._override!r})"

    def find(self, request: PublishRequest) -> MediaStatus | None:
        product = self._call(request, "GET")
        if _holds(product, request):
            return MediaStatus(media_id=str(product["id"]), progress=MediaProgress.READY)
        return None

    def attach(self, request: PublishRequest) -> MediaStatus:
        video_url = _video_url(request)
        key = _meta_key(request)
        body: dict[str, Any] = {"meta_data": [{"key": key, "value": video_url}]}
        if _in_description(request):
            # Read the description just before writing it, so only Reelay's block changes.
            current = self._call(request, "GET").get("description")
            body["description"] = with_video_block(current if isinstance(current, str) else "", video_url)
        updated = self._call(request, "PUT", body)
        if not _holds(updated, request):
            raise PublishRefused(
                f"WooCommerce took the update of product {request.product_id} but its answer does not "
                f"show the video under meta key {key!r}; a plugin may protect that key"
            )
        return MediaStatus(media_id=str(updated["id"]), progress=MediaProgress.READY)

    def check(self, request: PublishRequest, media_id: str) -> MediaStatus:
        product = self._call(request, "GET")
        if _holds(product, request):
            return MediaStatus(media_id=str(product["id"]), progress=MediaProgress.READY)
        key = _meta_key(request)
        return MediaStatus(
            media_id=media_id,
            progress=MediaProgress.FAILED,
            reason=f"product {request.product_id} no longer holds this task's video under meta key {key!r}",
        )

    # ---- HTTP

    def _call(
        self, request: PublishRequest, method: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """One request to the product's endpoint; its JSON product, or the typed failure."""
        key, secret = _credentials(request)
        url, addresses = self._target(request)
        # Basic auth over HTTPS, the credentials UTF-8 encoded (as httpx's BasicAuth did).
        token = base64.b64encode(f"{key}:{secret}".encode()).decode("ascii")
        headers = {**_HEADERS, "Authorization": f"Basic {token}"}
        content = None
        if body is not None:
            content = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        response = None
        for address in addresses:
            try:
                response = pinned_open(
                    method,
                    url,
                    address,
                    body=content,
                    headers=headers,
                    connect_timeout=CONNECT_TIMEOUT_SECONDS,
                    read_timeout=READ_TIMEOUT_SECONDS,
                    tls=self._tls,
                )
            except (NewConnectionError, SSLError):
                continue  # the store's next checked address may answer
            except (ConnectTimeoutError, ReadTimeoutError) as exc:
                raise ShopUnavailable(
                    f"WooCommerce did not answer {method} in time ({type(exc).__name__})"
                ) from None
            except HTTPError as exc:
                raise ShopUnavailable(f"WooCommerce could not be reached ({type(exc).__name__})") from None
            break
        if response is None:
            raise ShopUnavailable("WooCommerce could not be reached (no address accepted the connection)")
        try:
            raw = _read_capped(response)
        except HTTPError as exc:
            raise ShopUnavailable(f"WooCommerce's answer broke off ({type(exc).__name__})") from None
        finally:
            response.close()
        return _product_or_raise(
            Answer(response.status, response.reason or "", response.headers, raw), request
        )

    def _target(self, request: PublishRequest) -> tuple[str, list[str]]:
        if not _PRODUCT_ID.match(request.product_id):
            raise PublishRefused(f"product id {request.product_id!r} is not a WooCommerce product id")
        base = self._override or request.shop.rstrip("/")
        if self._override is None and not base.lower().startswith("https://"):
            raise PublishRefused(
                "the store's site URL must be https: WooCommerce takes a consumer key over Basic auth "
                "only on HTTPS (plain HTTP needs OAuth 1.0a signing, which Reelay does not do)"
            )
        try:
            addresses = check_outbound_url(base, allow_loopback=self._override is not None)
        except HostDoesNotResolve as exc:
            raise ShopUnavailable(f"the store's site URL does not resolve now: {exc}") from None
        except UnsafeUrl as exc:
            raise PublishRefused(f"the store's site URL is refused: {exc}") from None
        return base + PRODUCT_PATH.format(product_id=request.product_id), addresses


def _product_or_raise(response: Answer, request: PublishRequest) -> dict[str, Any]:
    status = response.status_code
    data = _json(response.content)
    code = str(data.get("code") or "") if isinstance(data, dict) else ""
    message = str(data.get("message") or "") if isinstance(data, dict) else ""
    said = _scrub(f"{code}: {message}" if code else "no WordPress error in the body", request)
    product = request.product_id
    if 200 <= status < 300:
        if not isinstance(data, dict) or str(data.get("id")) != product:
            raise PublishRefused(f"the store answered HTTP {status} without product {product}'s JSON")
        if data.get("status") == "trash":
            raise ProductGone(f"product {product} is in the store's trash")
        return data
    if code == "woocommerce_rest_product_invalid_id":
        # WooCommerce's code for an unknown or deleted product: 404 on GET, 400 on PUT.
        raise ProductGone(f"product {product} no longer exists in the store ({said})")
    if status == 429:
        raise ShopThrottled(f"the store is throttling requests (HTTP 429, {said})", _retry_after(response))
    if status >= 500:
        raise ShopUnavailable(f"the store answered HTTP {status} ({said})")
    if status in (401, 403):
        raise PublishRefused(
            f"consumer key rejected: HTTP {status} ({said}); check the connection's key and secret, "
            "that the key is Read/Write, and that its user may edit products"
        )
    if 300 <= status < 400:
        raise PublishRefused(
            f"the store redirected (HTTP {status}); set the connection's site URL to where it lives"
        )
    if status == 404:
        raise PublishRefused(
            f"the store has no WooCommerce REST API at {PRODUCT_PATH.format(product_id=product)} "
            f"(HTTP 404, {said}); is WooCommerce active, with pretty permalinks?"
        )
    raise PublishRefused(f"the store refused the update of product {product}: HTTP {status} ({said})")


def _holds(product: Mapping[str, Any], request: PublishRequest) -> bool:
    """Whether the product holds everything attach writes: the meta entry (and the block)."""
    video_url, key = _video_url(request), _meta_key(request)
    entries = product.get("meta_data")
    in_meta = isinstance(entries, list) and any(
        isinstance(entry, dict) and entry.get("key") == key and entry.get("value") == video_url
        for entry in entries
    )
    if not in_meta or not _in_description(request):
        return in_meta
    description = product.get("description")
    return isinstance(description, str) and holds_video_block(description, video_url)


def _meta_key(request: PublishRequest) -> str:
    key = request.settings.get("video_meta_key") or DEFAULT_META_KEY
    if not isinstance(key, str) or len(key) > 255 or not key.strip():
        raise PublishRefused("video_meta_key must be a meta key name of at most 255 characters")
    if key.lower().startswith("wp_"):
        # WooCommerce hides wp_* keys from the REST API, so the write could never be checked.
        raise PublishRefused(f"video_meta_key {key!r} starts with wp_, which WooCommerce's REST API hides")
    return key


def _in_description(request: PublishRequest) -> bool:
    return request.settings.get("video_in_description") is True


def _video_url(request: PublishRequest) -> str:
    url = request.video_url
    if not url or not url.lower().startswith(("https://", "http://")):
        raise PublishRefused("no lasting link to the archived video to put on the product")
    return url


def _credentials(request: PublishRequest) -> tuple[str, str]:
    key, secret = request.credentials.consumer_key, request.credentials.consumer_secret
    if not key or not secret:
        raise PublishRefused("the connection has no WooCommerce consumer key and secret")
    return key, secret


def _scrub(text: str, request: PublishRequest) -> str:
    """The shop's words without the credentials, should a store ever echo them back."""
    for value in (request.credentials.consumer_key, request.credentials.consumer_secret):
        if value:
            text = text.replace(value, "***")
    return text[:300]


def _retry_after(response: Answer) -> float:
    """Retry-After in seconds (a number or an HTTP date), within 1 s .. MAX_RETRY_AFTER."""
    value = (response.headers.get("Retry-After") or "").strip()
    try:
        seconds = float(value)
    except ValueError:
        from datetime import UTC, datetime
        from email.utils import parsedate_to_datetime

        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError, IndexError):
            seconds = DEFAULT_RETRY_AFTER
    if seconds != seconds:  # NaN
        seconds = DEFAULT_RETRY_AFTER
    return min(max(seconds, 1.0), MAX_RETRY_AFTER)


def _read_capped(response: BaseHTTPResponse) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.stream(64 * 1024):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise PublishRefused(f"the store's answer is over {MAX_ANSWER_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
