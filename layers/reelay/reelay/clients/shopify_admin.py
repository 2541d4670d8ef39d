"""Shopify's Admin GraphQL API as a ShopPublisher: a staged upload, then the video on the product.

The route (shopify.dev, Admin GraphQL 2024-10 onwards):
1. `stagedUploadsCreate` (resource VIDEO, filename, mimeType, fileSize as a string, httpMethod
   POST) answers a target: a URL, its form parameters and the `resourceUrl` to name later;
2. a multipart POST to that URL: every parameter first, the file last, streamed from the archive
   with its length known up front (the file is never whole in memory);
3. `productUpdate(product: {id}, media: [{originalSource: resourceUrl, mediaContentType: VIDEO,
   alt}])` adds the video to the product in one call (the replacement Shopify names for the
   deprecated productCreateMedia). fileCreate + fileUpdate(referencesToAdd) would need a wait for
   READY between the two calls, i.e. two polling phases and a file that exists unattached if the
   second call never happens; productUpdate attaches at once, and Shopify processes the video on
   the product;
4. `node(id) { ... on Video { status fileStatus mediaErrors } }` until READY or FAILED.

The video's filename carries the task id (`reelay-<task id>.mp4`), so `find` recognises a video a
lost answer already attached. Every answer's `extensions.cost` is read: a THROTTLED answer (HTTP
200 or 429) becomes ShopThrottled with the wait the leaky bucket needs, (requested cost -
currently available) / restore rate. Every URL (the shop and the staged target) passes the URL
guard and is connected to at the checked address (`pinned_http`).
"""

from __future__ import annotations

import json
import secrets
import ssl
from collections.abc import Iterator
from typing import Any

from aws_lambda_powertools import Logger
from urllib3.exceptions import HTTPError, NewConnectionError, SSLError

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
    VideoSource,
)
from reelay.security.url_guard import HostDoesNotResolve, UnsafeUrl, check_outbound_url

logger = Logger(child=True)

DEFAULT_API_VERSION = "2025-10"
CONNECT_TIMEOUT_SECONDS = 5.0
READ_TIMEOUT_SECONDS = 30.0

STAGE = """mutation stage($input: [StagedUploadInput!]!) {
  stagedUploadsCreate(input: $input) {
    stagedTargets { url resourceUrl parameters { name value } }
    userErrors { field message }
  }
}"""

ATTACH = """mutation attach($product: ProductUpdateInput!, $media: [CreateMediaInput!]) {
  productUpdate(product: $product, media: $media) {
    product { id media(first: 100) { nodes { id mediaContentType status ... on Video { filename } } } }
    userErrors { field message }
  }
}"""

