"""Bad input is the caller's mistake: a 4xx in the one error shape, naming the field, never a 5xx.

One stack serves the whole table (nothing here changes state that another case reads), so the
table stays cheap to grow.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from reelay.deps import runtime
from reelay_local.simulators.creatify import CreatifySimulator, SimulatorConfig
from tests.integration.pipeline import RunningStack, TenantApi

GOOD_URL = "https://cdn.example.com/p/sneaker.png"
SUBMIT = "/v1/product-videos"


def submit_body(**fields: object) -> bytes:
    return json.dumps({"product_url": GOOD_URL, **fields}).encode()


JSON = {"Content-Type": "application/json"}

# (method, path, query, body, extra headers, field the error must name; None: no field exists)
CASES = [
    pytest.param("POST", SUBMIT, "", b"{}", JSON, "product_url", id="missing product_url"),
    pytest.param(
        "POST", SUBMIT, "", b'{"product_url": "not a url"}', JSON, "product_url", id="product_url not a URL"
    ),
    pytest.param(
        "POST", SUBMIT, "", b'{"product_url": "ftp://x.example/a.png"}', JSON, "product_url", id="ftp URL"
    ),
    pytest.param(
        "POST",
        SUBMIT,
        "",
        json.dumps({"product_url": "https://x.example/" + "a" * 190}).encode(),
        JSON,
        "product_url",
        id="product_url over 200 chars",
    ),
    pytest.param(
        "POST",
        SUBMIT,
        "",
        json.dumps({"product_url": "https://x.example/a\u0000b.png"}).encode(),
        JSON,
        "product_url",
        id="product_url with a control character",
    ),
    pytest.param(
        "POST", SUBMIT, "", submit_body(aspect_ratio="4x3"), JSON, "aspect_ratio", id="bad aspect_ratio"
    ),
    pytest.param("POST", SUBMIT, "", submit_body(type="product_video"), JSON, "type", id="bad type"),
    pytest.param(
        "POST", SUBMIT, "", submit_body(motion_style="dancing"), JSON, "motion_style", id="bad motion_style"
    ),
    pytest.param(
        "POST",
        SUBMIT,
        "",
        submit_body(type="product_avatar", override_avatar="not-a-uuid"),
        JSON,
        "override_avatar",
        id="override_avatar not a uuid",
    ),
    pytest.param("POST", SUBMIT, "", submit_body(colour="red"), JSON, "colour", id="unknown field"),
    pytest.param("POST", SUBMIT, "", b'{"product_url": 123}', JSON, "product_url", id="number for a string"),
    pytest.param("POST", SUBMIT, "", b'{"product_url": 1e999}', JSON, "product_url", id="huge number"),
    pytest.param(
        "POST", SUBMIT, "", submit_body(auto_video="maybe"), JSON, "auto_video", id="string for a boolean"
    ),
    pytest.param(
        "POST", SUBMIT, "", submit_body(override_avatar=5), JSON, "override_avatar", id="number for a uuid"
    ),
    pytest.param(
        "POST",
        SUBMIT,
        "",
        submit_body(external_ref="shopify"),
        JSON,
        "external_ref",
        id="string for an object",
    ),
    pytest.param(
        "POST",
        SUBMIT,
        "",
        submit_body(external_ref={"source": "x" * 40}),
        JSON,
        "external_ref.source",
        id="nested field too long",
    ),
    pytest.param(
        "POST",
        SUBMIT,
        "",
        submit_body(external_ref={"source": ""}),
        JSON,
        "external_ref.source",
        id="nested field empty",
    ),
    pytest.param(
        "POST", SUBMIT, "", submit_body(webhook_url="http://"), JSON, "webhook_url", id="webhook_url no host"
    ),
    pytest.param(
        "POST", SUBMIT, "", submit_body(image_prompt="a" * 2001), JSON, "image_prompt", id="prompt too long"
    ),
    pytest.param("POST", SUBMIT, "", b"[]", JSON, "body", id="array body"),
    pytest.param("POST", SUBMIT, "", b'"text"', JSON, "body", id="string body"),
    pytest.param("POST", SUBMIT, "", b"null", JSON, "body", id="null body"),
    pytest.param("POST", SUBMIT, "", None, JSON, "body", id="empty body"),
    pytest.param("POST", SUBMIT, "", b"product_url=x", JSON, None, id="non-JSON body"),
    pytest.param("POST", SUBMIT, "", b'{"product_url": ', JSON, None, id="truncated JSON"),
    pytest.param("POST", SUBMIT, "", b"\xff\xfe{}", JSON, None, id="body not UTF-8"),
    pytest.param(
        "POST",
        SUBMIT,
        "",
        submit_body(),
        {"Content-Type": "text/plain"},
        "Content-Type",
        id="text/plain body",
    ),
    pytest.param(
        "POST",
        SUBMIT,
        "",
        submit_body(),
        {**JSON, "Idempotency-Key": "k" * 256},
        "idempotency-key",
        id="Idempotency-Key too long",
    ),
    pytest.param("GET", SUBMIT, "limit=1000", None, {}, "limit", id="huge limit"),
    pytest.param("GET", SUBMIT, "limit=0", None, {}, "limit", id="zero limit"),
    pytest.param("GET", SUBMIT, "limit=ten", None, {}, "limit", id="limit not a number"),
    pytest.param("GET", SUBMIT, "cursor=not-a-cursor", None, {}, "cursor", id="bad cursor"),
    pytest.param("GET", SUBMIT, "cursor=" + "A" * 3000, None, {}, "cursor", id="huge cursor"),
    pytest.param("GET", SUBMIT, "status=done", None, {}, "status", id="bad status filter"),
    pytest.param("GET", f"{SUBMIT}/{'x' * 100}", "", None, {}, "id", id="path id too long"),
    pytest.param("GET", f"{SUBMIT}/no-such-task", "", None, {}, "id", id="unknown path id"),
    pytest.param("GET", f"{SUBMIT}/%00%2F..", "", None, {}, "id", id="path id with escapes"),
    pytest.param(
        "POST",
        f"{SUBMIT}/no-such-task/video",
        "",
        b'{"motion_style": "x"}',
        JSON,
        "motion_style",
        id="video body",
    ),
    pytest.param(
        "POST", f"{SUBMIT}/no-such-task/video", "", b'{"x": 1}', JSON, "x", id="video unknown field"
    ),
    pytest.param("POST", f"{SUBMIT}/no-such-task/video", "", b"{", JSON, None, id="video non-JSON"),
    pytest.param("POST", f"{SUBMIT}/{'x' * 65}/video", "", None, JSON, "id", id="video path id too long"),
    pytest.param("GET", "/v1/avatars", "gender=x", None, {}, "gender", id="bad avatar filter"),
    pytest.param(
        "POST", "/webhooks/creatify/t-1", "sig=forged", b"not json", JSON, None, id="callback forged"
    ),
    pytest.param("POST", "/webhooks/creatify/t-1", "", b"{}", JSON, None, id="callback without sig"),
    pytest.param(
        "POST", "/webhooks/creatify/t-1", "sig=%C3%A9", b"{}", JSON, None, id="callback sig not ASCII"
    ),
    pytest.param(
        "POST", "/webhooks/creatify/t-1", "sig=" + "a" * 65, b"[1]", JSON, "sig", id="callback sig too long"
    ),
    pytest.param(
        "POST", f"/webhooks/creatify/{'x' * 65}", "sig=a", b"{}", JSON, "task_id", id="callback id too long"
    ),
]


@pytest.fixture(scope="module")
def api() -> Iterator[TenantApi]:
    with (
        CreatifySimulator(SimulatorConfig(image_seconds=0.2, video_seconds=0.3, seed=7)) as simulator,
        RunningStack(simulator) as embedded,
    ):
        yield TenantApi.create(embedded)


@pytest.mark.parametrize(("method", "path", "query", "body", "headers", "field"), CASES)
def test_bad_input_is_a_4xx_naming_the_field(
    api: TenantApi,
    method: str,
    path: str,
    query: str,
    body: bytes | None,
    headers: dict[str, str],
    field: str | None,
) -> None:
    answer = api.request(method, path, query=query, body=body, headers=headers)
    assert 400 <= answer.status < 500, (answer.status, answer.body)
    error = answer.json()["error"]
    assert error["code"] and error["message"]
    if field is None:
        assert "field" not in error
    else:
        assert error.get("field", "").lower() == field.lower(), error


def test_a_cursor_from_another_tenants_listing_is_refused(api: TenantApi) -> None:
    other = TenantApi.create(api.embedded, "Other Shop")
    for _ in range(2):
        other.submit(GOOD_URL)
    cursor = other.request("GET", SUBMIT, query="limit=1").json()["next_cursor"]
    assert cursor

    answer = api.request("GET", SUBMIT, query=f"cursor={cursor}")

    assert answer.status == 400
    assert answer.json()["error"]["field"] == "cursor"


def test_a_missing_or_unknown_api_key_is_a_401_in_the_same_error_shape(api: TenantApi) -> None:
    for authorization in ("", "Bearer rly_not-a-key", "Basic Zm9vOmJhcg==", "Bearer " + "x" * 5000):
        answer = api.embedded.stack.api_request(
            "POST", SUBMIT, headers={"Authorization": authorization, **JSON}, body=submit_body()
        )
        assert answer.status == 401, authorization
        assert answer.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    "body",
    [b'{"id": "not-a-uuid"}', b'{"id": 5}', b'{"id": null}', b"[]", b'"text"', b"{", b"\xff", b""],
    ids=["id not a uuid", "id a number", "id null", "array", "string", "truncated", "not UTF-8", "empty"],
)
def test_a_signed_callback_with_a_malformed_body_is_answered_calmly_and_changes_nothing(api, body):
    task_id = api.submit(GOOD_URL)["id"]  # never pumped: Creatify has not named its task yet
    url = runtime().callback_signer.callback_url(api.embedded.api_url, task_id)
    path, _, query = url.removeprefix(api.embedded.api_url).partition("?")
    before = runtime().tasks.get(task_id)

    answer = api.embedded.stack.api_request("POST", path, query_string=query, headers=JSON, body=body)

    assert answer.status == 200, answer.body
    assert answer.json() == {"result": "no_change"}
    assert runtime().tasks.get(task_id) == before


HOSTILE_BODIES = [
    pytest.param(b"[" * 10_000 + b"]" * 10_000, JSON, "invalid_json", None, id="arrays nested 10000 deep"),
    pytest.param(
        b'{"a":' * 5_000 + b"1" + b"}" * 5_000, JSON, "invalid_json", None, id="objects nested 5000 deep"
    ),
    pytest.param(
        json.dumps({"product_url": GOOD_URL}).encode()[:-1]
        + b', "product_url": "https://evil.example/x.png"}',
        JSON,
        "invalid_json",
        None,
        id="duplicate keys",
    ),
    pytest.param(b"\xff\xfe\x00bad", JSON, "invalid_json", None, id="invalid UTF-8"),
    pytest.param(
        submit_body(),
        {"Content-Type": "application/x-www-form-urlencoded"},
        "unsupported_media_type",
        "Content-Type",
        id="JSON sent as a form (curl's default)",
    ),
    pytest.param(
        submit_body(), {"Content-Type": "text/plain"}, "unsupported_media_type", "Content-Type", id="text"
    ),
    pytest.param(
        json.dumps({"product_url": GOOD_URL, "image_prompt": "x" * (10 * 1024 * 1024)}).encode(),
        JSON,
        "validation_error",
        "image_prompt",
        id="10 MB body",
    ),
]


@pytest.mark.parametrize(("body", "headers", "code", "field"), HOSTILE_BODIES)
def test_a_hostile_body_is_a_4xx_in_the_error_shape_never_a_5xx(
    api: TenantApi, body: bytes, headers: dict[str, str], code: str, field: str | None, caplog
) -> None:
    before = api.request("GET", SUBMIT, query="limit=100").json()["items"]

    answer = api.request("POST", SUBMIT, body=body, headers=headers)

    assert 400 <= answer.status < 500, (answer.status, answer.body[:300])
    error = answer.json()["error"]
    assert error["code"] == code, error
    assert error.get("field") == field
    assert api.request("GET", SUBMIT, query="limit=100").json()["items"] == before


@pytest.mark.parametrize(
    ("field", "url", "why"),
    [
        ("product_url", "http://10.0.0.5/p.png", "private"),
        ("product_url", "http://169.254.169.254/latest/meta-data/iam/x.png", "link-local"),
        ("product_showcase_url", "http://[2002:a9fe:a9fe::1]/p.png", "link-local"),
        ("product_showcase_url", "http://100.64.0.7/p.png", "non-public"),
        ("webhook_url", "http://169.254.169.254/latest/meta-data/", "link-local"),
        ("webhook_url", "http://[fec0::1]/hook", "private"),
        ("webhook_url", "http://[64:ff9b::a00:5]/hook", "private"),
        ("webhook_url", "http://[fd00:ec2::254]/", "metadata"),
    ],
)
def test_a_url_leading_to_an_internal_address_is_refused_at_submit_naming_the_field(
    api: TenantApi, field: str, url: str, why: str
) -> None:
    before = api.request("GET", SUBMIT, query="limit=100").json()["items"]

    answer = api.request("POST", SUBMIT, body=submit_body(**{field: url}), headers=JSON)

    assert answer.status == 400, answer.body
    error = answer.json()["error"]
    assert error["field"] == field
    assert why in error["message"]
    assert api.request("GET", SUBMIT, query="limit=100").json()["items"] == before
