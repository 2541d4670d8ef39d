"""The shop over HTTP, so another process (the demo, a benchmark, curl) can drive it.

Paths:
  /_shop/health                  GET: platform and base URL
  /_shop/webhooks                GET: subscriptions; POST {address, secret?, topics?}: subscribe
                                 (a WooCommerce shop pings the address first)
  /_shop/products                GET: every product; POST {title, description?, product_type?,
                                 vendor?, tags?, images?, price?, sku?}: create one
  /_shop/products/{id}           GET: one product; PATCH {field: value, ...}: change it;
                                 DELETE [?trash=true]: delete it (or move it to WooCommerce's trash)
  /_shop/products/{id}/images    POST {alt?}: add a drawn photo
  /_shop/deliveries              GET [?wait_seconds=N]: every delivery attempt and how many are
                                 pending (with wait_seconds, after waiting up to N s for none)
  /_shop/products/{id}           DELETE: remove the product and its media
  /_shop/admin                   GET: the Admin API token, call counts by operation, knobs;
                                 POST {throttle_next?, fail_next_media?, processing_seconds?}: set knobs
  /admin/api/{v}/graphql.json    POST: Shopify's Admin GraphQL API (shopify_admin.py)
  /_staged/{token}               POST: a staged upload's target (staged_uploads.py)
  /products/{id}                 GET: the product's storefront page, with its videos (HTML)
  /_shop/woocommerce/api-key     GET, PUT {consumer_key?, consumer_secret?, permissions?}: the
                                 REST API key a WooCommerce shop accepts (woo_admin.py)
  /_shop/woocommerce/faults      GET, PUT {throttle_next?, retry_after_seconds?, outage_next?}
  /_shop/woocommerce/calls       GET: REST API requests received, per operation
  /wp-json/wc/v3/products/{id}   WooCommerce only: its REST API's GET and PUT (woo_admin.py)
  anything else                  GET/HEAD: a product photo, where the platform keeps them
                                 (/cdn/shop/files/... or /wp-content/uploads/...)

Products are shown as the platform's REST API shows them. Admin errors are JSON,
{"error": {"code": ..., "message": ...}}: 400 for bad input, 404 for an unknown product or path,
405 for a method a path does not take. No authentication on /_shop: it listens on loopback only.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from reelay_local.simulators.creatify.endpoints import ApiResponse, json_response
from reelay_local.simulators.shop.catalog import EDITABLE_FIELDS
from reelay_local.simulators.shop.errors import InvalidInput, ShopError, UnknownProduct
from reelay_local.simulators.shop.shopify_admin import GRAPHQL_PATH, VIDEO_PATH
from reelay_local.simulators.shop.staged_uploads import MAX_UPLOAD_BYTES, STAGED_PREFIX

if TYPE_CHECKING:
    from reelay_local.simulators.shop.shop import LocalShop

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
MAX_WAIT_SECONDS = 60.0
_PRODUCT = re.compile(r"^/_shop/products/(?P<id>[^/]+)$")
_PRODUCT_IMAGES = re.compile(r"^/_shop/products/(?P<id>[^/]+)/images$")
_CREATE_FIELDS = ("title", "description", "product_type", "vendor", "tags", "images", "price", "sku")
_WEBHOOK_FIELDS = ("address", "secret", "topics")
_KNOBS = ("throttle_next", "fail_next_media", "processing_seconds")
_PAGE = re.compile(r"^/products/(?P<id>[^/]+)/?$")


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> ApiResponse:
    return json_response(status, {"error": {"code": code, "message": message}}, headers)


def route(
    shop: LocalShop,
    method: str,
    path: str,
    query: dict[str, list[str]],
    body: bytes,
    headers: dict[str, str] | None = None,
) -> ApiResponse:
    """The answer to one request; ShopError and bad JSON become 4xx here. Header names in lower case."""
    headers = headers or {}
    try:
        if path == "/_shop" or path.startswith("/_shop/"):
            return _admin(shop, method, path.rstrip("/") or path, query, body)
        admin = shop.admin
        if admin is not None and GRAPHQL_PATH.match(path):
            _allow(method, "POST")
            try:
                parsed = json.loads(body or b"null")
            except (json.JSONDecodeError, UnicodeDecodeError):
                return json_response(400, {"errors": "the body is not JSON"})
            return admin.answer(headers, parsed, shop.has_product)
        if path.startswith("/wp-json/") and shop.platform == "woocommerce":
            from reelay_local.simulators.shop.woo_admin import route_rest

            return route_rest(shop, method, path, query, headers, body)
        if admin is not None and path.startswith(STAGED_PREFIX) and method == "POST":
            admin.receive_upload(path, headers.get("content-type", ""), body)
            return ApiResponse(204, b"", "text/plain")
        if (page := _PAGE.match(path)) and method in ("GET", "HEAD"):
            return ApiResponse(200, shop.product_page(_product_id(page["id"])), "text/html; charset=utf-8")
        if admin is not None and path.startswith(VIDEO_PATH) and method in ("GET", "HEAD"):
            video = admin.video_file(path)
            if video is not None:
                return ApiResponse(200, video[0], video[1])
        if method in ("GET", "HEAD"):
            photo = shop.photo(path)
            if photo is not None:
                data, content_type = photo
                # Photos never change at a given path, as on a CDN.
                return ApiResponse(200, data, content_type, {"Cache-Control": "public, max-age=31536000"})
        return error_response(404, "not_found", f"nothing at {path}")
    except ShopError as refusal:
        return error_response(refusal.status, refusal.code, str(refusal))


def _admin(shop: LocalShop, method: str, path: str, query: dict[str, list[str]], body: bytes) -> ApiResponse:
    if path == "/_shop/health":
        _allow(method, "GET")
        return json_response(200, {"status": "ok", "platform": shop.platform, "base_url": shop.base_url})
    if path == "/_shop/webhooks":
        if _allow(method, "GET", "POST") == "GET":
            return json_response(200, [webhook.to_dict() for webhook in shop.webhooks])
        fields = _fields(body, _WEBHOOK_FIELDS)
        if "address" not in fields:
            raise InvalidInput("address is required: the URL the shop posts its webhooks to")
        webhook = shop.configure_webhook(**fields)
        return json_response(201, webhook.to_dict())
    if path == "/_shop/products":
        if _allow(method, "GET", "POST") == "GET":
            return json_response(200, shop.products())
        fields = _fields(body, _CREATE_FIELDS)
        if "title" not in fields:
            raise InvalidInput("title is required")
        return json_response(201, shop.create_product(**fields))
    if match := _PRODUCT_IMAGES.match(path):
        _allow(method, "POST")
        product_id = _product_id(match["id"])
        return json_response(201, shop.add_image(product_id, **_fields(body, ("alt",))))
    if match := _PRODUCT.match(path):
        if _allow(method, "GET", "PATCH", "PUT", "DELETE") == "GET":
            return json_response(200, shop.product(_product_id(match["id"])))
        product_id = _product_id(match["id"])
        if method == "DELETE":
            trash = (query.get("trash") or ["false"])[-1].lower() in ("1", "true")
            return json_response(200, shop.delete_product(product_id, trash=trash))
        return json_response(200, shop.update_product(product_id, **_fields(body, EDITABLE_FIELDS)))
    if path == "/_shop/admin" and shop.admin is not None:
        admin = shop.admin
        if _allow(method, "GET", "POST") == "POST":
            for name, value in _fields(body, _KNOBS).items():
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise InvalidInput(f"{name} must be a number, 0 or more")
                setattr(admin, name, int(value) if name != "processing_seconds" else float(value))
        return json_response(
            200,
            {
                "access_token": admin.access_token,
                "calls": dict(admin.calls),
                **{name: getattr(admin, name) for name in _KNOBS},
            },
        )
    if path.startswith("/_shop/woocommerce/") and shop.platform == "woocommerce":
        from reelay_local.simulators.shop.woo_admin import ADMIN_FIELDS, route_admin

        answer = route_admin(shop, method, path, _fields(body, ADMIN_FIELDS))
        if answer is not None:
            return answer
    if path == "/_shop/deliveries":
        _allow(method, "GET")
        wait = _wait_seconds(query)
        if wait > 0:
            shop.wait_for_deliveries(wait)
        return json_response(
            200,
            {
                "pending": shop.pending_deliveries,
                "attempts": [attempt.to_dict() for attempt in shop.deliveries],
            },
        )
    return error_response(404, "not_found", f"no admin route {path}")


class _MethodNotAllowed(ShopError):
    code = "method_not_allowed"
    status = 405


def _allow(method: str, *allowed: str) -> str:
    if method not in allowed:
        raise _MethodNotAllowed(f"{method} is not allowed here; use {' or '.join(allowed)}")
    return method


def _fields(body: bytes, allowed: tuple[str, ...]) -> dict[str, Any]:
    """The body's JSON object (an empty body is {}); names outside `allowed` are refused."""
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InvalidInput(f"the body is not JSON: {error}") from error
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}; known: {', '.join(allowed)}")
    return data