FIND = """query videos($id: ID!, $after: String) {
  product(id: $id) {
    id
    media(first: 100, after: $after) {
      nodes { id mediaContentType status ... on Video { filename mediaErrors { code message } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""
# A product holds at most 250 media, three pages of FIND; a shop answering more pages than that
# is not believed further (the publish fails over as the shop being unavailable, and is retried).
MAX_MEDIA_PAGES = 5

CHECK = """query video($id: ID!) {
  node(id: $id) { id ... on Video { status fileStatus filename mediaErrors { code message } } }
}"""


def product_gid(product_id: str) -> str:
    return product_id if product_id.startswith("gid://") else f"gid://shopify/Product/{product_id}"


def _cut(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def throttle_wait(cost: dict[str, Any] | None) -> float:
    """Seconds until the bucket holds the requested cost again (2 s when the answer does not say)."""
    try:
        status = cost["throttleStatus"]  # type: ignore[index]
        needed = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])  # type: ignore[index]
        return max(1.0, needed / float(status["restoreRate"]))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return 2.0


def _progress(node: dict[str, Any]) -> MediaStatus:
    status = node.get("status") or node.get("fileStatus")
    if status == "READY":
        return MediaStatus(node["id"], MediaProgress.READY)
    if status == "FAILED":
        errors = node.get("mediaErrors") or []
        reason = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors) or "processing failed"
        reason = _cut(f"Shopify could not process the video: {reason}")
        return MediaStatus(node["id"], MediaProgress.FAILED, reason)
    return MediaStatus(node["id"], MediaProgress.PROCESSING)


class ShopifyPublisher:
    def __init__(
        self,
        *,
        base_url_override: str | None = None,
        allow_loopback: bool = False,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        # Requests go through pinned_http.pinned_open (urllib3, which botocore has already
        # loaded): no redirects (the guard checked this URL, not where it points), no pooled
        # connection (one is matched by address alone), no proxy. `tls`: the roots to trust.
        self._tls = tls
        self._override = base_url_override.rstrip("/") if base_url_override else None
        self._allow_loopback = allow_loopback

    # ------------------------------------------------------------------ the port

    def find(self, request: PublishRequest) -> MediaStatus | None:
        """Reelay's video for this task among all the product's media, page by page; None if absent.

        Every page is read: missing a video attached by an earlier try would attach it again.
        """
        after = None
        for _ in range(MAX_MEDIA_PAGES):
            data = self._graphql(request, FIND, {"id": product_gid(request.product_id), "after": after})
            product = data.get("product")
            if product is None:
                raise ProductGone(f"product {request.product_id} does not exist in {request.shop}")
            media = product.get("media") or {}
            found = self._ours(request, media.get("nodes") or [])
            if found is not None:
                return found
            page = media.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return None
            after = page.get("endCursor")
            if not after:
                raise ShopUnavailable("Shopify said more media follow but gave no cursor to them")
        raise ShopUnavailable(f"the product lists more than {MAX_MEDIA_PAGES} pages of media")

    def attach(self, request: PublishRequest) -> MediaStatus:
        video = request.video
        if video is None:
            raise PublishRefused("no video to upload")
        target = self._stage(request, video)
        self._upload(target, video)
        data = self._graphql(
            request,
            ATTACH,
            {
                "product": {"id": product_gid(request.product_id)},
                "media": [
                    {
                        "originalSource": target["resourceUrl"],
                        "mediaContentType": "VIDEO",
                        "alt": _cut(request.alt, 512),
                    }
                ],
            },
        )
        payload = data.get("productUpdate") or {}
        self._refuse_on(payload.get("userErrors"), product_missing=payload.get("product") is None)
        nodes = ((payload.get("product") or {}).get("media") or {}).get("nodes") or []
        found = self._ours(request, nodes)
        if found is None:
            # Attached, but not among the first page of the product's media: look through them all.
            found = self.find(request)
        if found is None:
            raise ShopUnavailable("Shopify accepted the video but does not list it on the product yet")
        return found

    def check(self, request: PublishRequest, media_id: str) -> MediaStatus:
        node = self._graphql(request, CHECK, {"id": media_id}).get("node")
        if node is None:
            raise ProductGone("the video is no longer in the shop (its product or the media was deleted)")
        return _progress(node)

    # ------------------------------------------------------------------ steps

    def _ours(self, request: PublishRequest, nodes: list[dict[str, Any]]) -> MediaStatus | None:
        prefix = f"reelay-{request.task_id}"
        for node in nodes:
            if node.get("mediaContentType") == "VIDEO" and str(node.get("filename") or "").startswith(prefix):
                return _progress(node)
        return None

    def _stage(self, request: PublishRequest, video: VideoSource) -> dict[str, Any]:
        data = self._graphql(
            request,
            STAGE,
            {
                "input": [
                    {
                        "resource": "VIDEO",
                        "filename": video.filename,
                        "mimeType": video.content_type,
                        # UnsignedInt64: Shopify's own examples send it as a string.
                        "fileSize": str(video.size),
                        "httpMethod": "POST",
                    }
                ]
            },
        )
        payload = data.get("stagedUploadsCreate") or {}
        self._refuse_on(payload.get("userErrors"))
        targets = payload.get("stagedTargets") or []
        if not targets or not targets[0].get("url") or not targets[0].get("resourceUrl"):
            raise PublishRefused("Shopify answered no upload target for the video")
        return targets[0]

    def _upload(self, target: dict[str, Any], video: VideoSource) -> None:
        boundary = secrets.token_hex(16)
        fields = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{p["name"]}"\r\n\r\n'.encode()
            + str(p["value"]).encode()
            + b"\r\n"
            for p in target.get("parameters") or []
        )
        file_head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{video.filename}"\r\n'
            f"Content-Type: {video.content_type}\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        length = len(fields) + len(file_head) + video.size + len(tail)

        def body() -> Iterator[bytes]:
            yield fields + file_head
            sent = 0
            for chunk in video.chunks():
                sent += len(chunk)
                yield chunk
            if sent != video.size:
                # The length was promised up front: a short or long file must not pass as whole.
                raise ShopUnavailable(f"the archived video had {sent} bytes, not the {video.size} expected")
            yield tail

        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(length),
        }
        response = self._send(target["url"], headers=headers, content=body(), what="the staged upload")
        if response.status_code >= 500:
            raise ShopUnavailable(f"the staged upload answered {response.status_code}")
        if not 200 <= response.status_code < 300:
            refused = f"the staged upload was refused ({response.status_code}): {_cut(response.text)}"
            raise PublishRefused(refused)

    # ------------------------------------------------------------------ HTTP

    def _endpoint(self, request: PublishRequest) -> str:
        version = str(request.settings.get("api_version") or DEFAULT_API_VERSION)
        base = self._override or f"https://{request.shop}"
        return f"{base}/admin/api/{version}/graphql.json"

    def _send(self, url: str, *, headers: dict[str, str], content: Any, what: str) -> Answer:
        try:
            addresses = check_outbound_url(url, allow_loopback=self._allow_loopback)
        except HostDoesNotResolve as exc:
            raise ShopUnavailable(f"{what}: {exc}") from None
        except UnsafeUrl as exc:
            raise PublishRefused(f"{what}: {exc}") from None
        last = "no address"
        for address in addresses:
            try:
                raw = pinned_open(
                    "POST",
                    url,
                    address,
                    body=content,
                    headers=headers,
                    connect_timeout=CONNECT_TIMEOUT_SECONDS,
                    read_timeout=READ_TIMEOUT_SECONDS,
                    tls=self._tls,
                )
            except (NewConnectionError, SSLError):
                last = "ConnectError"  # the next checked address may answer
                continue
            except HTTPError as exc:
                raise ShopUnavailable(f"{what}: {type(exc).__name__}") from None
            try:
                return Answer(raw.status, raw.reason or "", raw.headers, raw.read())
            except HTTPError as exc:
                raise ShopUnavailable(f"{what}: {type(exc).__name__}") from None
            finally:
                raw.close()
        raise ShopUnavailable(f"{what}: {last}")

    def _graphql(self, request: PublishRequest, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        token = request.credentials.access_token
        if not token:
            raise PublishRefused("no Admin API access token on the shop connection")
        headers = {"Content-Type": "application/json", "X-Shopify-Access-Token": token}
        content = json.dumps({"query": query, "variables": variables}).encode()
        response = self._send(self._endpoint(request), headers=headers, content=content, what="Shopify")
        if response.status_code in (401, 403):
            raise PublishRefused(
                f"access token rejected by {request.shop} (HTTP {response.status_code}): set a valid "
                "admin_access_token with read_products, write_products, read_files and write_files"
            )
        try:
            body = response.json()
        except ValueError:
            body = {}
        cost = (body.get("extensions") or {}).get("cost") if isinstance(body, dict) else None
        errors = body.get("errors") if isinstance(body, dict) else None
        throttled = isinstance(errors, list) and any(
            (e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors if isinstance(e, dict)
        )
        if throttled or response.status_code == 429:
            raise ShopThrottled("Shopify answered THROTTLED", throttle_wait(cost))
        if response.status_code >= 500:
            raise ShopUnavailable(f"Shopify answered {response.status_code}")
        if response.status_code == 404:
            version = request.settings.get("api_version")
            raise PublishRefused(f"no Admin API at {request.shop} for version {version}")
        if response.status_code != 200 or not isinstance(body, dict):
            raise PublishRefused(f"Shopify answered {response.status_code}: {_cut(response.text)}")
        if errors:
            messages = "; ".join(str(e.get("message")) for e in errors if isinstance(e, dict))
            raise PublishRefused(_cut(f"Shopify refused the request: {messages}"))
        if cost:
            logger.debug("shopify query cost", extra={"cost": cost})
        return body.get("data") or {}

    @staticmethod
    def _refuse_on(user_errors: list[dict[str, Any]] | None, *, product_missing: bool = False) -> None:
        if not user_errors:
            return
        messages = "; ".join(str(e.get("message")) for e in user_errors)
        if product_missing and "does not exist" in messages.lower():
            raise ProductGone(messages)
        raise PublishRefused(_cut(f"Shopify refused the video: {messages}"))
