"""Task and its records reject bad input naming the field, read and write the items the pydantic
models stored attribute for attribute, and the webhook payload is the seed's shape."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from reelay.dal.attribute_values import from_item, to_item
from reelay.dal.task_items import task_from_item
from reelay.dal.tasks import TaskRepository
from reelay.models.media import ArchivedFile, Publication
from reelay.models.media_states import ArchiveState, PublicationState
from reelay.models.records import InvalidRecord
from reelay.models.status import TaskStatus
from reelay.models.task import WEBHOOK_FIELDS, ExternalRef, StatusUpdate, Task, webhook_payload
from reelay.models.task_ids import derive_task_id
from reelay.models.video_options import AspectRatio, MotionStyle, ProductType

VALID = {"id": "t-1", "tenant_id": "acme", "product_url": "https://shop.example/p.jpg"}

# A finished task's item, every field set, as the pydantic Task and TaskRepository.item_for wrote
# it (the values dal.attribute_values.from_item gives back): what tables and streams hold today.
STORED_BY_PYDANTIC: dict[str, Any] = {
    "id": "t-every",
    "tenant_id": "acme",
    "status": "video_generated",
    "type": "product_avatar",
    "product_url": "https://shop.example/p.jpg",
    "aspect_ratio": "9x16",
    "override_avatar": "0f8f7a52-3c1e-4d8e-9a4b-2b1f6c0d9e11",
    "product_showcase_url": "https://shop.example/q.jpg",
    "image_prompt": "on a beach",
    "video_prompt": "slow pan",
    "motion_style": "display",
    "webhook_url": "https://hooks.example/reelay",
    "generated_photo_url": "https://cdn.example/p.png",
    "generated_video_url": "https://cdn.example/v.mp4",
    "auto_video": False,
    "external_ref": {
        "source": "shopify",
        "shop": "acme.myshopify.com",
        "product_id": "42",
        "title": "Mug",
        "admin_url": "https://admin.shopify.com/store/acme/products/42",
    },
    "provider_task_id": "5b9e1c1e-0000-4000-8000-000000000001",
    "callback_base_url": "https://api.example/prod",
    "credits_spent": 4,
    "regen_source_id": "t-before",
    "review_deadline_hours": 24,
    "review_deadline_action": "reject",
    "idempotency_key": "k-1",
    "request_hash": "abc",
    "created_at": "2025-03-01T12:00:00.120000Z",
    "updated_at": "2025-03-01T12:05:00.000000Z",
    "version": 6,
    "delivery_attempts": 1,
    "last_delivery": {"result": "delivered", "status": 200, "ms": 12.5, "body": None},
    "delivery_replays": 1,
    "history": [{"k": "state", "s": "video_generated", "by": "worker", "t": 1740830700000}],
    "history_dropped": 2,
    "history_from_start": True,
    "archive": {
        "photo": {
            "state": "archived",
            "key": "acme/t-every/photo.png",
            "bytes": 1234,
            "content_type": "image/png",
            "source_url": "https://cdn.example/p.png",
            "attempts": 1,
            "updated_at": "2025-03-01T12:01:00Z",
        },
        "video": {
            "state": "pending",
            "failed_reason": "timed out",
            "attempts": 2,
            "retry_by": "m-9",
            "updated_at": "2025-03-01T12:06:00.500000Z",
        },
    },
    "publication": {
        "state": "publishing",
        "platform": "shopify",
        "connection_id": "c-1",
        "product_id": "42",
        "attempts": 1,
        "updated_at": "2025-03-01T12:07:00Z",
    },
    "pk": "TASK#t-every",
    "sk": "TASK",
    "entity": "task",
    "tenant_pk": "TENANT#acme",
    "tenant_sk": "2025-03-01T12:00:00.120000Z#t-every",
}

# That task's webhook body as the pydantic model wrote it (pydantic's own datetime form).
WEBHOOK_BY_PYDANTIC: dict[str, Any] = {
    "id": "t-every",
    "failed_reason": None,
    "type": "product_avatar",
    "product_url": "https://shop.example/p.jpg",
    "aspect_ratio": "9x16",
    "override_avatar": "0f8f7a52-3c1e-4d8e-9a4b-2b1f6c0d9e11",
    "product_showcase_url": "https://shop.example/q.jpg",
    "image_prompt": "on a beach",
    "video_prompt": "slow pan",
    "status": "video_generated",
    "generated_video_url": "https://cdn.example/v.mp4",
    "generated_photo_url": "https://cdn.example/p.png",
    "created_at": "2025-03-01T12:00:00.120000Z",
    "updated_at": "2025-03-01T12:05:00Z",
    "webhook_url": "https://hooks.example/reelay",
}


def test_an_item_the_pydantic_task_stored_reads_and_writes_back_attribute_for_attribute() -> None:
    item = to_item(STORED_BY_PYDANTIC)
    task = task_from_item(item)

    assert TaskRepository("tasks", client=object()).item_for(task, stays_open=False) == item
    assert webhook_payload(task) == WEBHOOK_BY_PYDANTIC
    assert list(webhook_payload(task)) == list(WEBHOOK_BY_PYDANTIC)


def test_a_stored_task_is_read_into_its_types() -> None:
    task = task_from_item(to_item(STORED_BY_PYDANTIC))

    assert task.status is TaskStatus.VIDEO_GENERATED and task.terminal
    assert (task.type, task.aspect_ratio, task.motion_style) == (
        ProductType.PRODUCT_AVATAR,
        AspectRatio.PORTRAIT,
        MotionStyle.DISPLAY,
    )
    assert task.created_at == datetime(2025, 3, 1, 12, 0, 0, 120000, tzinfo=UTC)
    assert task.external_ref == ExternalRef(
        source="shopify",
        shop="acme.myshopify.com",
        product_id="42",
        title="Mug",
        admin_url="https://admin.shopify.com/store/acme/products/42",
    )
    assert task.archive["video"] == ArchivedFile(
        state=ArchiveState.PENDING,
        failed_reason="timed out",
        attempts=2,
        retry_by="m-9",
        updated_at=datetime(2025, 3, 1, 12, 6, 0, 500000, tzinfo=UTC),
    )
    assert task.publication is not None and task.publication.state is PublicationState.PUBLISHING


def test_attributes_a_task_does_not_declare_are_ignored_and_numbers_may_come_back_as_decimals() -> None:
    values = {**VALID, "added_by_a_later_version": {"x": 1}, "credits_spent": Decimal(4), "version": 2.0}
    task = Task.from_stored(values)
    assert (task.credits_spent, task.version) == (4, 2)
    assert "added_by_a_later_version" not in task.stored()


def test_enum_and_time_fields_are_read_from_strings_on_construction_too() -> None:
    task = Task(**VALID, status="video_generated", aspect_ratio="1x1", created_at="2025-01-02T03:04:05Z")
    assert task.status is TaskStatus.VIDEO_GENERATED
    assert task.aspect_ratio is AspectRatio.SQUARE
    assert task.created_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert task.replace(status="failed").status is TaskStatus.FAILED


BAD_TASK_FIELDS = [
    ("status", "done", "status"),
    ("type", "product_movie", "type"),
    ("aspect_ratio", "4x3", "aspect_ratio"),
    ("motion_style", "dancing", "motion_style"),
    ("auto_video", "perhaps", "auto_video"),
    ("credits_spent", "many", "credits_spent"),
    ("version", 1.5, "version"),
    ("created_at", "yesterday", "created_at"),
    ("external_ref", {"source": "x" * 33}, "external_ref.source"),
    ("external_ref", {"source": ""}, "external_ref.source"),
    ("external_ref", "shopify", "external_ref"),
    ("archive", {"video": {"state": "lost"}}, "archive.video.state"),
    ("archive", {"video": {"attempts": -1}}, "archive.video.attempts"),
    ("publication", {"state": "published", "updated_at": 5}, "publication.updated_at"),
    ("history", [{"k": "state"}, "note"], "history.1"),
]


@pytest.mark.parametrize(("field", "value", "at_fault"), BAD_TASK_FIELDS)
def test_a_bad_task_field_is_rejected_by_name(field: str, value: object, at_fault: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        Task(**{**VALID, field: value})
    assert caught.value.field == at_fault
    assert f"Task.{at_fault}:" in str(caught.value)


@pytest.mark.parametrize(("field", "value", "at_fault"), BAD_TASK_FIELDS)
def test_a_stored_task_that_cannot_be_read_is_a_value_error_naming_the_field(
    field: str, value: object, at_fault: str
) -> None:
    # dal.stream_images logs and skips a stream image that raises ValueError.
    with pytest.raises(ValueError, match=f"^Task.{at_fault}: "):
        Task.from_stored({**VALID, field: value})


@pytest.mark.parametrize("field", ["id", "tenant_id", "product_url"])
def test_a_missing_required_task_field_is_named(field: str) -> None:
    data = {k: v for k, v in VALID.items() if k != field}
    with pytest.raises(InvalidRecord) as caught:
        Task.from_stored(data)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"source": "s" * 33}, "source"),
        ({"shop": "s" * 256}, "shop"),
        ({"product_id": "p" * 256}, "product_id"),
        ({"admin_url": "https://a.example/" + "p" * 2040}, "admin_url"),
        ({"title": 42}, "title"),
        ({"sku": "A-1"}, "sku"),
    ],
)
def test_a_bad_external_ref_field_is_rejected_by_name(data: dict, field: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        ExternalRef.from_stored(data)
    assert caught.value.field == field


def test_status_update_rejects_an_unknown_status_by_name() -> None:
    with pytest.raises(InvalidRecord) as caught:
        StatusUpdate(status="rendering")
    assert caught.value.field == "status"


def test_records_leave_out_none_when_stored_and_keep_it_as_null_in_json() -> None:
    publication = Publication(platform="shopify", updated_at=datetime(2025, 1, 2, tzinfo=UTC))
    assert publication.stored() == {
        "state": "pending",
        "platform": "shopify",
        "attempts": 0,
        "updated_at": "2025-01-02T00:00:00Z",
    }
    assert publication.as_json()["media_id"] is None
    assert Publication.from_stored(publication.stored()) == publication
    assert from_item(to_item(publication.stored())) == publication.stored()


def test_webhook_payload_has_exactly_the_seed_fields_in_order() -> None:
    task = Task(
        **VALID,
        webhook_url="https://hooks.example/reelay",
        created_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        updated_at=datetime(2025, 1, 2, 3, 4, 6, tzinfo=UTC),
        provider_task_id="p-1",
        credits_spent=4,
    )
    payload = webhook_payload(task)
    assert list(payload) == [
        "id",
        "failed_reason",
        "type",
        "product_url",
        "aspect_ratio",
        "override_avatar",
        "product_showcase_url",
        "image_prompt",
        "video_prompt",
        "status",
        "generated_video_url",
        "generated_photo_url",
        "created_at",
        "updated_at",
        "webhook_url",
    ]
    assert list(WEBHOOK_FIELDS) == list(payload)
    assert payload["status"] == "initializing"
    assert payload["aspect_ratio"] == "16x9"
    assert payload["type"] == "product_anyshot"
    assert payload["created_at"] == "2025-01-02T03:04:05Z"


def test_the_same_tenant_and_idempotency_key_always_give_the_same_task_id() -> None:
    assert derive_task_id("acme", "order-1") == derive_task_id("acme", "order-1")
    assert derive_task_id("acme", "order-1") != derive_task_id("acme", "order-2")
    assert derive_task_id("acme", "order-1") != derive_task_id("globex", "order-1")
    # Parts are kept apart: a separator inside a part cannot make two requests collide.
    assert derive_task_id("a:b", "c") != derive_task_id("a", "b:c")


def test_records_are_equal_by_type_and_every_field_and_hash_alike() -> None:
    task = task_from_item(to_item(STORED_BY_PYDANTIC))
    same = task_from_item(to_item(STORED_BY_PYDANTIC))
    other = task.replace(status=TaskStatus.FAILED)
    assert task == same
    assert task != other
    ref = ExternalRef(source="shopify", product_id="42")
    same_ref, other_ref = ExternalRef(source="shopify", product_id="42"), ref.replace(product_id="43")
    assert ref == same_ref and hash(ref) == hash(same_ref)
    assert ref != other_ref
    assert len({ref, same_ref, other_ref}) == 2
    # Another record type is never equal, even where the fields it has agree.
    assert ArchivedFile() != Publication()


def test_a_records_repr_names_its_fields_and_leaves_out_what_must_not_show() -> None:
    from reelay.models.tenant_profile import TenantProfile

    ref = ExternalRef(source="shopify", product_id="42")
    assert repr(ref) == (
        "ExternalRef(source='shopify', shop=None, product_id='42', title=None, admin_url=None)"
    )
    profile = TenantProfile(tenant_id="t1", webhook_secret="whsec_dont_show", previous_webhook_secret="old")
    assert "t1" in repr(profile)
    assert "whsec_dont_show" not in repr(profile) and "old" not in repr(profile)
    with pytest.raises(AttributeError):
        ref.product_id = "43"  # type: ignore[misc]
