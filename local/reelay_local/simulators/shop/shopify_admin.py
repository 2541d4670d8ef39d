"""The local shop's Admin GraphQL API: the parts that put a video on a product, answered strictly.

`POST /admin/api/{version}/graphql.json` with `X-Shopify-Access-Token` answers:
- `stagedUploadsCreate(input)`: a target per input (staged_uploads.py); fileSize is required for
  VIDEO (and must be a whole number of bytes), httpMethod POST only here; else userErrors;
- `productUpdate(product: {id}, media)`: media whose originalSource is a completed staged upload
  becomes a Video on the product; an unknown product gives a null product and userErrors;
- `product(id) { media }` and `node(id) { ... on Video }`: a video's status goes UPLOADED →
  PROCESSING → READY over `processing_seconds` (FAILED with mediaErrors when the failure knob
  was set), as Shopify processes uploads asynchronously. A product's media come a page at a
  time, oldest first, as a connection does: `media(first: N, after: $after)` with `pageInfo`
  (`hasNextPage`, `endCursor`); N is at most 250, and without `first` it is an error.

As Shopify does: no or a wrong token answers 401 with its JSON error; every answer carries
`extensions.cost`; while the throttle knob is set the next calls answer THROTTLED (HTTP 200) with
the cost extension and nothing done. Every call is counted by operation, so tests can see that
nothing was uploaded or attached twice.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from reelay_local.simulators.creatify.endpoints import ApiResponse, json_response
from reelay_local.simulators.shop.staged_uploads import StagedUploads

GRAPHQL_PATH = re.compile(r"^/admin/api/(?P<version>\d{4}-(01|04|07|10)|unstable)/graphql\.json$")
_GID = re.compile(r"^gid://shopify/(?P<type>\w+)/(?P<id>\d+)$")
_RESOURCES = {"VIDEO", "IMAGE", "FILE", "MODEL_3D", "COLLECTION_IMAGE", "PRODUCT_IMAGE", "SHOP_IMAGE"}
MAX_PAGE = 250  # Shopify's largest page of a connection
MAX_AVAILABLE = 2000.0
RESTORE_RATE = 100.0
VIDEO_PATH = "/cdn/shop/videos/"
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"  # noqa: S105


@dataclass
class Video:
    id: int
    product_id: int
    filename: str
    alt: str
    mime_type: str
    data: bytes
    created: float
    fails: bool

    @property
    def gid(self) -> str:
        return f"gid://shopify/Video/{self.id}"

    @property
    def url(self) -> str:
        return f"{VIDEO_PATH}{self.id}/{self.filename}"

    def status(self, processing_seconds: float) -> str:
        elapsed = time.monotonic() - self.created
        if elapsed < processing_seconds / 3:
            return "UPLOADED"
        if elapsed < processing_seconds:
            return "PROCESSING"
        return "FAILED" if self.fails else "READY"

    def node(self, processing_seconds: float) -> dict[str, Any]:
        status = self.status(processing_seconds)
        errors = (
            [{"code": "GENERIC_FILE_DOWNLOAD_FAILURE", "message": "processing failed", "details": None}]
            if status == "FAILED"
            else []
        )
        return {
            "__typename": "Video",
            "id": self.gid,
            "alt": self.alt,
            "mediaContentType": "VIDEO",
            "status": status,
            "fileStatus": status,
            "filename": self.filename,
            "mediaErrors": errors,
        }


@dataclass
class ShopifyAdmin:
    base_url: str
    access_token: str = field(default_factory=lambda: f"shpat_{secrets.token_hex(16)}")
    processing_seconds: float = 1.0
    throttle_next: int = 0
    fail_next_media: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    videos: dict[int, list[Video]] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(29_150_000_000_001))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.staged = StagedUploads(self.base_url)

    # ---- what the shop and the product page ask

    def product_videos(self, product_id: int) -> list[Video]:
        with self._lock:
            return list(self.videos.get(product_id, []))

    def add_video(self, product_id: int, filename: str) -> Video:
        """A video the merchant put on the product (processed already), beside any of Reelay's."""
        video = Video(
            next(self._ids),
            product_id,
            filename,
            filename,
            "video/mp4",
            b"",
            time.monotonic() - self.processing_seconds,
            False,
        )
        with self._lock:
            self.videos.setdefault(product_id, []).append(video)
        return video

    def forget_product(self, product_id: int) -> None:
        with self._lock:
            self.videos.pop(product_id, None)

    def video_file(self, path: str) -> tuple[bytes, str] | None:
        with self._lock:
            for videos in self.videos.values():
                for video in videos:
                    if video.url == path and video.status(self.processing_seconds) == "READY":
                        return video.data, video.mime_type
        return None

    def receive_upload(self, path: str, content_type: str, body: bytes) -> None:
        self.calls["staged_upload"] += 1
        self.staged.receive(path, content_type, body)

    # ---- the endpoint

    def answer(self, headers: dict[str, str], body: Any, product_exists: Any) -> ApiResponse:
        """One GraphQL request (the body already parsed as JSON); `product_exists(id) -> bool`."""
        self.calls["requests"] += 1
        if headers.get("x-shopify-access-token") != self.access_token:
            self.calls["unauthorized"] += 1
            return json_response(401, {"errors": INVALID_TOKEN})
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return json_response(400, {"errors": {"query": "Required parameter missing or invalid"}})
        query, variables = body["query"], body.get("variables") or {}
        with self._lock:
            throttled = self.throttle_next > 0
            if throttled:
                self.throttle_next -= 1
        if throttled:
            self.calls["throttled"] += 1
            return json_response(200, self._throttled())
        try:
            data = self._run(query, variables, product_exists)
        except _GraphQLError as error:
            return json_response(200, {"errors": [{"message": str(error)}], **self._cost(1)})
        return json_response(200, {"data": data, **self._cost(10)})

    def _run(self, query: str, variables: dict[str, Any], product_exists: Any) -> dict[str, Any]:
        if "stagedUploadsCreate" in query:
            self.calls["stagedUploadsCreate"] += 1
            return {"stagedUploadsCreate": self._stage(variables.get("input"))}
        if "productUpdate" in query:
            self.calls["productUpdate"] += 1
            # A query Shopify refuses (no page size) is refused before anything is attached.
            return {"productUpdate": self._attach(variables, product_exists, _page_size(query))}
        if re.search(r"\bnode\s*\(", query):
            self.calls["node"] += 1
            return {"node": self._node(variables.get("id"))}
        if re.search(r"\bproduct\s*\(", query):
            self.calls["product"] += 1
            product_id = _numeric_id(variables.get("id"), "Product")
            exists = product_id is not None and product_exists(product_id)
            if not exists or product_id is None:
                return {"product": None}
            return {"product": self._product(product_id, _page_size(query), variables.get("after"))}
        raise _GraphQLError("the local shop answers stagedUploadsCreate, productUpdate, product, node")

    def _stage(self, inputs: Any) -> dict[str, Any]:
        if not isinstance(inputs, list) or not inputs:
            raise _GraphQLError("Variable $input of type [StagedUploadInput!]! was provided invalid value")
        targets, errors = [], []
        for index, item in enumerate(inputs):
            where = ["input", str(index)]
            resource, filename = item.get("resource"), item.get("filename")
            if resource not in _RESOURCES or not filename or not item.get("mimeType"):
                raise _GraphQLError("Variable $input: resource, filename and mimeType are required")
            size = item.get("fileSize")
            if size is None and resource in ("VIDEO", "MODEL_3D"):
                errors.append(_user_error(where, "fileSize", "File size is required for VIDEO"))
                continue
            if size is not None and not str(size).isdigit():
                errors.append(_user_error(where, "fileSize", "File size must be a whole number"))
                continue
            if item.get("httpMethod", "PUT") != "POST":
                errors.append(_user_error(where, "httpMethod", "the local shop takes POST uploads only"))
                continue
            upload = self.staged.create(resource, filename, item["mimeType"], int(size) if size else None)
            target = {"url": upload.url, "resourceUrl": upload.resource_url, "parameters": upload.parameters}
            targets.append(target)
        return {"stagedTargets": targets if not errors else None, "userErrors": errors}

    def _attach(self, variables: dict[str, Any], product_exists: Any, first: int) -> dict[str, Any]:
        product = variables.get("product")
        if not isinstance(product, dict):
            raise _GraphQLError("Variable $product of type ProductUpdateInput! was provided invalid value")
        product_id = _numeric_id(product.get("id"), "Product")
        if product_id is None or not product_exists(product_id):
            return {"product": None, "userErrors": [{"field": ["id"], "message": "Product does not exist"}]}
        errors: list[dict[str, Any]] = []
        added: list[Video] = []
        for index, media in enumerate(variables.get("media") or []):
            where = ["media", str(index)]
            if media.get("mediaContentType") != "VIDEO":
                errors.append(_user_error(where, "mediaContentType", "the local shop takes VIDEO only"))
                continue
            upload = self.staged.by_resource_url(str(media.get("originalSource") or ""))
            if upload is None or not upload.completed or upload.resource != "VIDEO" or upload.data is None:
                message = "Invalid video url: no completed staged upload"
                errors.append(_user_error(where, "originalSource", message))
                continue
            with self._lock:
                fails = self.fail_next_media > 0
                self.fail_next_media -= 1 if fails else 0
            added.append(
                Video(
                    next(self._ids),
                    product_id,
                    upload.filename,
                    str(media.get("alt") or ""),
                    upload.mime_type,
                    upload.data,
                    time.monotonic(),
                    fails,
                )
            )
        if errors:
            return {"product": None, "userErrors": errors}
        with self._lock:
            self.videos.setdefault(product_id, []).extend(added)
        return {"product": self._product(product_id, first), "userErrors": []}

    def _product(self, product_id: int, first: int, after: Any = None) -> dict[str, Any]:
        videos = self.product_videos(product_id)
        start = 0
        if after is not None:
            position = _cursor_position(after)
            if position is None:
                raise _GraphQLError(f"Invalid cursor provided for the argument 'after': {after!r}")
            start = position + 1
        page = videos[start : start + first]
        nodes = [video.node(self.processing_seconds) for video in page]
        info = {
            "hasNextPage": start + first < len(videos),
            "endCursor": _cursor(start + len(page) - 1) if page else None,
        }
        return {"id": f"gid://shopify/Product/{product_id}", "media": {"nodes": nodes, "pageInfo": info}}

    def _node(self, gid: Any) -> dict[str, Any] | None:
        video_id = _numeric_id(gid, "Video")
        with self._lock:
            found = [v for videos in self.videos.values() for v in videos if v.id == video_id]
        return found[0].node(self.processing_seconds) if found else None

    def _cost(self, actual: int) -> dict[str, Any]:
        return {"extensions": {"cost": _cost(actual, actual, MAX_AVAILABLE - actual)}}

    def _throttled(self) -> dict[str, Any]:
        # What Shopify answers with an empty bucket: no data, the code, and how empty it is.
        return {
            "errors": [
                {
                    "message": "Throttled",
                    "extensions": {
                        "code": "THROTTLED",
                        "documentation": "https://shopify.dev/api/usage/rate-limits",
                    },
                }
            ],
            "extensions": {"cost": _cost(112, None, 2.0)},
        }


