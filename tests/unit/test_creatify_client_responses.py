"""Answers the simulator does not give (odd bodies, Retry-After, dropped connections), served by
httpx's MockTransport to the real client. Everything the simulator can do is tested against it
in tests/integration/test_creatify_client.py."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from uuid import uuid4

import httpx
import pytest

from reelay.clients.creatify import CreatifyClient
from reelay.clients.creatify_credentials import CreatifyCredentials
from reelay.models.upstream import GenImageRequest
from reelay.ports.creatify_errors import (
    CreatifyAuthError,
    CreatifyConfigurationError,
    CreatifyError,
    CreatifyInsufficientCredits,
    CreatifyOutcomeUnknown,
    CreatifyRejected,
    CreatifyRetryable,
)

API_KEY = "sk-unit-7d3c2f"
CREDENTIALS = CreatifyCredentials(api_id="acct-1", api_key=API_KEY)
PRODUCT = GenImageRequest(product_url="https://cdn.example.com/shoe.png")
TASK = {
    "id": str(uuid4()),
    "product_url": "https://cdn.example.com/shoe.png",
    "status": "initializing",
    "created_at": "2023-11-07T05:31:56Z",
    "updated_at": "2023-11-07T05:31:56Z",
}

Handler = Callable[[httpx.Request], httpx.Response]


def client_for(
    *answers: httpx.Response | Handler, **options: object
) -> tuple[CreatifyClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0)
        return answer(request) if callable(answer) else answer

    settings: dict = {"backoff_base": 0.001, "backoff_cap": 0.01}
    settings.update(options)
    return CreatifyClient(CREDENTIALS, transport=httpx.MockTransport(handle), **settings), seen


def test_requests_carry_both_key_headers_and_no_key_in_the_url() -> None:
    client, seen = client_for(httpx.Response(200, json=TASK))
    client.gen_image(PRODUCT)
    (request,) = seen
    assert request.url == "https://api.creatify.ai/api/product_to_videos/gen_image/"
    assert request.headers["X-API-ID"] == "acct-1"
    assert request.headers["X-API-KEY"] == API_KEY
    assert API_KEY not in str(request.url)


def test_retry_after_is_honoured_before_the_next_attempt() -> None:
    client, seen = client_for(
        httpx.Response(429, headers={"Retry-After": "0.3"}), httpx.Response(200, json=TASK), backoff_cap=5.0
    )
    started = time.monotonic()
    client.gen_image(PRODUCT)
    assert time.monotonic() - started >= 0.3
    assert len(seen) == 2


def test_retry_after_is_capped_by_backoff_cap() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    client, seen = client_for(
        httpx.Response(503, headers={"Retry-After": later}),
        httpx.Response(503, headers={"Retry-After": "3600"}),
        httpx.Response(503, headers={"Retry-After": "3600"}),
        backoff_cap=0.05,
    )
    started = time.monotonic()
    with pytest.raises(CreatifyRetryable) as caught:
        client.remaining_credits()
    assert time.monotonic() - started < 1.0
    assert caught.value.retry_after == pytest.approx(3600)
    assert len(seen) == 3


def test_an_http_date_retry_after_is_read_as_seconds_from_now() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    client, _ = client_for(httpx.Response(503, headers={"Retry-After": later}), max_attempts=1)
    with pytest.raises(CreatifyRetryable) as caught:
        client.remaining_credits()
    assert 100 < caught.value.retry_after <= 120


def test_a_connection_dropped_after_a_post_went_out_is_an_unknown_outcome() -> None:
    def drop(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)

    client, seen = client_for(drop, drop, drop)
    with pytest.raises(CreatifyOutcomeUnknown):
        client.gen_image(PRODUCT)
    assert len(seen) == 1


def test_a_connection_dropped_during_a_get_is_retried() -> None:
    def drop(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset by peer", request=request)

    client, seen = client_for(drop, httpx.Response(200, json={"remaining_credits": 7}))
    assert client.remaining_credits() == 7.0
    assert len(seen) == 2


def test_a_non_json_success_on_a_get_is_a_clear_error() -> None:
    page = httpx.Response(200, text="<html>maintenance</html>", headers={"content-type": "text/html"})
    client, _ = client_for(page)
    with pytest.raises(CreatifyError, match="not JSON") as caught:
        client.get(TASK["id"])
    assert type(caught.value) is CreatifyError


def test_a_non_json_success_on_a_post_is_an_unknown_outcome() -> None:
    client, seen = client_for(httpx.Response(200, text="OK"), httpx.Response(200, json=TASK))
    with pytest.raises(CreatifyOutcomeUnknown, match="not JSON"):
        client.gen_image(PRODUCT)
    assert len(seen) == 1


def test_a_success_body_that_breaks_the_contract_names_the_field_without_its_value() -> None:
    client, _ = client_for(httpx.Response(200, json={**TASK, "status": "done-ish"}))
    with pytest.raises(CreatifyError, match="status") as caught:
        client.get(TASK["id"])
    assert "done-ish" not in str(caught.value)


def test_drf_errors_keep_detail_and_every_field() -> None:
    body = {
        "non_field_errors": ["Invalid combination."],
        "aspect_ratio": ['"4x3" is not a valid choice.'],
        "webhook_url": ["Ensure this field has no more than 200 characters.", "Enter a valid URL."],
    }
    client, _ = client_for(httpx.Response(400, json=body))
    with pytest.raises(CreatifyRejected) as caught:
        client.gen_image(PRODUCT)
    error = caught.value
    assert error.detail == "Invalid combination."
    assert error.field_errors == {
        "aspect_ratio": ['"4x3" is not a valid choice.'],
        "webhook_url": ["Ensure this field has no more than 200 characters.", "Enter a valid URL."],
    }
    assert str(error).startswith("Creatify rejected the request (400): Invalid combination.; aspect_ratio: ")


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (402, {"detail": "Payment required."}, CreatifyInsufficientCredits),
        (403, {"detail": "You do not have enough credits."}, CreatifyInsufficientCredits),
        (400, {"message": "Insufficient credits: 0 left"}, CreatifyInsufficientCredits),
        (403, {"detail": "You do not have permission to perform this action."}, CreatifyAuthError),
        (401, {"detail": "Authentication credentials were not provided."}, CreatifyAuthError),
        (409, {"detail": "Conflict."}, CreatifyRejected),
    ],
)
def test_rejections_are_sorted_by_status_and_detail(status: int, body: dict, expected: type) -> None:
    client, _ = client_for(httpx.Response(status, json=body))
    with pytest.raises(CreatifyRejected) as caught:
        client.gen_image(PRODUCT)
    assert type(caught.value) is expected


def test_an_error_page_echoing_the_key_is_redacted() -> None:
    client, _ = client_for(httpx.Response(400, text=f"bad header X-API-KEY: {API_KEY}"))
    with pytest.raises(CreatifyRejected) as caught:
        client.gen_image(PRODUCT)
    assert API_KEY not in str(caught.value)
    assert API_KEY not in caught.value.detail


def test_a_provider_returning_something_else_is_a_configuration_error() -> None:
    client = CreatifyClient(
        lambda: {"api_id": "acct-1", "api_key": API_KEY},  # type: ignore[arg-type,return-value]
        transport=httpx.MockTransport(lambda request: httpx.Response(200, json={"remaining_credits": 1})),
    )
    with pytest.raises(CreatifyConfigurationError) as caught:
        client.remaining_credits()
    assert API_KEY not in str(caught.value)


def test_ids_must_be_uuids_so_nothing_odd_reaches_the_path() -> None:
    client, seen = client_for()
    with pytest.raises(ValueError, match="task_id"):
        client.get("../remaining_credits")
    assert seen == []


def test_a_502_to_a_paid_post_is_an_unknown_outcome_never_repeated() -> None:
    client, seen = client_for(httpx.Response(502, text="Bad Gateway"), httpx.Response(200, json=TASK))
    with pytest.raises(CreatifyOutcomeUnknown):
        client.gen_image(PRODUCT)
    assert len(seen) == 1


def test_a_502_to_a_get_is_retried() -> None:
    client, seen = client_for(httpx.Response(502), httpx.Response(200, json=TASK))
    assert client.get(TASK["id"]).status == "initializing"
    assert len(seen) == 2


def test_empty_strings_from_creatify_read_as_absent() -> None:
    blank = {**TASK, "failed_reason": "", "video_prompt": "", "image_prompt": "", "regen_source_id": ""}
    client, _ = client_for(httpx.Response(200, json=blank))
    task = client.get(TASK["id"])
    assert (task.failed_reason, task.video_prompt, task.image_prompt, task.regen_source_id) == (None,) * 4


def test_a_persona_missing_fields_or_broken_leaves_the_rest_of_the_catalogue_listed() -> None:
    good = {"id": str(uuid4()), "creator_name": "Ada", "gender": "f"}  # no created_at: optional
    broken = {"creator_name": "no id"}
    client, _ = client_for(httpx.Response(200, json=[good, broken]))
    (persona,) = client.personas()
    assert persona.creator_name == "Ada"
