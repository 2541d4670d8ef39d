"""The first invocations of the shop webhook and the partner-event function, end to end in a fresh
process, import no pydantic: only pydantic-core's URL parser, for the product's image.

`bench/cold_start.py` times a function's init and the clients its first path builds; these make
the whole first invocation for real against moto's server on 127.0.0.1: the webhook takes a
signed products/create from Shopify for a connected shop, opens the connection's secret with KMS,
checks the signature, reads the product and writes its task; the partner-event function takes
the same kind of product from EventBridge. Then each lists what imported pydantic. A shop's
product body is a plain record (reelay.models.shop_products), the prompt limit is not the API's
models' (reelay.models.prompt_templates), an image URL is checked by pydantic-core's parser
alone (reelay.models.http_urls) and the webhook secrets open without the connection use cases
(reelay.logic.connection_secrets), and the stored connection is a plain record
(reelay.models.connection).

The connection is made by the API function in a fresh process of its own, as a merchant makes
one, so this test depends on the connection only through the API's contract.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from reelay.dal.tasks import TaskRepository
from reelay.models.task_ids import derive_task_id_for_product
from reelay_local.aws.api_events import rest_proxy_event
from reelay_local.aws.moto_server import MotoServer
from reelay_local.aws.template import load_template, table_create_kwargs
from tests.integration.first_invocation import first_invocation

EVENTS = Path(__file__).resolve().parents[2] / "events"
SHOP = "cold-path.myshopify.com"
SECRET = "shpss_cold_path_0123456789abcdef"
# The one import of the pydantic family the shop functions make: pydantic-core's URL parser.
URL_CHECK = "reelay.models.http_urls"


class Stack:
    """The table, the KMS key that seals shop secrets, and one Shopify connection made by the API."""

    def __init__(self, moto: MotoServer) -> None:
        # Names of its own: moto's state outlives one server in this process.
        name = f"reelay-shop-cold-{uuid4().hex[:8]}"
        dynamodb = moto.clients("dynamodb")
        dynamodb.create_table(**table_create_kwargs(load_template(), table_name=name))
        self.tasks = TaskRepository(name, client=dynamodb)
        key = moto.clients("kms").create_key(Description="shop secrets")["KeyMetadata"]["KeyId"]
        self.settings = {
            "TABLE_NAME": name,
            "SHOP_SECRETS_KEY_ID": key,
            "PUBLIC_BASE_URL": "https://api.example.com",
        }
        self.tenant_id = f"ten_{uuid4().hex[:12]}"
        body = {
            "platform": "shopify",
            "shop": SHOP,
            "webhook_secret": SECRET,
            "image_prompt_template": "{title}",
        }
        made = first_invocation(
            "api",
            rest_proxy_event(
                method="POST",
                path="/v1/shop-connections",
                resource="/v1/shop-connections",
                headers={"Content-Type": "application/json"},
                body=json.dumps(body).encode(),
                authorizer={"tenant_id": self.tenant_id},
            ),
            moto,
            self.settings,
        )
        assert made["answer"]["statusCode"] == 201, made["answer"]
        self.connection_id = json.loads(made["answer"]["body"])["id"]

    def task_of(self, product_id: object) -> Any:
        return self.tasks.get(derive_task_id_for_product("shopify", SHOP, str(product_id)))


@pytest.fixture
def stack(moto_server: MotoServer) -> Iterator[Stack]:
    yield Stack(moto_server)


def sample(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def signed_hook(connection_id: str, product: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps(product).encode()
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return rest_proxy_event(
        method="POST",
        path=f"/hooks/shopify/{connection_id}",
        resource="/hooks/shopify/{connection_id}",
        path_parameters={"connection_id": connection_id},
        headers={
            "Content-Type": "application/json",
            "X-Shopify-Topic": "products/create",
            "X-Shopify-Shop-Domain": SHOP,
            "X-Shopify-Webhook-Id": str(uuid4()),
            "X-Shopify-Hmac-Sha256": signature,
        },
        body=body,
    )


def is_the_url_parser(found: dict[str, Any]) -> bool:
    return found["package"] == "pydantic_core" and found["importer"] == URL_CHECK


def assert_no_pydantic_but_the_url_parser(seen: dict[str, Any]) -> None:
    # The probe sees every import naming pydantic or pydantic-core: the URL parser's shows it is not blind.
    assert any(is_the_url_parser(found) for found in seen["pydantic_importers"]), seen
    assert [found for found in seen["pydantic_importers"] if not is_the_url_parser(found)] == []
    # However it was loaded (an import statement or importlib), nothing of pydantic itself is.
    assert "pydantic_core" in seen["pydantic"]
    assert [name for name in seen["pydantic"] if name.split(".")[0] != "pydantic_core"] == []
    assert "reelay.models.api" not in seen["reelay"]
    assert "reelay.models.connection_api" not in seen["reelay"]
    assert "reelay.logic.shop_connections" not in seen["reelay"]


def test_the_shop_webhooks_first_invocation_takes_a_product_without_pydantic(
    stack: Stack, moto_server: MotoServer
) -> None:
    product = json.loads(sample("shop_webhook_shopify_products_create.json")["body"])

    seen = first_invocation(
        "shop_webhook", signed_hook(stack.connection_id, product), moto_server, stack.settings
    )

    assert seen["answer"]["statusCode"] == 200, seen["answer"]
    assert json.loads(seen["answer"]["body"]) == {"result": "created"}
    task = stack.task_of(product["id"])
    assert task is not None and task.tenant_id == stack.tenant_id
    assert task.product_url == product["images"][0]["src"].split("?")[0]
    assert task.image_prompt == product["title"]
    # The image URL was checked on this path (a refusal would have failed the task).
    assert task.failed_reason is None
    assert URL_CHECK in seen["reelay"]
    assert_no_pydantic_but_the_url_parser(seen)


def test_the_partner_event_functions_first_invocation_takes_a_product_without_pydantic(
    stack: Stack, moto_server: MotoServer
) -> None:
    event = copy.deepcopy(sample("shop_events_shopify_products_create.json"))
    event["detail"]["metadata"]["X-Shopify-Shop-Domain"] = SHOP
    product = event["detail"]["payload"]

    seen = first_invocation("shop_events", event, moto_server, stack.settings)

    assert seen["answer"] == {"result": "created"}
    task = stack.task_of(product["id"])
    assert task is not None and task.tenant_id == stack.tenant_id
    assert_no_pydantic_but_the_url_parser(seen)
