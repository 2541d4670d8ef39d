"""Write-back settings and a shop's admin credentials on a connection, through the API (embedded stack).

The credentials are sealed like the webhook secret (bound to the tenant and the connection),
never come back in an answer, and only a connection with write-back on and its platform's
credentials gives its products' tasks a publication.
"""

from __future__ import annotations

from typing import Any

import pytest

from reelay.deps import runtime
from reelay.errors import SealedSecretUnreadable
from reelay.logic.connection_secrets import opened_credentials, secret_context
from tests.integration.pipeline import TenantApi
from tests.integration.test_shop_intake import SHOP, SHOPIFY_SECRET, Shop, shopify_product

TOKEN = "shpat_0123456789abcdef0123456789abcdef"


@pytest.fixture
def api(embedded) -> TenantApi:
    return TenantApi.create(embedded)


def connect(api: TenantApi, **fields: Any) -> Any:
    body = {"platform": "shopify", "shop": SHOP, "webhook_secret": SHOPIFY_SECRET, **fields}
    return api.request("POST", "/v1/shop-connections", json_body=body)


def test_the_admin_token_is_sealed_for_its_connection_and_never_shown(api: TenantApi) -> None:
    answer = connect(api, write_back=True, admin_access_token=TOKEN)

    assert answer.status == 201, answer.body
    view = answer.json()
    flags = (view["write_back"], view["has_admin_access_token"], view["has_consumer_key"])
    assert flags == (True, True, False)
    assert view["shopify_api_version"] == "2025-10"
    path = f"/v1/shop-connections/{view['id']}"
    api.request("GET", path)
    api.request("GET", "/v1/shop-connections")
    assert all(TOKEN not in a.body.decode() for a in api.answers)
    stored = runtime().connections.get(view["id"])
    sealed = stored.sealed_admin_access_token if stored is not None else None
    assert stored is not None and sealed and TOKEN not in sealed
    assert opened_credentials(stored, runtime()).access_token == TOKEN
    with pytest.raises(SealedSecretUnreadable):  # bound to its connection: opens nowhere else
        runtime().secret_box.open(sealed, secret_context(api.tenant_id, "con_other"))


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"consumer_key": "ck_1"}, "consumer_key"),
        ({"admin_access_token": ""}, "admin_access_token"),
        ({"shopify_api_version": "2025-13"}, "shopify_api_version"),
        ({"shopify_api_version": "2024-07"}, "shopify_api_version"),  # productUpdate takes no media yet
        ({"woo_video_meta_key": "has spaces"}, "woo_video_meta_key"),
    ],
)
def test_a_bad_write_back_field_is_a_400_naming_it(api: TenantApi, fields: dict, field: str) -> None:
    answer = connect(api, **fields)

    assert answer.status == 400, answer.body
    assert answer.json()["error"]["field"] == field
    assert api.request("GET", "/v1/shop-connections").json()["items"] == []


def test_patch_sets_and_clears_credentials_and_refuses_another_platform_s(api: TenantApi) -> None:
    connection = connect(api).json()
    path = f"/v1/shop-connections/{connection['id']}"
    assert connection["write_back"] is False and connection["has_admin_access_token"] is False

    on = api.request("PATCH", path, json_body={"write_back": True, "admin_access_token": TOKEN})
    assert on.status == 200, on.body
    assert (on.json()["write_back"], on.json()["has_admin_access_token"]) == (True, True)

    refused = api.request("PATCH", path, json_body={"consumer_secret": "cs_1"})
    assert refused.status == 400
    assert (refused.json()["error"]["code"], refused.json()["error"]["field"]) == (
        "validation_error",
        "consumer_secret",
    )
    assert api.request("PATCH", path, json_body={"write_back": None}).status == 400

    body = {"admin_access_token": None, "shopify_api_version": "2026-01"}
    cleared = api.request("PATCH", path, json_body=body)
    assert cleared.status == 200, cleared.body
    assert (cleared.json()["has_admin_access_token"], cleared.json()["shopify_api_version"]) == (
        False,
        "2026-01",
    )
    assert all(TOKEN not in a.body.decode() for a in api.answers)


def test_woocommerce_takes_a_consumer_key_and_secret(api: TenantApi) -> None:
    answer = api.request(
        "POST",
        "/v1/shop-connections",
        json_body={
            "platform": "woocommerce",
            "shop": "https://shop.example",
            "webhook_secret": "s",
            "write_back": True,
            "consumer_key": "ck_abc",
            "consumer_secret": "cs_abc",
            "woo_video_in_description": True,
        },
    )

    assert answer.status == 201, answer.body
    assert (answer.json()["has_consumer_key"], answer.json()["has_admin_access_token"]) == (True, False)
    assert "cs_abc" not in answer.body.decode() and "ck_abc" not in answer.body.decode()


@pytest.mark.parametrize(
    ("fields", "publishes"),
    [
        ({"write_back": True, "admin_access_token": TOKEN}, True),
        ({"write_back": True}, False),  # nothing to publish with
        ({"admin_access_token": TOKEN}, False),  # write-back off
    ],
)
def test_only_a_write_back_connection_with_its_token_gives_tasks_a_publication(
    api: TenantApi, fields: dict, publishes: bool
) -> None:
    shop = Shop(api, "shopify", SHOP, SHOPIFY_SECRET, **fields)
    product = shopify_product()

    assert shop.send(product).json() == {"result": "created"}

    (task,) = api.request("GET", "/v1/product-videos").json()["items"]
    if publishes:
        assert task["publication"] == {
            **task["publication"],
            "state": "pending",
            "platform": "shopify",
            "connection_id": shop.connection["id"],
            "product_id": str(product["id"]),
            "media_id": None,
        }
    else:
        assert task["publication"] is None
