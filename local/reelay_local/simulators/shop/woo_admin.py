"""The WooCommerce REST API's product endpoints on the local shop, as strict as WooCommerce 9.x.

`GET` and `PUT` (also `POST`/`PATCH`, WordPress's EDITABLE methods) on
`/wp-json/wc/v3/products/{id}`, in the order WordPress and WooCommerce run their checks
(WP_REST_Server, WC_REST_Authentication, WC_REST_CRUD_Controller):

1. the fault knobs, which play the host in front of WordPress: a 429 with Retry-After, a 503
   (both HTML, as a proxy or WAF sends them);
2. authentication: a consumer key and secret by HTTP Basic auth, or the `consumer_key` and
   `consumer_secret` query parameters. The shop acts as a site behind TLS (WooCommerce takes
   Basic auth only where is_ssl(); plain HTTP would need OAuth 1.0a). A known key with the
   wrong secret is 401 `woocommerce_rest_authentication_error`; an unknown key, or none, makes
   the request anonymous; a key without read (GET) or write (PUT) permission is 401;
3. the route (`rest_no_route`, 404), then the body: JSON only with a JSON Content-Type (another
   body is ignored, as WordPress does), `rest_invalid_json` or `rest_invalid_param`, 400;
4. the permission check: anonymous on an existing product is 401 `woocommerce_rest_cannot_view`
   or `woocommerce_rest_cannot_edit`;
5. the product: unknown or deleted is `woocommerce_rest_product_invalid_id`, 404 on GET and
   400 on PUT (WooCommerce's own statuses). A trashed product is still shown, status "trash".

An update merges `meta_data` as WC_Data::update_meta_data does (an entry with an id updates that
entry; else the first entry with the key takes the value and others with the key go; else it is
added with a new id; a null value deletes) and replaces `description` and `name`; it sends the
product.updated webhook WooCommerce would. Errors are WordPress's {code, message, data: {status}}.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import html
import json
import re
import secrets
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from reelay_local.simulators.creatify.endpoints import ApiResponse, json_response
from reelay_local.simulators.shop.catalog import Product
from reelay_local.simulators.shop.config import ShopConfig
from reelay_local.simulators.shop.errors import InvalidInput, UnknownProduct

if TYPE_CHECKING:
    from reelay_local.simulators.shop.shop import LocalShop

PRODUCT_ROUTE = re.compile(r"^/wp-json/wc/v3/products/(?P<id>[0-9]+)/?$")
READ_METHODS = ("GET", "HEAD")
EDIT_METHODS = ("POST", "PUT", "PATCH")
PERMISSIONS = ("read", "write", "read_write")
DEFAULT_META_KEY = "reelay_video_url"
_FAULT_FIELDS = ("throttle_next", "retry_after_seconds", "outage_next")
_KEY_FIELDS = ("consumer_key", "consumer_secret", "permissions")
ADMIN_FIELDS = _KEY_FIELDS + _FAULT_FIELDS
_BASIC_REALM = (
    'Basic realm="WooCommerce API. Use a consumer key in the username field and a consumer secret '
    'in the password field."'
)


class WooAdmin:
    """What the REST API holds besides the catalog: the API key, the fault knobs, call counts."""

    def __init__(self, config: ShopConfig) -> None:
        if config.platform != "woocommerce":
            raise RuntimeError("only a WooCommerce shop has a WooCommerce REST API")
        self._lock = threading.Lock()
        # WooCommerce shows a new key as ck_/cs_ and 40 hex digits (wc_rand_hash).
        self._key = config.woo_consumer_key or f"ck_{secrets.token_hex(20)}"
        self._secret = config.woo_consumer_secret or f"cs_{secrets.token_hex(20)}"
        self._permissions = "read_write"
        self._throttle_next = 0
        self._retry_after = 2.0
        self._outage_next = 0
        self._calls: Counter[str] = Counter()
        self._meta_ids = iter(range(5001, 1 << 62))

    # ---- the admin face (LocalShop.woo_admin, /_shop/woocommerce/...)

    def api_key(self) -> dict[str, str]:
        with self._lock:
            return {
                "consumer_key": self._key,
                "consumer_secret": self._secret,
                "permissions": self._permissions,
            }

    def set_api_key(self, **fields: Any) -> dict[str, str]:
        """Change any of consumer_key, consumer_secret, permissions (read, write, read_write)."""
        _known(fields, _KEY_FIELDS)
        for name in ("consumer_key", "consumer_secret"):
            if name in fields and (not isinstance(fields[name], str) or not fields[name].strip()):
                raise InvalidInput(f"{name} must be a non-empty string")
        if "permissions" in fields and fields["permissions"] not in PERMISSIONS:
            raise InvalidInput(f"permissions must be one of {', '.join(PERMISSIONS)}")
        with self._lock:
            self._key = fields.get("consumer_key", self._key)
            self._secret = fields.get("consumer_secret", self._secret)
            self._permissions = fields.get("permissions", self._permissions)
        return self.api_key()

    def faults(self) -> dict[str, float | int]:
        with self._lock:
            return {
                "throttle_next": self._throttle_next,
                "retry_after_seconds": self._retry_after,
                "outage_next": self._outage_next,
            }

    def set_faults(self, **fields: Any) -> dict[str, float | int]:
        """throttle_next / outage_next: how many of the next API requests answer 429 / 503
        (throttling first); retry_after_seconds: the 429's Retry-After. All or nothing."""
        _known(fields, _FAULT_FIELDS)
        for name in ("throttle_next", "outage_next"):
            value = fields.get(name, 0)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidInput(f"{name} must be a whole number, 0 or more")
        retry_after = fields.get("retry_after_seconds", 0)
        if isinstance(retry_after, bool) or not isinstance(retry_after, int | float) or retry_after < 0:
            raise InvalidInput("retry_after_seconds must be a number, 0 or more")
        with self._lock:
            self._throttle_next = fields.get("throttle_next", self._throttle_next)
            self._outage_next = fields.get("outage_next", self._outage_next)
            self._retry_after = float(fields.get("retry_after_seconds", self._retry_after))
        return self.faults()

    def calls(self) -> dict[str, int]:
        """Requests received per operation (get_product, update_product, no_route), refused ones too."""
        with self._lock:
            return dict(self._calls)

    # ---- inside

    def _count(self, operation: str) -> None:
        with self._lock:
            self._calls[operation] += 1

    def _fault(self) -> ApiResponse | None:
        with self._lock:
            if self._throttle_next > 0:
                self._throttle_next -= 1
                headers = {"Retry-After": f"{self._retry_after:g}"}
                return ApiResponse(429, b"<h1>429 Too Many Requests</h1>", "text/html", headers)
            if self._outage_next > 0:
                self._outage_next -= 1
                return ApiResponse(503, b"<h1>503 Service Unavailable</h1>", "text/html")
        return None

    def _user(self, credentials: tuple[str, str] | None) -> str | ApiResponse | None:
        """The key's permissions, None for an anonymous request, or the 401 for a wrong secret."""
        if credentials is None:
            return None
        key, secret = credentials
        with self._lock:
            known_key, known_secret, permissions = self._key, self._secret, self._permissions
        if not hmac.compare_digest(key.encode(), known_key.encode()):
            return None  # WC_REST_Authentication: an unknown key leaves the request anonymous
        if not hmac.compare_digest(secret.encode(), known_secret.encode()):
            answer = wp_error(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
            answer.headers["WWW-Authenticate"] = _BASIC_REALM
            return answer
        return permissions

    def _next_meta_id(self) -> int:
        with self._lock:
            return next(self._meta_ids)


def route_rest(
    shop: LocalShop,
    method: str,
    path: str,
    query: Mapping[str, list[str]],
    headers: Mapping[str, str],
    body: bytes,
) -> ApiResponse:
    """The answer to one request under /wp-json/ (see the module docstring for the order of checks)."""
    admin = shop.woo_admin
    match = PRODUCT_ROUTE.match(path)
    operation = "no_route"
    if match and method in READ_METHODS:
        operation = "get_product"
    elif match and method in EDIT_METHODS:
        operation = "update_product"
    admin._count(operation)
    fault = admin._fault()
    if fault is not None:
        return fault
    lowered = {name.lower(): value for name, value in headers.items()}
    user = admin._user(_credentials(lowered, query))
    if isinstance(user, ApiResponse):
        return user
    if user is not None and (refusal := _key_permission(user, method)) is not None:
        return refusal
    if match is None or operation == "no_route":
        return wp_error(404, "rest_no_route", "No route was found matching the URL and request method.")
    product_id = int(match["id"])
    changes: dict[str, Any] = {}
    if operation == "update_product":
        parsed = _update_fields(lowered.get("content-type", ""), body)
        if isinstance(parsed, ApiResponse):
            return parsed
        changes = parsed
    try:
        exists = shop.product(product_id) is not None
    except UnknownProduct:
        exists = False
    if user is None and exists:
        if operation == "get_product":
            return wp_error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot view this resource.")
        return wp_error(
            401, "woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."
        )
    try:
        if not exists:
            raise UnknownProduct(product_id)
        if operation == "get_product":
            return _product_response(shop, shop.product(product_id))
        return _product_response(
            shop, shop.change_product(product_id, _applier(changes, admin._next_meta_id))
        )
    except UnknownProduct:  # unknown, or deleted while this request was under way
        return wp_error(
            404 if operation == "get_product" else 400, "woocommerce_rest_product_invalid_id", "Invalid ID."
        )


def route_admin(shop: LocalShop, method: str, path: str, body: dict[str, Any]) -> ApiResponse | None:
    """/_shop/woocommerce/{api-key,faults,calls}: GET reads, PUT changes; None for another path."""
    admin = shop.woo_admin
    if path == "/_shop/woocommerce/api-key" and method in ("GET", "PUT"):
        return json_response(200, admin.set_api_key(**body) if method == "PUT" else admin.api_key())
    if path == "/_shop/woocommerce/faults" and method in ("GET", "PUT"):
        return json_response(200, admin.set_faults(**body) if method == "PUT" else admin.faults())
    if path == "/_shop/woocommerce/calls" and method == "GET":
        return json_response(200, admin.calls())
    return None


def render_product_video(product: Mapping[str, Any], meta_key: str = DEFAULT_META_KEY) -> str:
    """HTML for a Woo product page: the video the meta key names (as a gallery plugin reading that
    key shows it), then the description as a theme shows it (a Reelay video block in it plays)."""
    parts: list[str] = []
    for meta in product.get("meta_data") or []:
        value = meta.get("value") if isinstance(meta, Mapping) else None
        if (
            meta.get("key") == meta_key
            and isinstance(value, str)
            and value.startswith(("http://", "https://"))
        ):
            parts.append(
                f'<section class="product-video"><h2>Video (meta {html.escape(meta_key)})</h2>'
                f'<video controls preload="metadata" src="{html.escape(value, quote=True)}"></video>'
                "</section>"
            )
            break
    description = product.get("description") or ""
    if isinstance(description, str) and description.strip():
        # A theme prints the description's HTML as stored (WordPress filtered it on save).
        parts.append(f'<section class="product-description"><h2>Description</h2>{description}</section>')
    return "\n".join(parts)


def wp_error(status: int, code: str, message: str, **data: Any) -> ApiResponse:
    return _wp_json(status, {"code": code, "message": message, "data": {"status": status, **data}})


# --------------------------------------------------------------------------- inside


def _wp_json(status: int, payload: Any) -> ApiResponse:
    # wp_json_encode, as the REST server sends it: '/' escaped, non-ASCII as \uXXXX.
    body = json.dumps(payload, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode()
    return ApiResponse(status, body, "application/json; charset=UTF-8")


def _product_response(shop: LocalShop, product: dict[str, Any]) -> ApiResponse:
    base = shop.base_url
    headers = {"Link": f'<{base}/product/{product["slug"]}/>; rel="alternate"; type=text/html'}
    answer = _wp_json(200, product)
    answer.headers.update(headers)
    return answer


def _credentials(headers: Mapping[str, str], query: Mapping[str, list[str]]) -> tuple[str, str] | None:
    # WC_REST_Authentication::perform_basic_authentication: the query parameters first, then Basic.
    key, secret = (query.get("consumer_key") or [""])[-1], (query.get("consumer_secret") or [""])[-1]
    if key and secret:
        return key, secret
    scheme, _, encoded = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, sep, secret = decoded.partition(":")
    return (key, secret) if sep and key and secret else None


def _key_permission(permissions: str, method: str) -> ApiResponse | None:
    if method in READ_METHODS and permissions not in ("read", "read_write"):
        message = "The API key provided does not have read permissions."
    elif method in (*EDIT_METHODS, "DELETE") and permissions not in ("write", "read_write"):
        message = "The API key provided does not have write permissions."
    else:
        return None
    return wp_error(401, "woocommerce_rest_authentication_error", message)


def _update_fields(content_type: str, body: bytes) -> dict[str, Any] | ApiResponse:
    """The body's description, name and meta_data, checked against WooCommerce's product schema."""
    if "json" not in content_type.lower() or not body.strip():
        return {}  # WordPress reads a body as JSON only when the Content-Type says so
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return wp_error(
            400,
            "rest_invalid_json",
            "Invalid JSON body passed.",
            json_error_code=4,
            json_error_message="Syntax error",
        )
    if not isinstance(data, dict):
        return wp_error(400, "rest_invalid_json", "Invalid JSON body passed.")
    problems: dict[str, str] = {}
    for name in ("description", "name"):
        if name in data and not isinstance(data[name], str):
            problems[name] = f"{name} is not of type string."
    if "meta_data" in data:
        problem = _meta_problem(data["meta_data"])
        if problem:
            problems["meta_data"] = problem
    if problems:
        return wp_error(
            400, "rest_invalid_param", f"Invalid parameter(s): {', '.join(problems)}", params=problems
        )
    return {name: data[name] for name in ("description", "name", "meta_data") if name in data}


def _meta_problem(meta_data: Any) -> str | None:
    if not isinstance(meta_data, list):
        return "meta_data is not of type array."
    for index, item in enumerate(meta_data):
        where = f"meta_data[{index}]"
        if not isinstance(item, dict):
            return f"{where} is not of type object."
        if not isinstance(item.get("key"), str):
            return f"{where}[key] is not of type string."
        if "id" in item and (isinstance(item["id"], bool) or not isinstance(item["id"], int)):
            return f"{where}[id] is not of type integer."
    return None


def _applier(changes: dict[str, Any], next_meta_id: Callable[[], int]) -> Callable[[Product], None]:
    def apply(product: Product) -> None:
        if "description" in changes:
            product.description = changes["description"]
        if "name" in changes and changes["name"].strip():
            product.title = changes["name"].strip()
        for item in changes.get("meta_data", []):
            merge_meta(product.meta_data, item, next_meta_id)

    return apply


def merge_meta(meta: list[dict[str, Any]], item: Mapping[str, Any], next_meta_id: Callable[[], int]) -> None:
    """One meta_data entry of an update, as WC_Data::update_meta_data then save_meta_data do it."""
    key, value = item["key"], item.get("value")
    target = next((entry for entry in meta if "id" in item and entry["id"] == item["id"]), None)
    if target is None:
        same_key = [entry for entry in meta if entry["key"] == key]
        target = same_key[0] if same_key else None
        for extra in same_key[1:]:
            meta.remove(extra)
    if target is None:
        if value is not None:
            meta.append({"id": next_meta_id(), "key": key, "value": value})
        return
    if value is None:
        meta.remove(target)  # a null value deletes the entry on save
        return
    target["key"], target["value"] = key, value


def _known(fields: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r}; known: {', '.join(allowed)}")
