"""The API's request and answer records: their rules, their JSON, and the fingerprint pydantic left us.

The pinned figures and JSON literals were computed by the pydantic models these records replace
(models.api and models.history_view before the records), for the same inputs: a fingerprint is
stored with each task and compared when a retry reuses an Idempotency-Key, possibly across a
deploy, and the answers are what clients read.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from reelay.errors import IdempotencyConflict
from reelay.logic.catalog import list_avatars
from reelay.logic.submit import submit_product_video
from reelay.logic.task_history import history_of
from reelay.logic.task_views import list_tenant_tasks
from reelay.models.api import (
    Credits,
    ProductVideo,
    ProductVideoRequest,
    RegenerateRequest,
    RejectRequest,
    VideoRequest,
)
from reelay.models.creatify_catalog import Persona
from reelay.models.history_view import StateChange, read_entry
from reelay.models.media import ArchivedFile, Publication
from reelay.models.records import InvalidRecord
from reelay.models.status import TaskStatus
from reelay.models.task import ExternalRef, ReviewDeadlineAction, Task
from reelay.models.upstream import MotionStyle
from tests.unit.fakes import TENANT, FakeRuntime, ScriptedCreatify

MINIMAL = {"product_url": "https://example.com/a.png"}
EVERY_FIELD = {
    "product_url": "  https://shop.example.com/p/1.jpg?size=large&v=2  ",
    "type": "product_avatar",
    "aspect_ratio": "9x16",
    "image_prompt": "A bright studio shot",
    "override_avatar": "{0E9A1B2C-3D4E-4F50-8A6B-7C8D9E0F1A2B}",
    "product_showcase_url": "http://cdn.example.org/showcase.png",
    "video_prompt": "Slow pan",
    "motion_style": "display",
    "webhook_url": "https://hooks.example.net/reelay",
    "auto_video": False,
    "review_deadline_hours": 48,
    "review_deadline_action": "reject",
    "external_ref": {
        "source": "shopify",
        "shop": "demo.myshopify.com",
        "product_id": "gid://shopify/Product/1",
        "title": "Mug",
        "admin_url": "https://admin.shopify.com/store/demo/products/1",
    },
}
NON_ASCII = {
    "product_url": "https://example.com/caf%C3%A9.png",
    "image_prompt": 'Café — 東京 ✨ "quoted" back\\slash\nnew line\ttab \x01 \x7f \u2028 😀',
    "motion_style": "",
    "external_ref": {"title": "Crème brûlée ☕", "product_id": "42"},
}
# Unicode's spaces stripped, the ASCII separators (\x1c-\x1f) kept, as pydantic did.
EDGED = {
    "product_url": " https://example.com/a.png\u3000",
    "image_prompt": "\x1f\u2003Mug\x1c ",
    "video_prompt": "\u00a0",
}


@pytest.mark.parametrize(
    ("body", "fingerprint"),
    [
        pytest.param(
            MINIMAL, "ddaa94462132c56e8b6703645b100010436a6a71a705875bd856d1614a627b65", id="minimal"
        ),
        pytest.param(
            EVERY_FIELD, "24f71c7dd6c857d9b8ab921c4d28185f1f1f4ce37d4cd6a086e70a6556f3134e", id="every field"
        ),
        pytest.param(
            NON_ASCII, "a52ddba214aba3b50efeb31dff64a837181055aacb7379f1c5c868982c30ef17", id="non-ascii"
        ),
        pytest.param(
            EDGED, "f720155f3588476668c2a022e3f75c89c94eb287754ac7fb9ecfc94df5e77bc5", id="edged with spaces"
        ),
    ],
)
def test_the_fingerprint_is_the_one_pydantic_computed_for_the_same_body(body: dict, fingerprint: str) -> None:
    assert ProductVideoRequest.from_stored(body).fingerprint() == fingerprint


def test_a_request_is_read_as_pydantic_read_it_stripped_normalised_and_nested() -> None:
    request = ProductVideoRequest.from_stored(EVERY_FIELD)

    assert request.product_url == "https://shop.example.com/p/1.jpg?size=large&v=2"
    assert request.override_avatar == "0e9a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b"
    assert request.motion_style is MotionStyle.DISPLAY
    assert request.review_deadline_action is ReviewDeadlineAction.REJECT
    # The task's own record, not a copy: what submit stores as it is.
    assert request.external_ref == ExternalRef(
        source="shopify",
        shop="demo.myshopify.com",
        product_id="gid://shopify/Product/1",
        title="Mug",
        admin_url="https://admin.shopify.com/store/demo/products/1",
    )


def test_strings_are_stripped_of_unicode_spaces_as_pydantic_stripped_them() -> None:
    request = ProductVideoRequest.from_stored(EDGED)

    assert (request.product_url, request.image_prompt, request.video_prompt) == (
        "https://example.com/a.png",
        "\x1f\u2003Mug\x1c",
        "",
    )


def refusal(record: Any, body: dict) -> InvalidRecord:
    with pytest.raises(InvalidRecord) as caught:
        record.from_stored(body)
    return caught.value


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({**MINIMAL, "colour": "red"}, "colour", id="unknown key"),
        pytest.param({**MINIMAL, "external_ref": {"sku": "1"}}, "external_ref.sku", id="unknown nested key"),
        pytest.param({}, "product_url", id="no product_url"),
        pytest.param({**MINIMAL, "image_prompt": "x" * 2001}, "image_prompt", id="prompt too long"),
        pytest.param({**MINIMAL, "video_prompt": "x" * 2001}, "video_prompt", id="video prompt too long"),
        pytest.param({"product_url": "ftp://example.com/a.png"}, "product_url", id="not http"),
        pytest.param({"product_url": "example.com/a.png"}, "product_url", id="not absolute"),
        pytest.param({"product_url": "https://exa mple.com/a.png"}, "product_url", id="a space"),
        pytest.param({"product_url": "https://e.com/" + "a" * 187}, "product_url", id="201 characters"),
        pytest.param({**MINIMAL, "webhook_url": "javascript:alert(1)"}, "webhook_url", id="bad webhook"),
        pytest.param({**MINIMAL, "product_showcase_url": "https://"}, "product_showcase_url", id="no host"),
        pytest.param({**MINIMAL, "override_avatar": "not-a-uuid"}, "override_avatar", id="not a uuid"),
        pytest.param({**MINIMAL, "motion_style": "wobbly"}, "motion_style", id="unknown motion style"),
        pytest.param({**MINIMAL, "type": "product_video"}, "type", id="unknown type"),
        pytest.param({**MINIMAL, "review_deadline_hours": 0}, "review_deadline_hours", id="0 hours"),
        pytest.param({**MINIMAL, "review_deadline_hours": 721}, "review_deadline_hours", id="721 hours"),
        pytest.param({**MINIMAL, "auto_video": "yes"}, "auto_video", id="not a bool"),
        pytest.param({**MINIMAL, "external_ref": {"source": ""}}, "external_ref.source", id="empty source"),
    ],
)
def test_a_bad_request_is_refused_naming_the_field(body: dict, field: str) -> None:
    assert refusal(ProductVideoRequest, body).field == field


def test_a_bad_url_is_refused_with_what_is_wrong() -> None:
    assert "absolute http or https URL" in str(refusal(ProductVideoRequest, {"product_url": "ftp://e.com/a"}))
    assert "longer than 200" in str(
        refusal(ProductVideoRequest, {"product_url": "https://e.com/" + "a" * 187})
    )


def test_limits_are_inclusive_and_counted_after_stripping() -> None:
    request = ProductVideoRequest.from_stored(
        {
            "product_url": "https://e.com/" + "a" * 186,
            "image_prompt": "  " + "x" * 2000 + "  ",
            "review_deadline_hours": 720,
        }
    )
    assert (len(request.product_url), len(request.image_prompt or "")) == (200, 2000)
    assert ProductVideoRequest.from_stored({**MINIMAL, "review_deadline_hours": 1}).review_deadline_hours == 1


def test_a_blank_motion_style_is_read_as_none() -> None:
    assert ProductVideoRequest.from_stored({**MINIMAL, "motion_style": ""}).motion_style is None
    assert VideoRequest.from_stored({"motion_style": ""}).motion_style is None
    assert VideoRequest.from_stored({"motion_style": "talking"}).motion_style is MotionStyle.TALKING
    assert refusal(VideoRequest, {"motion_style": "  "}).field == "motion_style"


@pytest.mark.parametrize(
    "sent",
    [
        "0E9A1B2C-3D4E-4F50-8A6B-7C8D9E0F1A2B",
        "0e9a1b2c3d4e4f508a6b7c8d9e0f1a2b",
        "urn:uuid:0e9a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b",
        " {0e9a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b} ",
    ],
)
def test_an_avatar_id_is_normalised_as_a_uuid_string(sent: str) -> None:
    request = ProductVideoRequest.from_stored({**MINIMAL, "override_avatar": sent})
    assert request.override_avatar == "0e9a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b"


@pytest.mark.parametrize(
    ("record", "body", "field"),
    [
        pytest.param(RegenerateRequest, {"image_prompt": "x" * 2001}, "image_prompt", id="regenerate prompt"),
        pytest.param(RegenerateRequest, {"prompt": "x"}, "prompt", id="regenerate unknown key"),
        pytest.param(RejectRequest, {"reason": "x" * 501}, "reason", id="reject reason"),
        pytest.param(RejectRequest, {"why": "x"}, "why", id="reject unknown key"),
        pytest.param(VideoRequest, {"video_prompt": "x" * 2001}, "video_prompt", id="video prompt"),
        pytest.param(VideoRequest, {"motion": "talking"}, "motion", id="video unknown key"),
    ],
)
def test_the_review_bodies_keep_their_limits(record: Any, body: dict, field: str) -> None:
    assert refusal(record, body).field == field


def test_the_review_bodies_strip_their_text() -> None:
    assert RejectRequest.from_stored({"reason": "  blurry \n"}).reason == "blurry"
    assert RegenerateRequest.from_stored({"image_prompt": " brighter "}).image_prompt == "brighter"


T0 = datetime(2026, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)


def test_a_task_is_shown_as_the_pydantic_model_answered_it() -> None:
    task = Task(
        id="7d3c9f0e-1111-4222-8333-944455556666",
        tenant_id="t1",
        status=TaskStatus.IMAGE_GENERATED,
        type="product_avatar",
        product_url="https://example.com/a.png",
        override_avatar="0e9a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b",
        image_prompt="Café",
        motion_style="display",
        webhook_url="https://hooks.example.net/r",
        generated_photo_url="https://cdn.creatify.ai/p.png",
        auto_video=False,
        external_ref=ExternalRef(source="shopify", shop="demo.myshopify.com", product_id="1", title="Mug"),
        regen_source_id="0000aaaa-0000-4000-8000-000000000001",
        publication=Publication(
            platform="shopify", connection_id="c1", product_id="1", attempts=2, updated_at=T0
        ),
        created_at=T0,
        updated_at=datetime(2026, 3, 14, 15, 10, tzinfo=UTC),
        archive={
            "photo": ArchivedFile(
                state="archived", key="t1/x/photo.png", bytes=1234, content_type="image/png"
            )
        },
    )
    media = {
        "bucket": "reelay-media",
        "photo": {
            "state": "archived",
            "key": "t1/x/photo.png",
            "bytes": 1234,
            "content_type": "image/png",
            "url": "https://api.example.com/v1/media/x/photo",
            "failed_reason": None,
        },
        "video": None,
    }

    shown = ProductVideo.from_task(task, media).as_json()

    assert json.dumps(shown, ensure_ascii=False) == (
        '{"id": "7d3c9f0e-1111-4222-8333-944455556666", '
        '"status": "image_generated", "type": "product_avatar", '
        '"product_url": "https://example.com/a.png", "aspect_ratio": "16x9", '
        '"override_avatar": "0e9a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b", "product_showcase_url": null, '
        '"image_prompt": "Café", "video_prompt": null, "motion_style": "display", '
        '"webhook_url": "https://hooks.example.net/r", '
        '"generated_photo_url": "https://cdn.creatify.ai/p.png", '
        '"generated_video_url": null, "failed_reason": null, "auto_video": false, '
        '"external_ref": {"source": "shopify", "shop": "demo.myshopify.com", '
        '"product_id": "1", "title": "Mug", '
        '"admin_url": null}, '
        '"regen_source_id": "0000aaaa-0000-4000-8000-000000000001", "regenerated_as": null, '
        '"publication": {"state": "pending", "platform": "shopify", '
        '"connection_id": "c1", "product_id": "1", '
        '"media_id": null, "reason": null, "attempts": 2, "updated_at": "2026-03-14T15:09:26.535897Z"}, '
        '"created_at": "2026-03-14T15:09:26.535897Z", "updated_at": "2026-03-14T15:10:00Z", '
        '"media": {"bucket": "reelay-media", "photo": {"state": "archived", "key": "t1/x/photo.png", '
        '"bytes": 1234, "content_type": "image/png", "url": "https://api.example.com/v1/media/x/photo", '
        '"failed_reason": null}, "video": null}}'
    )


def test_a_task_without_media_or_publication_shows_them_as_null() -> None:
    task = Task(id="x", tenant_id="t", product_url="https://e.com/a.png", created_at=T0, updated_at=T0)

    shown = ProductVideo.from_task(task).as_json()

    assert (shown["media"], shown["publication"], shown["created_at"]) == (
        None,
        None,
        "2026-03-14T15:09:26.535897Z",
    )
    assert shown["external_ref"] == {
        "source": "api",
        "shop": None,
        "product_id": None,
        "title": None,
        "admin_url": None,
    }


def test_credits_hold_a_day_and_refuse_negative_counts() -> None:
    figures = {
        "remaining_credits": 12.5,
        "day": date(2025, 1, 1),
        "daily_budget": None,
        "used_today": 0,
        "left_today": None,
        "resets_at": datetime(2025, 1, 2, tzinfo=UTC),
    }
    assert Credits(**figures).as_json()["day"] == "2025-01-01"
    for field in ("used_today", "left_today"):
        with pytest.raises(InvalidRecord) as caught:
            Credits(**{**figures, field: -1})
        assert caught.value.field == field
    with pytest.raises(InvalidRecord):
        Credits.from_stored({name: value for name, value in figures.items() if name != "left_today"})


MS = 1741964966535


def test_a_history_is_shown_as_the_pydantic_models_answered_it() -> None:
    task = Task(
        id="h1",
        tenant_id="t1",
        product_url="https://e.com/a.png",
        status="failed",
        failed_reason="Creatify said no",
        external_ref=ExternalRef(source="shopify"),
        created_at=datetime(2025, 3, 14, 15, 9, 26, tzinfo=UTC),
        history_dropped=2,
        history=[
            {"k": "s", "t": Decimal(MS), "to": "image_generating", "by": "worker"},
            {
                "k": "c",
                "t": Decimal(MS + 1),
                "job": "gen_image",
                "o": "retry_scheduled",
                "by": "worker",
                "why": "HTTP 503",
                "n": Decimal(1),
            },
            {"k": "c", "t": Decimal(MS + 2), "job": "gen_image", "o": "from-the-future", "by": "worker"},
            {
                "k": "d",
                "t": Decimal(MS + 3),
                "n": Decimal(2),
                "o": "delivered",
                "code": Decimal(200),
                "ms": Decimal(87),
                "ev": "image_generated",
                "rp": Decimal(1),
            },
            {"k": "r", "t": Decimal(MS + 4), "o": "regenerated", "new": "h2"},
            {
                "k": "a",
                "t": Decimal(MS + 5),
                "a": "photo",
                "o": "archived",
                "n": Decimal(1),
                "b": Decimal(4096),
            },
            {"k": "p", "t": Decimal(MS + 6), "o": "published", "media": "gid://shopify/MediaImage/9"},
            {"k": "zz", "t": Decimal(MS + 7)},
            {"k": "s", "t": Decimal(MS + 8), "to": "failed", "by": "callback"},
        ],
    )

    assert json.dumps(history_of(task).as_json()) == (
        '{"task_id": "h1", "status": "failed", "entries": ['
        '{"at": "2025-03-14T15:09:26Z", "kind": "state", "from_status": null, "to_status": "initializing", '
        '"by": "shop (shopify)", "reason": null}, '
        '{"at": "2025-03-14T15:09:26.535000Z", "kind": "state", "from_status": "initializing", '
        '"to_status": "image_generating", "by": "worker", "reason": null}, '
        '{"at": "2025-03-14T15:09:26.536000Z", "kind": "provider_call", "job": "gen_image", '
        '"outcome": "retry_scheduled", "by": "worker", "reason": "HTTP 503", "retry": 1}, '
        '{"at": "2025-03-14T15:09:26.538000Z", "kind": "delivery", "attempt": 2, "outcome": "delivered", '
        '"status_code": 200, "error": null, "latency_ms": 87, '
        '"event_status": "image_generated", "replay": 1}, '
        '{"at": "2025-03-14T15:09:26.539000Z", "kind": "review", '
        '"action": "regenerated", "regenerated_as": "h2"}, '
        '{"at": "2025-03-14T15:09:26.540000Z", "kind": "archive", "asset": "photo", "outcome": "archived", '
        '"attempt": 1, "bytes": 4096, "reason": null}, '
        '{"at": "2025-03-14T15:09:26.541000Z", "kind": "publication", '
        '"outcome": "published", "reason": null, '
        '"media_id": "gid://shopify/MediaImage/9"}, '
        '{"at": "2025-03-14T15:09:26.543000Z", "kind": "state", "from_status": "image_generating", '
        '"to_status": "failed", "by": "callback", "reason": "Creatify said no"}], "dropped": 2}'
    )


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param({"k": "s", "t": MS}, id="a step without its status"),
        pytest.param({"k": "s", "t": MS, "to": "teleported"}, id="a status from a newer version"),
        pytest.param({"k": "d", "t": MS, "n": Decimal("1.5")}, id="an attempt that is not whole"),
        pytest.param({"k": "x", "t": MS}, id="a kind from a newer version"),
    ],
)
def test_an_entry_this_code_cannot_read_is_left_out(stored: dict) -> None:
    assert read_entry(stored, TaskStatus.INITIALIZING) is None


def test_an_entry_holds_only_its_own_kind() -> None:
    with pytest.raises(InvalidRecord) as caught:
        StateChange(kind="delivery", at=T0, from_status=None, to_status=TaskStatus.FAILED, by="api")
    assert caught.value.field == "kind"


LOCAL = {"product_url": "http://127.0.0.1:9/a.png", "webhook_url": "http://127.0.0.1:9/hook"}


def test_a_submission_stores_its_fingerprint_and_a_reused_key_with_another_body_is_refused() -> None:
    fakes = FakeRuntime.at(T0)
    deps = fakes.deps(allow_loopback_webhooks=True)
    request = ProductVideoRequest.from_stored({**LOCAL, "external_ref": {"source": "woo", "product_id": "7"}})

    first = submit_product_video(TENANT, request, deps, idempotency_key="k1")
    again = submit_product_video(
        TENANT, ProductVideoRequest.from_stored(dict(request.as_json())), deps, idempotency_key="k1"
    )

    assert (first.created, again.created, again.task.id) == (True, False, first.task.id)
    assert first.task.request_hash == request.fingerprint()
    assert first.task.external_ref == ExternalRef(source="woo", product_id="7")
    with pytest.raises(IdempotencyConflict):
        submit_product_video(TENANT, request.replace(image_prompt="another"), deps, idempotency_key="k1")


def test_a_submission_without_an_external_ref_is_the_api_s() -> None:
    fakes = FakeRuntime.at(T0)

    submitted = submit_product_video(
        TENANT, ProductVideoRequest.from_stored(LOCAL), fakes.deps(allow_loopback_webhooks=True)
    )

    assert submitted.task.external_ref == ExternalRef()


class CatalogCreatify(ScriptedCreatify):
    """Creatify's catalog with two personas, one of them retired."""

    def personas(self, *, age_range: Any = None, gender: Any = None) -> list[Persona]:
        super().personas(age_range=age_range, gender=gender)
        return [
            Persona.from_stored(
                {
                    "id": "0e9a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b",
                    "creator_name": "Ana",
                    "gender": "f",
                    "video_scene": "x",
                }
            ),
            Persona.from_stored({"id": "1e9a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b", "is_active": False}),
        ]


