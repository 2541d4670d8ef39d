"""The served OpenAPI document lists what the API answers, and the local gateway answers as API Gateway.

The document is read as a client reads it, from `/swagger?format=json` through the gateway;
the answers it promises are checked against real requests to the embedded stack.
"""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

from tests.integration.pipeline import TenantApi

ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}


@pytest.fixture
def document(embedded) -> dict[str, Any]:
    answer = embedded.stack.api_request("GET", "/swagger", query_string="format=json")
    assert answer.status == 200
    return answer.json()


def statuses(document: dict[str, Any], method: str, path: str) -> set[str]:
    return set(document["paths"][path][method]["responses"])


def test_no_operation_documents_powertools_422_and_every_error_has_the_one_error_shape(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "422" not in responses, (method, path)
            for status, response in responses.items():
                if int(status) >= 400:
                    assert response["content"]["application/json"]["schema"] == ERROR_BODY, (method, path)
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert schemas["ErrorBody"]["required"] == ["error"]
    assert set(schemas["ErrorDetail"]["required"]) == {"code", "message"}


def test_each_operation_lists_the_statuses_it_can_answer(document):
    assert statuses(document, "post", "/v1/product-videos") == {
        "200", "201", "400", "401", "409", "413", "415"
    }  # fmt: skip
    assert statuses(document, "get", "/v1/product-videos/{id}") == {"200", "400", "401", "404"}
    assert statuses(document, "post", "/v1/product-videos/{id}/video") == {
        "202", "400", "401", "404", "409", "413", "415"
    }  # fmt: skip
    assert statuses(document, "post", "/v1/shop-connections") == {"201", "400", "401", "409", "413", "415"}
    assert statuses(document, "delete", "/v1/shop-connections/{id}") == {"204", "400", "401", "404"}
    # Nothing to validate: no 400. Creatify may be down: 503.
    assert statuses(document, "get", "/v1/credits") == {"200", "401", "503"}
    assert statuses(document, "get", "/v1/shop-connections") == {"200", "401"}
    # A 204 has no body, so the document gives it no content.
    assert "content" not in document["paths"]["/v1/shop-connections/{id}"]["delete"]["responses"]["204"]


def test_url_fields_say_they_are_urls_with_the_limit_the_api_enforces(document, embedded):
    properties = document["components"]["schemas"]["ProductVideoRequest"]["properties"]
    for name in ("product_url", "product_showcase_url", "webhook_url"):
        variants = properties[name].get("anyOf", [properties[name]])
        url = next(v for v in variants if v.get("type") == "string")
        assert url["format"] == "uri" and url["maxLength"] == 200, name
    view = document["components"]["schemas"]["ShopConnectionView"]["properties"]["hook_url"]
    assert view["format"] == "uri"
    avatar = properties["override_avatar"]["anyOf"][0]
    assert avatar == {"type": "string", "format": "uuid"}

    api = TenantApi.create(embedded)
    too_long = "https://shop.example/" + "a" * 180
    answer = api.request("POST", "/v1/product-videos", json_body={"product_url": too_long})
    assert answer.status == 400 and answer.json()["error"]["field"] == "product_url"


def test_the_documented_answers_are_the_ones_the_api_gives(document, embedded):
    api = TenantApi.create(embedded)
    missing = api.request("GET", "/v1/product-videos/nope")
    assert str(missing.status) in statuses(document, "get", "/v1/product-videos/{id}")
    assert missing.json()["error"]["code"] == "not_found"

    nobody = embedded.stack.api_request("GET", "/v1/credits")
    assert nobody.status == 401 and str(nobody.status) in statuses(document, "get", "/v1/credits")
    assert nobody.json() == {"error": {"code": "unauthorized", "message": "missing or invalid API key"}}

    form = api.request(
        "POST",
        "/v1/product-videos",
        body=b'{"product_url": "https://shop.example/a.png"}',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status == 415 and "415" in statuses(document, "post", "/v1/product-videos")


def test_an_empty_next_webhook_secret_is_refused_naming_the_field_not_a_5xx(embedded):
    # Found by the fuzzer: PATCH sealed "" with KMS, which refuses empty plaintext (a 502).
    api = TenantApi.create(embedded)
    created = api.request(
        "POST",
        "/v1/shop-connections",
        json_body={"platform": "shopify", "shop": "acme.myshopify.com", "webhook_secret": "s3cret"},
    )
    assert created.status == 201, created.body
    path = f"/v1/shop-connections/{created.json()['id']}"

    for method, target in (("PATCH", path), ("PATCH", "/v1/shop-connections/unknown")):
        answer = api.request(method, target, json_body={"next_webhook_secret": ""})
        assert answer.status == 400, answer.body
        assert answer.json()["error"]["field"] == "next_webhook_secret"
    refused = api.request(
        "POST",
        "/v1/shop-connections",
        json_body={
            "platform": "shopify",
            "shop": "other.myshopify.com",
            "webhook_secret": "s3cret",
            "next_webhook_secret": "",
        },
    )
    assert refused.status == 400 and refused.json()["error"]["field"] == "next_webhook_secret"


def _over_http(embedded, method: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    host, port = embedded.gateway.address
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request(method, f"/{embedded.gateway.stage}{path}", headers=headers or {})
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        connection.close()


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "PUT", "FOO"])
def test_the_gateway_answers_methods_the_api_lacks_as_api_gateway_does(embedded, method):
    api = TenantApi.create(embedded)
    auth = {"Authorization": f"Bearer {api.tenant.api_key}"}
    status, body = _over_http(embedded, method, "/v1/credits", auth)
    assert status == 403
    assert body == {"error": {"code": "rejected_by_gateway", "message": "Missing Authentication Token"}}


def test_the_gateway_answers_a_resource_the_api_lacks_as_api_gateway_does(embedded):
    status, body = _over_http(embedded, "GET", "/v1/no-such-thing")
    assert status == 403 and body["error"]["message"] == "Missing Authentication Token"


def test_the_gateway_refuses_a_body_over_api_gateways_limit_with_the_documented_413(embedded, document):
    host, port = embedded.gateway.address
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        # Only the announced length matters: the gateway answers before reading a byte of it.
        connection.putrequest("POST", f"/{embedded.gateway.stage}/v1/product-videos")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(10 * 1024 * 1024 + 1))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413
        assert json.loads(response.read())["error"]["code"] == "rejected_by_gateway"
    finally:
        connection.close()
    assert "413" in statuses(document, "post", "/v1/product-videos")


def test_patch_fields_that_cannot_be_cleared_do_not_offer_null(document, embedded):
    # Found by schemathesis' positive_data_acceptance: the document offered `"type": null`,
    # which the API refuses (null means "clear", and these cannot be cleared).
    properties = document["components"]["schemas"]["ShopConnectionUpdate"]["properties"]
    fixed = ("type", "aspect_ratio", "auto_video", "enabled", "review_deadline_action", "webhook_secret")
    for name in fixed:
        assert "anyOf" not in properties[name] and "default" not in properties[name], name
    assert {"type": "null"} in properties["next_webhook_secret"]["anyOf"]

    api = TenantApi.create(embedded)
    created = api.request(
        "POST",
        "/v1/shop-connections",
        json_body={"platform": "shopify", "shop": "nulls.myshopify.com", "webhook_secret": "s3cret"},
    )
    path = f"/v1/shop-connections/{created.json()['id']}"
    for name in fixed:
        answer = api.request("PATCH", path, json_body={name: None})
        assert answer.status == 400 and answer.json()["error"]["field"] == name, answer.body
    cleared = api.request("PATCH", path, json_body={"next_webhook_secret": None})
    assert cleared.status == 200, cleared.body