class _GraphQLError(Exception):
    pass


def _cost(requested: int, actual: int | None, available: float) -> dict[str, Any]:
    status = {"maximumAvailable": MAX_AVAILABLE, "currentlyAvailable": available, "restoreRate": RESTORE_RATE}
    return {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": status}


def _page_size(query: str) -> int:
    """The `first` of the query's `media(...)` connection: required, 1..250, as Shopify's are."""
    found = re.search(r"\bmedia\s*\(([^)]*)\)", query)
    size = re.search(r"\bfirst\s*:\s*(\d+)", found.group(1)) if found else None
    if size is None:
        raise _GraphQLError("you must provide one of first or last")
    if not 1 <= int(size.group(1)) <= MAX_PAGE:
        raise _GraphQLError(f"The page size requested ({size.group(1)}) exceeds the maximum of {MAX_PAGE}")
    return int(size.group(1))


def _cursor(position: int) -> str:
    # Opaque to a client, as Shopify's are.
    return base64.b64encode(json.dumps({"last_id": position}).encode()).decode()


def _cursor_position(cursor: Any) -> int | None:
    try:
        position = json.loads(base64.b64decode(str(cursor), validate=True))["last_id"]
    except (ValueError, KeyError, TypeError):
        return None
    return position if isinstance(position, int) and position >= 0 else None


def _user_error(where: list[str], name: str, message: str) -> dict[str, Any]:
    return {"field": [*where, name], "message": message}


def _numeric_id(value: Any, kind: str) -> int | None:
    match = _GID.match(str(value or ""))
    return int(match["id"]) if match and match["type"] == kind else None
