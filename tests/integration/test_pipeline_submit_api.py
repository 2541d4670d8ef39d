"""The public API as a tenant uses it: submit, idempotency, isolation, listing, approving a video."""

from __future__ import annotations

from reelay.logic.catalog import _avatar_cache
from reelay_local.consumers.webhook_receiver import WebhookReceiver
from tests.integration.pipeline import (
    TenantApi,
    detail_types,
    provider_calls,
    stored,
)


def test_a_retried_submit_with_the_same_idempotency_key_returns_the_same_task(embedded, simulator):
    api = TenantApi.create(embedded)
    body = {"product_url": simulator.sample_product_url("sneaker"), "aspect_ratio": "1x1"}
    key = {"Idempotency-Key": "order-1001-sneaker"}

    first = api.request("POST", "/v1/product-videos", json_body=body, headers=key)
    again = api.request("POST", "/v1/product-videos", json_body=body, headers=key)

    assert first.status == 201, first.body
    assert again.status == 200, again.body
    assert again.json()["id"] == first.json()["id"]
    api.run_until(first.json()["id"])
    assert len(provider_calls(simulator, "gen_image")) == 1


def test_an_idempotency_key_reused_with_another_body_is_a_409(embedded, simulator):
    api = TenantApi.create(embedded)
    key = {"Idempotency-Key": "order-1002"}
    first = api.request(
        "POST", "/v1/product-videos", json_body={"product_url": simulator.sample_product_url()}, headers=key
    )
    assert first.status == 201

    other = api.request(
        "POST",
        "/v1/product-videos",
        json_body={"product_url": simulator.sample_product_url(), "aspect_ratio": "9x16"},
        headers=key,
    )

    assert other.status == 409
    assert other.json()["error"] == {
        "code": "idempotency_conflict",
        "message": "this Idempotency-Key was already used with a different request body",
        "field": "Idempotency-Key",
    }
    # The same key from another tenant is another task altogether.
    elsewhere = TenantApi.create(embedded, "Other Shop").request(
        "POST", "/v1/product-videos", json_body={"product_url": simulator.sample_product_url()}, headers=key
    )
    assert elsewhere.status == 201
    assert elsewhere.json()["id"] != first.json()["id"]


def test_another_tenants_task_is_404_everywhere(embedded, simulator):
    owner, stranger = TenantApi.create(embedded, "Owner"), TenantApi.create(embedded, "Stranger")
    task = owner.submit(simulator.sample_product_url(), auto_video=False)
    owner.run_until(task["id"], "image_generated")

    read = stranger.request("GET", f"/v1/product-videos/{task['id']}")
    approve = stranger.request("POST", f"/v1/product-videos/{task['id']}/video", json_body={})
    listing = stranger.request("GET", "/v1/product-videos")

    assert read.status == 404 and read.json()["error"]["field"] == "id"
    assert approve.status == 404 and approve.json()["error"]["field"] == "id"
    assert listing.status == 200 and listing.json()["items"] == []
    owner.run_until(task["id"], "image_generated")
    assert stored(task["id"]).auto_video is False
    assert provider_calls(simulator, "gen_video") == []


def test_the_listing_filters_by_status_and_pages_newest_first_with_a_cursor(embedded, simulator):
    api = TenantApi.create(embedded)
    url = simulator.sample_product_url()
    waiting = [api.submit(url, auto_video=False)["id"] for _ in range(2)]
    for task_id in waiting:
        api.run_until(task_id, "image_generated")
    fresh = [api.submit(url)["id"] for _ in range(3)]  # not pumped: still initializing
    newest_first = [*reversed(fresh), *reversed(waiting)]

    def pages(query: str) -> list[list[str]]:
        seen, cursor = [], None
        while True:
            answer = api.request(
                "GET", "/v1/product-videos", query=query + (f"&cursor={cursor}" if cursor else "")
            )
            assert answer.status == 200, answer.body
            page = answer.json()
            seen.append([item["id"] for item in page["items"]])
            cursor = page["next_cursor"]
            if cursor is None:
                return seen

    assert pages("limit=2") == [newest_first[0:2], newest_first[2:4], newest_first[4:5]]
    assert pages("limit=2&status=initializing") == [newest_first[0:2], newest_first[2:3]]
    assert pages("status=image_generated") == [list(reversed(waiting))]
    assert pages("status=video_generated") == [[]]


def test_without_auto_video_the_task_waits_at_image_generated_until_the_video_is_asked_for(
    embedded, simulator
):
    api = TenantApi.create(embedded)
    with WebhookReceiver(secret=api.tenant.webhook_secret) as receiver:
        task = api.submit(simulator.sample_product_url("mug"), auto_video=False, webhook_url=receiver.url)
        too_early = api.request("POST", f"/v1/product-videos/{task['id']}/video", json_body={})
        assert too_early.status == 409
        assert too_early.json()["error"]["field"] == "status"
        assert "initializing" in too_early.json()["error"]["message"]

        waiting = api.run_until(task["id"], "image_generated")
        embedded.stack.pump()  # nothing more happens on its own

        assert waiting["status"] == "image_generated" and waiting["generated_photo_url"]
        assert api.status(task["id"]) == "image_generated"
        assert provider_calls(simulator, "gen_video") == []
        assert detail_types(embedded.consumers.events()) == ["Product Video Image Generated"]
        assert embedded.consumers.notifications() == []  # the subscription keeps finished tasks only
        assert [r.json()["status"] for r in receiver.wait_for(1)] == ["image_generated"]

        approved = api.request(
            "POST", f"/v1/product-videos/{task['id']}/video", json_body={"motion_style": "display"}
        )
        assert approved.status == 202, approved.body
        assert approved.json()["auto_video"] is True
        done = api.run_until(task["id"])

        assert done["status"] == "video_generated" and done["generated_video_url"]
        assert done["motion_style"] == "display"
        assert len(provider_calls(simulator, "gen_video")) == 1
        assert simulator.task(stored(task["id"]).provider_task_id)["motion_style"] == "display"
        assert detail_types(embedded.consumers.events()) == ["Product Video Generated"]
        assert len(embedded.consumers.notifications()) == 1
        deliveries = receiver.wait_for(2)
        assert [r.json()["status"] for r in deliveries] == ["image_generated", "video_generated"]
        assert all(r.verified for r in deliveries)

        late = api.request("POST", f"/v1/product-videos/{task['id']}/video", json_body={})
        assert late.status == 409
        assert late.json()["error"]["field"] == "status"
        assert "video_generated" in late.json()["error"]["message"]


def test_avatar_filters_spelled_differently_share_one_cached_creatify_listing(embedded, simulator):
    _avatar_cache.clear()  # per warm container; another test's stack may have filled it
    api = TenantApi.create(embedded)

    answers = [api.request("GET", "/v1/avatars", query=q) for q in ("gender=m,f,m", "gender=f,m")]

    assert [answer.status for answer in answers] == [200, 200]
    assert answers[0].json() == answers[1].json()
    assert {item["gender"] for item in answers[0].json()["items"]} <= {"m", "f"}
    assert len(simulator.calls(method="GET", path_contains="/api/personas/")) == 1
