"""Answers the simulator does not give (odd bodies, Retry-After, dropped connections), served
over real HTTP on 127.0.0.1 to the real client: each answer is described as an httpx.Response
(status, headers, body) or DROP (the connection closed without an answer). Everything the
simulator can do is tested against it in tests/integration/test_creatify_client.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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

DROP = "drop"  # the server reads the request and closes the connection without answering


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@pytest.fixture
def client_for() -> Iterator:
    """Make a client whose Creatify answers each request with the next of `answers`."""
    servers: list[ThreadingHTTPServer] = []

    def make(*answers: httpx.Response | str, **options: object) -> tuple[CreatifyClient, list[Seen]]:
        seen: list[Seen] = []
        queue = list(answers)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                seen.append(Seen(self.command, self.path, dict(self.headers.items())))
                answer = queue.pop(0)
                if answer == DROP:
                    self.close_connection = True
                    return
                self.send_response(answer.status_code)
                for name, value in answer.headers.items():
                    if name.lower() not in ("content-length", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = _answer

            def log_message(self, format: str, *args: object) -> None:
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        settings: dict = {"backoff_base": 0.001, "backoff_cap": 0.01}
        settings.update(options)
        base_url = f"http://127.0.0.1:{server.server_address[1]}"
        return CreatifyClient(CREDENTIALS, base_url=base_url, **settings), seen

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


def test_requests_carry_both_key_headers_and_no_key_in_the_url(client_for) -> None:
    client, seen = client_for(httpx.Response(200, json=TASK))
    client.gen_image(PRODUCT)
    (request,) = seen
    assert (request.method, request.path) == ("POST", "/api/product_to_videos/gen_image/")
    assert request.headers["X-API-ID"] == "acct-1"
    assert request.headers["X-API-KEY"] == API_KEY
    assert API_KEY not in request.path


def test_retry_after_is_honoured_before_the_next_attempt(client_for) -> None:
    client, seen = client_for(
        httpx.Response(429, headers={"Retry-After": "0.3"}), httpx.Response(200, json=TASK), backoff_cap=5.0
    )
    started = time.monotonic()
    client.gen_image(PRODUCT)
    assert time.monotonic() - started >= 0.3
    assert len(seen) == 2


def test_retry_after_is_capped_by_backoff_cap(client_for) -> None:
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


def test_an_http_date_retry_after_is_read_as_seconds_from_now(client_for) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    client, _ = client_for(httpx.Response(503, headers={"Retry-After": later}), max_attempts=1)
    with pytest.raises(CreatifyRetryable) as caught:
        client.remaining_credits()
    assert 100 < caught.value.retry_after <= 120


def test_a_connection_dropped_after_a_post_went_out_is_an_unknown_outcome(client_for) -> None:
    client, seen = client_for(DROP, DROP, DROP)
    with pytest.raises(CreatifyOutcomeUnknown):
        client.gen_image(PRODUCT)
    assert len(seen) == 1


def test_a_connection_dropped_during_a_get_is_retried(client_for) -> None:
    client, seen = client_for(DROP, httpx.Response(200, json={"remaining_credits": 7}))
    assert client.remaining_credits() == 7.0
    assert len(seen) == 2


def test_a_non_json_success_on_a_get_is_a_clear_error(client_for) -> None:
    page = httpx.Response(200, text="<html>maintenance</html>", headers={"content-type": "text/html"})
    client, _ = client_for(page)
    with pytest.raises(CreatifyError, match="not JSON") as caught:
        client.get(TASK["id"])
    assert type(caught.value) is CreatifyError


def test_a_non_json_success_on_a_post_is_an_unknown_outcome(client_for) -> None:
    client, seen = client_for(httpx.Response(200, text="OK"), httpx.Response(200, json=TASK))
    with pytest.raises(CreatifyOutcomeUnknown, match="not JSON"):
        client.gen_image(PRODUCT)
    assert len(seen) == 1


def test_a_success_body_that_breaks_the_contract_names_the_field_without_its_value(client_for) -> None:
    client, _ = client_for(httpx.Response(200, json={**TASK, "status": "done-ish"}))
    with pytest.raises(CreatifyError, match="status") as caught:
        client.get(TASK["id"])
    assert "done-ish" not in str(caught.value)


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        pytest.param({k: v for k, v in TASK.items() if k != "id"}, "id: missing", id="no id"),
        pytest.param({**TASK, "id": "task-7"}, "id: should be a UUID", id="id not a UUID"),
        pytest.param([TASK], "(record): should be an object", id="a list"),
    ],
)
def test_a_post_answered_with_no_readable_task_is_an_unknown_outcome(
    client_for, answer: object, named: str
) -> None:
    client, seen = client_for(httpx.Response(200, json=answer), httpx.Response(200, json=TASK))
    with pytest.raises(CreatifyOutcomeUnknown, match="does not match the contract") as caught:
        client.gen_image(PRODUCT)
    assert named in str(caught.value)
    assert "task-7" not in str(caught.value)
    assert len(seen) == 1  # paid for, so not asked again


def test_one_unreadable_task_in_a_list_fails_the_list_naming_the_field(client_for) -> None:
    client, _ = client_for(httpx.Response(200, json=[TASK, {**TASK, "created_at": "soon"}]))
    with pytest.raises(CreatifyError, match="created_at: should be an ISO 8601 date and time") as caught:
        client.list()
    assert type(caught.value) is CreatifyError
    assert "soon" not in str(caught.value)


def test_drf_errors_keep_detail_and_every_field(client_for) -> None:
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
def test_rejections_are_sorted_by_status_and_detail(
    client_for, status: int, body: dict, expected: type
) -> None:
    client, _ = client_for(httpx.Response(status, json=body))
    with pytest.raises(CreatifyRejected) as caught:
        client.gen_image(PRODUCT)
    assert type(caught.value) is expected


def test_an_error_page_echoing_the_key_is_redacted(client_for) -> None:
    client, _ = client_for(httpx.Response(400, text=f"bad header X-API-KEY: {API_KEY}"))
    with pytest.raises(CreatifyRejected) as caught:
        client.gen_image(PRODUCT)
    assert API_KEY not in str(caught.value)
    assert API_KEY not in caught.value.detail


def test_a_provider_returning_something_else_is_a_configuration_error(client_for) -> None:
    served, seen = client_for(httpx.Response(200, json={"remaining_credits": 1}))
    client = CreatifyClient(
        lambda: {"api_id": "acct-1", "api_key": API_KEY},  # type: ignore[arg-type,return-value]
        base_url=served.base_url,
    )
    with pytest.raises(CreatifyConfigurationError) as caught:
        client.remaining_credits()
    assert API_KEY not in str(caught.value)
    assert seen == []


def test_ids_must_be_uuids_so_nothing_odd_reaches_the_path(client_for) -> None:
    client, seen = client_for()
    with pytest.raises(ValueError, match="task_id"):
        client.get("../remaining_credits")
    assert seen == []


def test_a_502_to_a_paid_post_is_an_unknown_outcome_never_repeated(client_for) -> None:
    client, seen = client_for(httpx.Response(502, text="Bad Gateway"), httpx.Response(200, json=TASK))
    with pytest.raises(CreatifyOutcomeUnknown):
        client.gen_image(PRODUCT)
    assert len(seen) == 1


def test_a_502_to_a_get_is_retried(client_for) -> None:
    client, seen = client_for(httpx.Response(502), httpx.Response(200, json=TASK))
    assert client.get(TASK["id"]).status == "initializing"
    assert len(seen) == 2


def test_empty_strings_from_creatify_read_as_absent(client_for) -> None:
    blank = {**TASK, "failed_reason": "", "video_prompt": "", "image_prompt": "", "regen_source_id": ""}
    client, _ = client_for(httpx.Response(200, json=blank))
    task = client.get(TASK["id"])
    assert (task.failed_reason, task.video_prompt, task.image_prompt, task.regen_source_id) == (None,) * 4


def test_a_persona_missing_fields_or_broken_leaves_the_rest_of_the_catalogue_listed(client_for) -> None:
    good = {"id": str(uuid4()), "creator_name": "Ada", "gender": "f"}  # no created_at: optional
    broken = {"creator_name": "no id"}
    client, _ = client_for(httpx.Response(200, json=[good, broken]))
    (persona,) = client.personas()
    assert persona.creator_name == "Ada"
