"""Task and ExternalRef reject bad input naming the field; the webhook payload is the seed's shape."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from reelay.models.task import WEBHOOK_FIELDS, ExternalRef, StatusUpdate, Task, webhook_payload
from reelay.models.task_ids import derive_task_id

VALID = {"id": "t-1", "tenant_id": "acme", "product_url": "https://shop.example/p.jpg"}


def error_fields(exc: ValidationError) -> set[str]:
    return {str(error["loc"][0]) for error in exc.errors()}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "done"),
        ("type", "product_movie"),
        ("aspect_ratio", "4x3"),
        ("motion_style", "dancing"),
        ("auto_video", "perhaps"),
        ("credits_spent", "many"),
        ("created_at", "yesterday"),
        ("external_ref", {"source": "x" * 33}),
    ],
)
def test_a_bad_task_field_is_rejected_by_name(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Task(**{**VALID, field: value})
    assert error_fields(caught.value) == {field}


@pytest.mark.parametrize("field", ["id", "tenant_id", "product_url"])
def test_a_missing_required_task_field_is_named(field: str) -> None:
    data = {k: v for k, v in VALID.items() if k != field}
    with pytest.raises(ValidationError) as caught:
        Task(**data)
    assert error_fields(caught.value) == {field}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"source": "s" * 33}, "source"),
        ({"shop": "s" * 256}, "shop"),
        ({"product_id": "p" * 256}, "product_id"),
        ({"sku": "A-1"}, "sku"),
    ],
)
def test_a_bad_external_ref_field_is_rejected_by_name(data: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ExternalRef(**data)
    assert error_fields(caught.value) == {field}


def test_status_update_rejects_an_unknown_status_by_name() -> None:
    with pytest.raises(ValidationError) as caught:
        StatusUpdate(status="rendering")
    assert error_fields(caught.value) == {"status"}


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


def test_the_same_tenant_and_idempotency_key_always_give_the_same_task_id() -> None:
    assert derive_task_id("acme", "order-1") == derive_task_id("acme", "order-1")
    assert derive_task_id("acme", "order-1") != derive_task_id("acme", "order-2")
    assert derive_task_id("acme", "order-1") != derive_task_id("globex", "order-1")
    # Parts are kept apart: a separator inside a part cannot make two requests collide.
    assert derive_task_id("a:b", "c") != derive_task_id("a", "b:c")
