"""The API's first invocations, end to end in a fresh process, import neither pydantic nor
Powertools' event handler package: only pydantic-core's URL parser, for the request's URLs.

`bench/cold_start.py` times the API's init, its request record and its table client; these make
whole first invocations for real against moto's server on 127.0.0.1, each in a fresh process as a
new Lambda instance would: a product submitted (the body read into its record, its URLs checked,
the task written), a task read back, and a list of the tenant's tasks. Then each lists what it
imported. The routes are declared on reelay.http.rest and the requests and answers are plain
records (reelay.models.api), so none of these brings in pydantic, Powertools' resolvers or asyncio.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest

from reelay_local.aws.api_events import rest_proxy_event
from reelay_local.aws.moto_server import MotoServer
from reelay_local.aws.template import load_template, table_create_kwargs
from tests.integration.first_invocation import first_invocation

# The one import of the pydantic family the API's submit makes: pydantic-core's URL parser.
URL_CHECK = "reelay.models.http_urls"


class Stack:
    """The table on moto's server and the API function's settings for it."""

    def __init__(self, moto: MotoServer) -> None:
        # Names of its own: moto's state outlives one server in this process.
        name = f"reelay-api-cold-{uuid4().hex[:8]}"
        moto.clients("dynamodb").create_table(**table_create_kwargs(load_template(), table_name=name))
        self.settings = {
            "TABLE_NAME": name,
            "PUBLIC_BASE_URL": "https://api.example.com",
            # The request's URLs are on 127.0.0.1, so the guard resolves no name.
            "REELAY_ALLOW_LOOPBACK_WEBHOOKS": "true",
        }
        self.tenant_id = f"ten_{uuid4().hex[:12]}"
        self.moto = moto

    def call(self, method: str, resource: str, **sent: Any) -> dict[str, Any]:
        event = rest_proxy_event(
            method=method,
            path=resource.replace("{id}", sent.get("path_parameters", {}).get("id", "")),
            resource=resource,
            authorizer={"tenant_id": self.tenant_id},
            **sent,
        )
        return first_invocation("api", event, self.moto, self.settings)


@pytest.fixture
def stack(moto_server: MotoServer) -> Iterator[Stack]:
    yield Stack(moto_server)


def assert_lean(seen: dict[str, Any], *, url_check: bool) -> None:
    parser = [
        found
        for found in seen["pydantic_importers"]
        if found["package"] == "pydantic_core" and found["importer"] == URL_CHECK
    ]
    others = [f for f in seen["pydantic_importers"] if f not in parser]
    assert others == [], others
    # However it was loaded (an import statement or importlib), nothing of pydantic itself is.
    assert [name for name in seen["pydantic"] if name.split(".")[0] != "pydantic_core"] == []
    if url_check:  # the probe sees the URL parser's import: it is not blind
        assert parser and "pydantic_core" in seen["pydantic"], seen
    assert seen["event_handler"] == []


def test_the_apis_first_invocation_submits_a_product_without_pydantic_or_a_resolver(stack: Stack) -> None:
    body = {
        "product_url": "http://127.0.0.1:9/product.png",
        "webhook_url": "http://127.0.0.1:9/hook",
        "external_ref": {"source": "shopify", "shop": "cold.myshopify.com", "product_id": "42"},
    }
    seen = stack.call(
        "POST",
        "/v1/product-videos",
        headers={"Content-Type": "application/json", "Idempotency-Key": "cold-1"},
        body=json.dumps(body).encode(),
    )

    assert seen["answer"]["statusCode"] == 201, seen["answer"]
    task = json.loads(seen["answer"]["body"])
    assert task["status"] == "initializing"
    assert task["product_url"] == body["product_url"]
    assert task["external_ref"]["product_id"] == "42"
    assert_lean(seen, url_check=True)

    read = stack.call("GET", "/v1/product-videos/{id}", path_parameters={"id": task["id"]})
    assert read["answer"]["statusCode"] == 200, read["answer"]
    assert json.loads(read["answer"]["body"])["id"] == task["id"]
    assert_lean(read, url_check=False)

    listed = stack.call("GET", "/v1/product-videos", query_string="limit=5")
    assert listed["answer"]["statusCode"] == 200, listed["answer"]
    assert [item["id"] for item in json.loads(listed["answer"]["body"])["items"]] == [task["id"]]
    assert_lean(listed, url_check=False)


def test_a_refused_first_request_is_answered_without_pydantic_either(stack: Stack) -> None:
    seen = stack.call(
        "POST",
        "/v1/product-videos",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"product_url": "ftp://nowhere/p.png"}).encode(),
    )

    assert seen["answer"]["statusCode"] == 400
    assert json.loads(seen["answer"]["body"])["error"]["field"] == "product_url"
    assert_lean(seen, url_check=True)
