"""The upstream request models refuse what Creatify would refuse, and the response models read
what Creatify actually sends (both timestamp forms, extra fields, empty results)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

import pytest
from pydantic import BaseModel, ValidationError

from reelay.models.upstream import (
    AspectRatio,
    GenImageRequest,
    GenVideoRequest,
    MotionStyle,
    ProductToVideo,
    ProductType,
    ProviderStatus,
    RegenImageRequest,
    RegenVideoRequest,
)

PRODUCT_URL = "https://cdn.example.com/shoe.png"
AVATAR = "0f8f7a52-3c1e-4d8e-9a4b-2b1f6c0d9e11"


def rejected_fields(model: type[BaseModel], **fields: object) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        model(**fields)
    return {".".join(str(part) for part in error["loc"]) for error in caught.value.errors()}


@pytest.mark.parametrize(
    ("fields", "at_fault"),
    [
        pytest.param({}, "product_url", id="product_url missing"),
        pytest.param(
            {"product_url": "https://cdn.example.com/" + "a" * 180}, "product_url", id="url over 200"
        ),
        pytest.param({"product_url": "ftp://cdn.example.com/shoe.png"}, "product_url", id="url not http"),
        pytest.param({"product_url": "cdn.example.com/shoe.png"}, "product_url", id="url not absolute"),
        pytest.param({"product_url": PRODUCT_URL, "aspect_ratio": "4x3"}, "aspect_ratio", id="bad ratio"),
        pytest.param({"product_url": PRODUCT_URL, "type": "product_video"}, "type", id="bad type"),
        pytest.param(
            {"product_url": PRODUCT_URL, "override_avatar": "not-a-uuid"}, "override_avatar", id="avatar"
        ),
        pytest.param(
            {"product_url": PRODUCT_URL, "webhook_url": "https://hooks.example.com/" + "a" * 180},
            "webhook_url",
            id="webhook over 200",
        ),
        pytest.param({"product_url": PRODUCT_URL, "prompt": "typo"}, "prompt", id="unknown field"),
    ],
)
def test_gen_image_request_rejects_bad_input_naming_the_field(fields: dict, at_fault: str) -> None:
    assert rejected_fields(GenImageRequest, **fields) == {at_fault}


def test_a_url_of_exactly_200_characters_is_accepted() -> None:
    url = "https://cdn.example.com/" + "a" * (200 - len("https://cdn.example.com/"))
    assert len(url) == 200
    assert GenImageRequest(product_url=url).to_body()["product_url"] == url


@pytest.mark.parametrize("model", [GenVideoRequest, RegenVideoRequest])
def test_video_requests_reject_an_unknown_motion_style(model: type[BaseModel]) -> None:
    assert rejected_fields(model, motion_style="dancing") == {"motion_style"}


@pytest.mark.parametrize("model", [GenVideoRequest, RegenVideoRequest, RegenImageRequest])
def test_every_request_rejects_a_webhook_url_over_200_characters(model: type[BaseModel]) -> None:
    assert rejected_fields(model, webhook_url="https://hooks.example.com/" + "a" * 180) == {"webhook_url"}


def test_gen_image_defaults_to_product_anyshot_in_16x9_and_leaves_unset_fields_out() -> None:
    request = GenImageRequest(product_url=PRODUCT_URL)
    assert request.to_body() == {
        "product_url": PRODUCT_URL,
        "type": "product_anyshot",
        "aspect_ratio": "16x9",
    }


def test_override_avatar_is_dropped_for_product_anyshot() -> None:
    request = GenImageRequest(product_url=PRODUCT_URL, override_avatar=AVATAR)
    assert "override_avatar" not in request.to_body()


def test_override_avatar_is_sent_for_product_avatar() -> None:
    request = GenImageRequest(
        product_url=PRODUCT_URL, type=ProductType.PRODUCT_AVATAR, override_avatar=AVATAR, aspect_ratio="9x16"
    )
    assert request.to_body() == {
        "product_url": PRODUCT_URL,
        "type": "product_avatar",
        "aspect_ratio": "9x16",
        "override_avatar": AVATAR,
    }


def test_gen_video_body_may_be_empty_and_a_blank_motion_style_counts_as_unset() -> None:
    assert GenVideoRequest().to_body() == {}
    assert GenVideoRequest(motion_style="").to_body() == {}
    assert GenVideoRequest(motion_style="display").to_body() == {"motion_style": "display"}


def provider_task(**overrides: object) -> dict:
    task = {
        "id": "5b0c6f8e-2f4a-4c7e-9d0b-7a1e3c9f2d10",
        "product_url": PRODUCT_URL,
        "status": "initializing",
        "generated_video_url": None,
        "generated_photo_url": None,
        "created_at": "2023-11-07T05:31:56Z",
        "updated_at": "2025-05-30T04:11:05.449603-07:00",
        "failed_reason": None,
        "regen_type": None,
        "regen_source_id": None,
    }
    task.update(overrides)
    return task


def test_product_to_video_parses_both_documented_timestamp_forms() -> None:
    task = ProductToVideo.model_validate(provider_task())
    assert task.created_at == datetime(2023, 11, 7, 5, 31, 56, tzinfo=UTC)
    assert task.updated_at == datetime(2025, 5, 30, 4, 11, 5, 449603, tzinfo=timezone(timedelta(hours=-7)))


def test_product_to_video_tolerates_unknown_fields_and_null_results() -> None:
    task = ProductToVideo.model_validate(
        provider_task(brand_new_field={"x": 1}, motion_style="", generated_photo_url="", aspect_ratio="9x16")
    )
    assert task.id == UUID("5b0c6f8e-2f4a-4c7e-9d0b-7a1e3c9f2d10")
    assert task.status is ProviderStatus.INITIALIZING
    assert task.generated_photo_url is None
    assert task.generated_video_url is None
    assert task.motion_style is None
    assert task.type is ProductType.PRODUCT_ANYSHOT
    assert task.aspect_ratio is AspectRatio.PORTRAIT
    assert task.model_extra == {"brand_new_field": {"x": 1}}


def test_product_to_video_reads_a_finished_regenerated_task() -> None:
    task = ProductToVideo.model_validate(
        provider_task(
            status="video_generated",
            generated_video_url="https://cdn.example.com/out.mp4",
            regen_type="regen_video",
            regen_source_id="0f8f7a52-3c1e-4d8e-9a4b-2b1f6c0d9e11",
            motion_style="talking",
        )
    )
    assert task.status is ProviderStatus.VIDEO_GENERATED
    assert task.motion_style is MotionStyle.TALKING
    assert task.regen_source_id == "0f8f7a52-3c1e-4d8e-9a4b-2b1f6c0d9e11"


def test_product_to_video_rejects_an_unknown_status() -> None:
    with pytest.raises(ValidationError) as caught:
        ProductToVideo.model_validate(provider_task(status="done"))
    assert [error["loc"] for error in caught.value.errors()] == [("status",)]