def _product_id(text: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise UnknownProduct(f"no product with id {text!r}")
    return int(text)


def _wait_seconds(query: dict[str, list[str]]) -> float:
    values = query.get("wait_seconds")
    if not values:
        return 0.0
    try:
        wait = float(values[-1])
    except ValueError:
        raise InvalidInput("wait_seconds must be a number") from None
    if not 0 <= wait <= MAX_WAIT_SECONDS:
        raise InvalidInput(f"wait_seconds must be between 0 and {MAX_WAIT_SECONDS:g}")
    return wait


# --------------------------------------------------------------------------- HTTP plumbing


class ShopHttpServer:
    """A ThreadingHTTPServer on a loopback address, serving `route` on a thread of its own."""

    def __init__(self, host: str, port: int, shop: LocalShop) -> None:
        self._httpd = _Server((host, port), shop)
        bound_host, bound_port = self._httpd.server_address[:2]
        shown = f"[{bound_host}]" if ":" in str(bound_host) else str(bound_host)
        self.base_url = f"http://{shown}:{bound_port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="shop-sim-http",
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], shop: LocalShop) -> None:
        self.shop = shop
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so stop() never waits on an idle kept-alive client.
    protocol_version = "HTTP/1.0"
    server_version = "ReelayShopSimulator/1"
    server: _Server

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        # The request line without its query string: WooCommerce takes a REST API key there
        # (consumer_key, consumer_secret), which no log line may carry.
        args = tuple(re.sub(r"\?\S*", "", a) if isinstance(a, str) else a for a in args)
        log.debug("%s " + format, self.address_string(), *args)

    def _handle(self) -> None:
        body = self._read_body()
        if body is None:
            return
        split = urlsplit(self.path)
        try:
            headers = {name.lower(): value for name, value in self.headers.items()}
            response = route(self.server.shop, self.command, split.path, parse_qs(split.query), body, headers)
        except Exception:
            log.exception("shop simulator failed on %s %s", self.command, self.path)
            response = error_response(500, "internal_error", "the shop simulator failed; see its log")
        self._write(response)

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding"):
            self._write(error_response(411, "length_required", "send the body with a Content-Length"))
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._write(error_response(400, "invalid_request", "Content-Length is not a number"))
            return None
        limit = MAX_UPLOAD_BYTES if self.path.startswith(STAGED_PREFIX) else MAX_BODY_BYTES
        if length > limit:
            self._write(error_response(413, "body_too_large", f"the body is over {limit} bytes"))
            return None
        return self.rfile.read(length) if length else b""

    def _write(self, response: ApiResponse) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except OSError:
            # The client went away; nothing to answer.
            self.close_connection = True