def test_avatars_are_the_active_personas_with_what_helps_pick_one() -> None:
    fakes = FakeRuntime.at(T0)
    fakes.creatify = CatalogCreatify(fakes.clock)

    # A filter of its own: the catalogue is cached per warm container and filter.
    (avatar,) = list_avatars(fakes.deps(), gender="f,nb", age_range="adult")

    assert avatar.as_json() == {
        "id": "0e9a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b",
        "creator_name": "Ana",
        "gender": "f",
        "age_range": None,
        "style": None,
        "location": None,
        "suitable_industries": None,
        "keywords": None,
        "preview_image_16_9": None,
        "preview_image_1_1": None,
        "preview_image_9_16": None,
    }


def test_a_page_of_tasks_shows_each_as_the_api_does() -> None:
    fakes = FakeRuntime.at(T0)
    fakes.seed(
        Task(id="a", tenant_id=TENANT, product_url="https://e.com/a.png", created_at=T0, updated_at=T0)
    )
    fakes.seed(Task(id="b", tenant_id="someone-else", product_url="https://e.com/b.png"))

    page = list_tenant_tasks(TENANT, fakes.deps())

    shown = page.as_json()
    assert [item["id"] for item in shown["items"]] == ["a"]
    (item,) = shown["items"]
    assert (item["status"], item["created_at"], item["external_ref"]["source"]) == (
        "initializing",
        "2026-03-14T15:09:26.535897Z",
        "api",
    )
    # A listing shows each task's media object, as a read of one does.
    assert item["media"] == {"bucket": None, "photo": None, "video": None}
    assert shown["next_cursor"] is None
