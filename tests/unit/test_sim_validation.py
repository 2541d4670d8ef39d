"""The simulator's DRF-style validation: which inputs pass, and the exact messages of those that do not."""

from __future__ import annotations

from typing import Any

import pytest

from reelay_local.simulators.creatify import personas
from reelay_local.simulators.creatify.validation import (
    ParseFailed,
    ValidationFailed,
    is_valid_url,
    parse_choices,
    parse_ids,
    parse_json_object,
    parse_positive_int,
    validate_gen_image,
    validate_gen_video,
    validate_regen_image,
)

PRODUCT = "https://cdn.example.com/shoe.png"


def errors_of(body: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        validate_gen_image(body)
    return caught.value.errors


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.example.com/shoe.png",
        "http://127.0.0.1:8080/samples/sneaker.png",
        "http://localhost/x.png",
        "https://user:pw@shop.example.co.uk/a/b.jpg?size=large#top",
        "http://[::1]:9000/hook",
        "ftp://files.example.org/shoe.png",
    ],
)
def test_urls_django_accepts_are_valid(url: str) -> None:
    assert is_valid_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "cdn.example.com/shoe.png",
        "file:///etc/passwd",
        "http://intranet/hook",  # Django wants a TLD, localhost or an IP
        "https://cdn.example.com/a shoe.png",
        "http://example.com:99999/x",
        "javascript:alert(1)",
        "https://-bad-.example.com/x",
    ],
)
def test_urls_django_refuses_are_invalid(url: str) -> None:
    assert not is_valid_url(url)


def test_gen_image_fills_the_documented_defaults() -> None:
    assert validate_gen_image({"product_url": PRODUCT}) == {
        "product_url": PRODUCT,
        "type": "product_anyshot",
        "aspect_ratio": "16x9",
    }


def test_gen_image_trims_text_and_keeps_explicit_nulls() -> None:
    cleaned = validate_gen_image({"product_url": f"  {PRODUCT} ", "image_prompt": None, "webhook_url": None})
    assert cleaned["product_url"] == PRODUCT
    assert cleaned["image_prompt"] is None and cleaned["webhook_url"] is None


def test_a_long_invalid_url_gets_both_messages_length_first() -> None:
    assert errors_of({"product_url": "x" * 201}) == {
        "product_url": ["Ensure this field has no more than 200 characters.", "Enter a valid URL."]
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "This field may not be null."),
        ("", "This field may not be blank."),
        ("   ", "This field may not be blank."),
        (["https://x.example/a.png"], "Not a valid string."),
        (True, "Not a valid string."),
    ],
)
def test_product_url_refuses_empty_and_non_text_values(value: Any, message: str) -> None:
    assert errors_of({"product_url": value}) == {"product_url": [message]}


def test_choices_name_the_rejected_value_as_drf_does() -> None:
    assert errors_of({"product_url": PRODUCT, "aspect_ratio": 16}) == {
        "aspect_ratio": ['"16" is not a valid choice.']
    }


def test_override_avatar_must_be_a_uuid_of_a_known_persona() -> None:
    assert errors_of({"product_url": PRODUCT, "override_avatar": 12}) == {
        "override_avatar": ["Must be a valid UUID."]
    }
    known = personas.PERSONAS[0].id
    cleaned = validate_gen_image({"product_url": PRODUCT, "override_avatar": known.upper()})
    assert cleaned["override_avatar"] == known


def test_numbers_are_accepted_as_prompt_text() -> None:
    assert validate_gen_image({"product_url": PRODUCT, "image_prompt": 42})["image_prompt"] == "42"


def test_gen_video_accepts_an_empty_body_and_blank_motion_style() -> None:
    assert validate_gen_video({}) == {}
    assert validate_gen_video({"motion_style": ""}) == {"motion_style": ""}
    assert validate_gen_video({"motion_style": None}) == {"motion_style": None}


def test_gen_video_rejects_a_bad_motion_style_and_webhook() -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_gen_video({"motion_style": "dance", "webhook_url": "nope"})
    assert caught.value.errors == {
        "motion_style": ['"dance" is not a valid choice.'],
        "webhook_url": ["Enter a valid URL."],
    }


def test_regen_image_takes_only_a_prompt_and_a_webhook() -> None:
    assert validate_regen_image({"image_prompt": "new", "aspect_ratio": "1x1"}) == {"image_prompt": "new"}


@pytest.mark.parametrize(
    ("raw", "content_type", "expected"),
    [
        (b"", None, {}),
        (b"{}", "application/json; charset=utf-8", {}),
        (b'{"a": 1}', "application/json", {"a": 1}),
    ],
)
def test_json_bodies_that_parse(raw: bytes, content_type: str | None, expected: dict[str, Any]) -> None:
    assert parse_json_object(raw, content_type) == expected


def test_json_body_failures_match_drf() -> None:
    with pytest.raises(ParseFailed) as not_json:
        parse_json_object(b"a=1", "application/x-www-form-urlencoded")
    assert (not_json.value.status, not_json.value.detail) == (
        415,
        'Unsupported media type "application/x-www-form-urlencoded" in request.',
    )
    with pytest.raises(ParseFailed) as broken:
        parse_json_object(b"{", "application/json")
    assert broken.value.status == 400 and broken.value.detail.startswith("JSON parse error - ")
    with pytest.raises(ValidationFailed) as number:
        parse_json_object(b"3", "application/json")
    assert number.value.errors == {"non_field_errors": ["Invalid data. Expected a dictionary, but got int."]}
    with pytest.raises(ValidationFailed) as null:
        parse_json_object(b"null", "application/json")
    assert null.value.errors == {"non_field_errors": ["No data provided"]}


def test_ids_are_canonical_uuids_at_most_100() -> None:
    upper = "6F1C1E7E-3A55-4E0B-9A5E-1D2C7B0F5A11"
    assert parse_ids(None) is None
    assert parse_ids(f" {upper} ") == [upper.lower()]
    with pytest.raises(ValidationFailed) as too_many:
        parse_ids(",".join([upper] * 101))
    assert too_many.value.errors == {"ids": ["Ensure this field has no more than 100 elements."]}
    with pytest.raises(ValidationFailed) as malformed:
        parse_ids(f"{upper},,")
    assert list(malformed.value.errors) == ["ids"]
    with pytest.raises(ValidationFailed):
        parse_ids("")


def test_choice_filters_and_page_numbers() -> None:
    assert parse_choices("gender", "m, f", ("m", "f", "nb")) == {"m", "f"}
    assert parse_choices("gender", "", ("m", "f", "nb")) is None
    with pytest.raises(ValidationFailed) as bad:
        parse_choices("gender", "m,q", ("m", "f", "nb"))
    assert bad.value.errors == {"gender": ["Select a valid choice. q is not one of the available choices."]}
    assert parse_positive_int("page", None, 1) == 1
    assert parse_positive_int("page", "3", 1) == 3
    for raw, message in [
        ("0", "Ensure this value is greater than or equal to 1."),
        ("x", "A valid integer is required."),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            parse_positive_int("page_size", raw, 10)
        assert caught.value.errors == {"page_size": [message]}
