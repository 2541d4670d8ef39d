"""The local shop's Admin GraphQL API and staged-upload target are as strict as Shopify's, over HTTP.

Raw requests here (httpx, hand-built forms), not Reelay's client: these tests are about what the
simulator accepts and refuses, so that Reelay's tests against it mean something.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

# The documents Reelay's client sends (shopify.dev's stagedUploadsCreate, productUpdate, product).
from reelay.clients.shopify_admin import ATTACH, FIND, STAGE, throttle_wait
from reelay_local.simulators.shop import LocalShop, ShopConfig

FILE = b"\x00\x01video bytes\r\n" * 100


@pytest.fixture
def shop() -> Iterator[LocalShop]:
    with LocalShop(ShopConfig(image_size=128, media_processing_seconds=0)) as running:
        yield running


def graphql(
    shop: LocalShop, query: str, variables: dict[str, Any], token: str | None = None
) -> httpx.Response:
    assert shop.admin is not None
    headers = {"X-Shopify-Access-Token": token if token is not None else shop.admin.access_token}
    return httpx.post(
        f"{shop.base_url}/admin/api/2025-10/graphql.json",
        json={"query": query, "variables": variables},
        headers=headers,
    )


def stage(shop: LocalShop, **fields: Any) -> dict[str, Any]:
    item = {"resource": "VIDEO", "filename": "v.mp4", "mimeType": "video/mp4", "httpMethod": "POST", **fields}
    return graphql(shop, STAGE, {"input": [item]}).json()["data"]["stagedUploadsCreate"]


def form(parameters: list[dict[str, str]], file: bytes, *, file_first: bool = False) -> tuple[bytes, str]:
    boundary = "b0undary"
    fields = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{p["name"]}"\r\n\r\n{p["value"]}\r\n'.encode()
        for p in parameters
    ]
    part = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="v.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
        + file
        + b"\r\n"
    )
    parts = [part, *fields] if file_first else [*fields, part]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def upload(target: dict[str, Any], parameters: list[dict[str, str]], file: bytes, **options: Any) -> int:
    body, content_type = form(parameters, file, **options)
    return httpx.post(target["url"], content=body, headers={"Content-Type": content_type}).status_code


def test_no_or_a_wrong_access_token_is_a_401_like_shopify_s(shop: LocalShop) -> None:
    for token in ("", "shpat_wrong"):
        answer = graphql(shop, STAGE, {"input": []}, token=token)
        assert answer.status_code == 401
        assert "Invalid API key or access token" in answer.json()["errors"]
    assert shop.admin is not None and shop.admin.calls["unauthorized"] == 2


def test_a_video_upload_target_needs_its_file_size(shop: LocalShop) -> None:
    payload = stage(shop)

    assert payload["stagedTargets"] is None
    assert payload["userErrors"] == [
        {"field": ["input", "0", "fileSize"], "message": "File size is required for VIDEO"}
    ]


def test_the_staged_target_takes_only_the_policy_s_form_with_the_file_last_and_its_declared_size(
    shop: LocalShop,
) -> None:
    size = str(len(FILE))
    item = {
        "resource": "VIDEO",
        "filename": "v.mp4",
        "mimeType": "video/mp4",
        "fileSize": size,
        "httpMethod": "POST",
    }
    raw = graphql(shop, STAGE, {"input": [item]}).json()
    assert "cost" in raw["extensions"]
    (target,) = raw["data"]["stagedUploadsCreate"]["stagedTargets"]
    parameters = target["parameters"]

    assert upload(target, parameters[1:], FILE) == 400  # a parameter missing
    assert upload(target, parameters, FILE, file_first=True) == 400  # the file before the parameters
    assert upload(target, parameters, FILE + b"x") == 400  # not the declared size
    media = {"originalSource": target["resourceUrl"], "mediaContentType": "VIDEO", "alt": "a"}
    product = shop.create_product("Mug", images=1)
    early = graphql(
        shop, ATTACH, {"product": {"id": f"gid://shopify/Product/{product['id']}"}, "media": [media]}
    )
    assert early.json()["data"]["productUpdate"]["userErrors"][0]["field"] == ["media", "0", "originalSource"]

    assert upload(target, parameters, FILE) == 204
    attached = graphql(
        shop, ATTACH, {"product": {"id": f"gid://shopify/Product/{product['id']}"}, "media": [media]}
    )
    (video,) = attached.json()["data"]["productUpdate"]["product"]["media"]["nodes"]
    assert (video["mediaContentType"], video["status"], video["filename"]) == ("VIDEO", "READY", "v.mp4")


def test_an_unknown_product_gets_a_null_product_and_a_user_error(shop: LocalShop) -> None:
    answer = graphql(shop, ATTACH, {"product": {"id": "gid://shopify/Product/1"}, "media": []}).json()

    assert answer["data"]["productUpdate"] == {
        "product": None,
        "userErrors": [{"field": ["id"], "message": "Product does not exist"}],
    }


def test_the_throttle_knob_answers_throttled_with_the_cost_extension_reelay_waits_by(shop: LocalShop) -> None:
    assert shop.admin is not None
    shop.admin.throttle_next = 1

    throttled = graphql(shop, STAGE, {"input": []}).json()

    assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
    cost = throttled["extensions"]["cost"]
    status = cost["throttleStatus"]
    assert cost["actualQueryCost"] is None
    expected = (cost["requestedQueryCost"] - status["currentlyAvailable"]) / status["restoreRate"]
    assert throttle_wait(cost) == max(1.0, expected)
    assert (
        "errors"
        not in graphql(
            shop,
            STAGE,
            {
                "input": [
                    {"resource": "IMAGE", "filename": "a.png", "mimeType": "image/png", "httpMethod": "POST"}
                ]
            },
        ).json()
    )


def test_a_product_s_media_come_a_page_at_a_time_oldest_first_as_a_connection_does(shop: LocalShop) -> None:
    assert shop.admin is not None
    product = shop.create_product("Trail Runner", images=1)
    added = [shop.admin.add_video(product["id"], f"merchant-{n}.mp4") for n in range(130)]
    gid = f"gid://shopify/Product/{product['id']}"

    first = graphql(shop, FIND, {"id": gid, "after": None}).json()["data"]["product"]["media"]
    rest = graphql(shop, FIND, {"id": gid, "after": first["pageInfo"]["endCursor"]}).json()
    second = rest["data"]["product"]["media"]

    assert [node["id"] for node in first["nodes"] + second["nodes"]] == [video.gid for video in added]
    assert (len(first["nodes"]), first["pageInfo"]["hasNextPage"]) == (100, True)
    assert (len(second["nodes"]), second["pageInfo"]["hasNextPage"]) == (30, False)


def test_a_media_page_needs_a_size_of_at_most_250_and_a_cursor_the_shop_gave(shop: LocalShop) -> None:
    product = shop.create_product("Trail Runner", images=1)
    gid = f"gid://shopify/Product/{product['id']}"

    unsized = graphql(shop, FIND.replace("first: 100, ", ""), {"id": gid, "after": None}).json()
    oversized = graphql(shop, FIND.replace("first: 100", "first: 251"), {"id": gid, "after": None}).json()
    forged = graphql(shop, FIND, {"id": gid, "after": "not-a-cursor"}).json()

    assert "first or last" in unsized["errors"][0]["message"]
    assert "maximum of 250" in oversized["errors"][0]["message"]
    assert "Invalid cursor" in forged["errors"][0]["message"]
