"""The upstream request bodies refuse what Creatify would refuse, and the task answer reads what
Creatify actually sends (both timestamp forms, extra fields, empty results)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

import pytest

from reelay.models.records import InvalidRecord, Record
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


def rejected_field(model: type[Record], **fields: object) -> str:
    """The field a body made of `fields` is refused for (read as a mapping, so a missing or an
    unknown field is refused like any other)."""
    with pytest.raises(InvalidRecord) as caught:
        model.from_stored(fields)
    assert caught.value.record == model.__name__
    return caught.value.field


@pytest.mark.parametrize(
    ("fields", "at_fault"),
    [
        pytest.param({}, "product_url", id="product_url missing"),
        pytest.param(
            {"product_url": "https://cdn.example.com/" + "a" * 180}, "product_url", id="url over 200"
        ),
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
    assert rejected_field(GenImageRequest, **fields) == at_fault


def test_a_body_built_with_a_field_it_does_not_have_fails_loudly() -> None:
    with pytest.raises(TypeError, match="prompt"):
        GenImageRequest(product_url=PRODUCT_URL, prompt="typo")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "given",
    [
        pytest.param("  " + PRODUCT_URL + "\n", id="surrounding whitespace"),
        pytest.param("https://cdn.example.com/" + "a" * 176 + "  ", id="200 characters once stripped"),
    ],
)
def test_strings_are_stripped_before_they_are_checked(given: str) -> None:
    body = GenImageRequest(product_url=given, image_prompt="  on a track  ").to_body()
    assert body["product_url"] == given.strip()
    assert body["image_prompt"] == "on a track"


def test_a_url_of_exactly_200_characters_is_accepted() -> None:
    url = "https://cdn.example.com/" + "a" * (200 - len("https://cdn.example.com/"))
    assert len(url) == 200
    assert GenImageRequest(product_url=url).to_body()["product_url"] == url


@pytest.mark.parametrize("model", [GenVideoRequest, RegenVideoRequest])
def test_video_requests_reject_an_unknown_motion_style(model: type[Record]) -> None:
    assert rejected_field(model, motion_style="dancing") == "motion_style"


@pytest.mark.parametrize("model", [GenVideoRequest, RegenVideoRequest, RegenImageRequest])
def test_every_request_rejects_a_webhook_url_over_200_characters(model: type[Record]) -> None:
    assert rejected_field(model, webhook_url="https://hooks.example.com/" + "a" * 180) == "webhook_url"


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
        product_url=PRODUCT_URL,
        type=ProductType.PRODUCT_AVATAR,
        override_avatar=AVATAR.upper(),
        aspect_ratio="9x16",
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
    assert RegenVideoRequest.from_stored({"motion_style": ""}).to_body() == {}


def test_every_set_field_is_sent_by_its_value_and_the_body_is_json() -> None:
    body = GenVideoRequest(
        motion_style=MotionStyle.TALKING, video_prompt="slow pan", webhook_url="https://api.example.com/h"
    ).to_body()
    assert body == {
        "motion_style": "talking",
        "video_prompt": "slow pan",
        "webhook_url": "https://api.example.com/h",
    }
    assert json.loads(json.dumps(body)) == body


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
    task = ProductToVideo.from_answer(provider_task())
    assert task.created_at == datetime(2023, 11, 7, 5, 31, 56, tzinfo=UTC)
    assert task.updated_at == datetime(2025, 5, 30, 4, 11, 5, 449603, tzinfo=timezone(timedelta(hours=-7)))


def test_product_to_video_tolerates_unknown_fields_and_null_results() -> None:
    task = ProductToVideo.from_answer(
        provider_task(brand_new_field={"x": 1}, motion_style="", generated_photo_url="", aspect_ratio="9x16")
    )
    assert task.id == UUID("5b0c6f8e-2f4a-4c7e-9d0b-7a1e3c9f2d10")
    assert task.status is ProviderStatus.INITIALIZING
    assert task.generated_photo_url is None
    assert task.generated_video_url is None
    assert task.motion_style is None
    assert task.type is ProductType.PRODUCT_ANYSHOT
    assert task.aspect_ratio is AspectRatio.PORTRAIT
    assert not hasattr(task, "brand_new_field")


def test_product_to_video_reads_every_listed_blank_as_none() -> None:
    blanks = [
        "motion_style",
        "generated_video_url",
        "generated_photo_url",
        "failed_reason",
        "regen_type",
        "regen_source_id",
        "aspect_ratio",
        "override_avatar",
        "product_showcase_url",
        "image_prompt",
        "video_prompt",
        "webhook_url",
    ]
    task = ProductToVideo.from_answer(provider_task(**dict.fromkeys(blanks, "")))
    assert {name: getattr(task, name) for name in blanks} == dict.fromkeys(blanks)
    # Not those that must hold something: a blank product_url stays, a blank type is refused.
    assert ProductToVideo.from_answer(provider_task(product_url="")).product_url == ""
    with pytest.raises(InvalidRecord) as caught:
        ProductToVideo.from_answer(provider_task(type=""))
    assert caught.value.field == "type"


def test_product_to_video_reads_a_finished_regenerated_task() -> None:
    task = ProductToVideo.from_answer(
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


@pytest.mark.parametrize(
    ("change", "at_fault"),
    [
        pytest.param({"status": "done"}, "status", id="unknown status"),
        pytest.param({"id": "task-1"}, "id", id="id not a UUID"),
        pytest.param({"id": None}, "id", id="id null"),
        pytest.param({"created_at": "yesterday"}, "created_at", id="time not ISO"),
        pytest.param({"updated_at": 1699335116}, "updated_at", id="time a number"),
        pytest.param({"motion_style": "dancing"}, "motion_style", id="unknown motion style"),
        pytest.param({"generated_video_url": 7}, "generated_video_url", id="url a number"),
    ],
)
def test_product_to_video_refuses_what_breaks_the_contract_naming_the_field(
    change: dict, at_fault: str
) -> None:
    with pytest.raises(InvalidRecord) as caught:
        ProductToVideo.from_answer(provider_task(**change))
    assert caught.value.field == at_fault
    # What a client's error may repeat: the field and what it takes, never Creatify's value.
    described = caught.value.without_value()
    assert described.startswith(f"{at_fault}: ")
    assert all(str(value) not in described for value in change.values() if value is not None)


@pytest.mark.parametrize("missing", ["id", "product_url", "status", "created_at", "updated_at"])
def test_product_to_video_refuses_an_answer_without_a_required_field(missing: str) -> None:
    answer = provider_task()
    del answer[missing]
    with pytest.raises(InvalidRecord) as caught:
        ProductToVideo.from_answer(answer)
    assert (caught.value.field, caught.value.why) == (missing, "missing")


@pytest.mark.parametrize("answer", [[], "task", None, 3])
def test_an_answer_that_is_no_object_is_refused(answer: object) -> None:
    with pytest.raises(InvalidRecord):
        ProductToVideo.from_answer(answer)


def test_an_optional_enum_creatify_sends_wrong_is_described_by_its_values() -> None:
    with pytest.raises(InvalidRecord) as caught:
        ProductToVideo.from_answer(provider_task(aspect_ratio="4x3"))

    assert caught.value.without_value() == "aspect_ratio: should be one of 9x16, 16x9, 1x1 or null"
