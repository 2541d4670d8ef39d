"""The Creatify simulator over real HTTP: contract, lifecycle, media, webhooks and every fault knob.

Every product_to_videos answer any test receives is checked against the upstream JSON schema by
an httpx response hook, so the contract is exercised by the whole module, not by one test.
"""

from __future__ import annotations

import copy
import io
import json
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import av
import httpx
import jsonschema
import pytest
from PIL import Image

from reelay_local.simulators.creatify import CreatifySimulator, SimulatorConfig
from reelay_local.simulators.creatify.media import sample_product_png

# A copy kept in the repo, so the contract is checked on every clone; the test below catches
# the copy drifting from the shared original where that exists.
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "contracts" / "product_to_video.schema.json"
SHARED_SCHEMA_PATH = (
    Path(__file__).resolve().parents[2].parent / "shared" / "upstream" / "product_to_video.schema.json"
)
API_ID, API_KEY = "sim-api-id", "sim-api-key"
AUTH = {"X-API-ID": API_ID, "X-API-KEY": API_KEY}
IMAGE_SECONDS, VIDEO_SECONDS = 0.15, 0.2
TASK_FIELDS = {
    "id", "product_url", "status", "generated_video_url", "generated_photo_url", "created_at", "updated_at",
    "failed_reason", "regen_type", "regen_source_id", "type", "aspect_ratio", "override_avatar",
    "motion_style", "product_showcase_url", "image_prompt", "video_prompt", "webhook_url",
}  # fmt: skip
WEBHOOK_FIELDS = {
    "id", "type", "product_url", "aspect_ratio", "override_avatar", "motion_style", "product_showcase_url",
    "image_prompt", "video_prompt", "status", "generated_video_url", "generated_photo_url", "failed_reason",
    "created_at", "updated_at", "webhook_url",
}  # fmt: skip
PERSONA_FIELDS = {
    "id", "created_at", "updated_at", "gender", "creator_name", "suitable_industries", "preview_image_16_9",
    "preview_image_1_1", "preview_image_9_16", "preview_video_16_9", "preview_video_1_1",
    "preview_video_9_16", "landscape_preview_video", "squared_preview_video", "portrait_preview_video",
    "is_active", "process_status", "failed_reason", "type", "age_range", "location", "style", "video_scene",
    "keywords",
}  # fmt: skip


# A TLS context costs tens of milliseconds to build; one for every client keeps the suite quick.
TLS = ssl.create_default_context()
_PLAIN = httpx.Client(verify=TLS, timeout=10)


def fetch(url: str, **kwargs: Any) -> httpx.Response:
    """A plain GET, as a browser or a CDN consumer would make it (no Creatify headers)."""
    return _PLAIN.get(url, **kwargs)


def admin_put(url: str, **kwargs: Any) -> httpx.Response:
    return _PLAIN.put(url, **kwargs)


def admin_post(url: str, **kwargs: Any) -> httpx.Response:
    return _PLAIN.post(url, **kwargs)


# --------------------------------------------------------------------------- schema checking


def _uri(value: object) -> bool:
    # jsonschema checks "uri" only with optional packages; this keeps the check on without them.
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


class SchemaCheck:
    """Validates product_to_videos answers against the upstream schema, counting what it checked."""

    def __init__(self, schema: dict[str, Any]) -> None:
        checker = jsonschema.FormatChecker()
        checker.checks("uri")(_uri)

        def validator(definition: str) -> jsonschema.Draft202012Validator:
            return jsonschema.Draft202012Validator(
                {**schema, "$ref": f"#/$defs/{definition}"}, format_checker=checker
            )

        self.task = validator("ProductToVideo")
        self.task_list = validator("ProductToVideoList")
        self.checked: list[str] = []

    def __call__(self, response: httpx.Response) -> None:
        path = response.request.url.path
        if not path.startswith("/api/product_to_videos/") or response.status_code != 200:
            return
        response.read()
        body = response.json()
        validator = self.task_list if path == "/api/product_to_videos/" else self.task
        validator.validate(body)
        self.checked.append(path)


@pytest.fixture(scope="module")
def upstream_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


@pytest.fixture
def schema_check(upstream_schema: dict[str, Any]) -> SchemaCheck:
    return SchemaCheck(upstream_schema)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def sim() -> Iterator[CreatifySimulator]:
    with CreatifySimulator(
        SimulatorConfig(image_seconds=IMAGE_SECONDS, video_seconds=VIDEO_SECONDS)
    ) as simulator:
        yield simulator


def make_client(
    sim: CreatifySimulator,
    schema_check: SchemaCheck | None,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Client:
    # Refusals (401) are not task objects: those clients pass no schema check.
    hooks = {"response": [schema_check]} if schema_check is not None else {}
    return httpx.Client(
        base_url=sim.base_url,
        headers=AUTH if headers is None else headers,
        timeout=kwargs.pop("timeout", 10),
        verify=TLS,
        event_hooks=hooks,
        **kwargs,
    )


@pytest.fixture
def client(sim: CreatifySimulator, schema_check: SchemaCheck) -> Iterator[httpx.Client]:
    with make_client(sim, schema_check) as http:
        yield http


class Receiver:
    """A tiny HTTP server standing in for a webhook receiver and a shop's image host."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], dict[str, Any], float]] = []
        self.image_hits: list[str] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                with receiver.lock:
                    receiver.received.append((self.path, dict(self.headers), body, time.monotonic()))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                with receiver.lock:
                    receiver.image_hits.append(self.path)
                data = sample_product_png("mug")
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def bodies(self, path: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [body for got_path, _, body, _ in self.received if path is None or got_path == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def wait_for(check: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.01)
    pytest.fail(f"timed out waiting for {what}")


def wait_status(client: httpx.Client, task_id: str, *statuses: str, timeout: float = 5.0) -> dict[str, Any]:
    def current() -> dict[str, Any] | None:
        task = client.get(f"/api/product_to_videos/{task_id}/").json()
        return task if task["status"] in statuses else None

    return wait_for(current, timeout, f"task {task_id} to reach {statuses}")


def gen_image(client: httpx.Client, sim: CreatifySimulator, **fields: Any) -> dict[str, Any]:
    body = {"product_url": sim.sample_product_url(), **fields}
    response = client.post("/api/product_to_videos/gen_image/", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def generated_image(client: httpx.Client, sim: CreatifySimulator, **fields: Any) -> dict[str, Any]:
    return wait_status(client, gen_image(client, sim, **fields)["id"], "image_generated")


def generated_video(client: httpx.Client, sim: CreatifySimulator, **fields: Any) -> dict[str, Any]:
    task = generated_image(client, sim, **fields)
    assert client.post(f"/api/product_to_videos/{task['id']}/gen_video/", json={}).status_code == 200
    return wait_status(client, task["id"], "video_generated")


# --------------------------------------------------------------------------- authentication


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-API-ID": API_ID}, {"X-API-KEY": API_KEY}],
    ids=["no headers", "id only", "key only"],
)
def test_requests_without_both_api_headers_are_refused(
    sim: CreatifySimulator, headers: dict[str, str]
) -> None:
    with make_client(sim, None, headers=headers) as anonymous:
        for method, path in [
            ("GET", "/api/remaining_credits/"),
            ("POST", "/api/product_to_videos/gen_image/"),
        ]:
            response = anonymous.request(method, path, json={"product_url": sim.sample_product_url()})
            assert response.status_code == 401
            assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert sim.credits(API_ID) == 100


def test_a_wrong_api_key_is_refused(sim: CreatifySimulator) -> None:
    with make_client(sim, None, headers={"X-API-ID": API_ID, "X-API-KEY": "wrong"}) as intruder:
        response = intruder.get("/api/product_to_videos/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid API credentials."}


def test_unknown_paths_and_paths_without_the_trailing_slash_are_not_found(client: httpx.Client) -> None:
    for path in [
        "/api/product_to_videos",
        "/api/remaining_credits",
        "/api/nothing/",
        "/api/product_to_video/",
    ]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not found."}


def test_a_known_path_with_the_wrong_method_is_405(client: httpx.Client) -> None:
    response = client.get("/api/product_to_videos/gen_image/")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert response.json() == {"detail": 'Method "GET" not allowed.'}


# --------------------------------------------------------------------------- gen_image validation

LONG_URL = "https://cdn.example.com/" + "p" * 180 + ".png"


@pytest.mark.parametrize(
    ("body", "field", "messages"),
    [
        ({}, "product_url", ["This field is required."]),
        ({"product_url": "not a url"}, "product_url", ["Enter a valid URL."]),
        ({"product_url": "ftp//cdn.example.com/x.png"}, "product_url", ["Enter a valid URL."]),
        ({"product_url": LONG_URL}, "product_url", ["Ensure this field has no more than 200 characters."]),
        ({"type": "product_video"}, "type", ['"product_video" is not a valid choice.']),
        ({"aspect_ratio": "4x3"}, "aspect_ratio", ['"4x3" is not a valid choice.']),
        ({"override_avatar": "avatar-7"}, "override_avatar", ["Must be a valid UUID."]),
        (
            {"type": "product_avatar", "override_avatar": "00000000-0000-4000-8000-000000000000"},
            "override_avatar",
            ['Invalid pk "00000000-0000-4000-8000-000000000000" - object does not exist.'],
        ),
        ({"webhook_url": LONG_URL}, "webhook_url", ["Ensure this field has no more than 200 characters."]),
        ({"webhook_url": "hooks.example.com/creatify"}, "webhook_url", ["Enter a valid URL."]),
    ],
)
def test_gen_image_names_the_invalid_field(
    sim: CreatifySimulator, client: httpx.Client, body: dict[str, Any], field: str, messages: list[str]
) -> None:
    payload = {"product_url": "https://cdn.example.com/shoe.png", **body}
    if not body:
        payload = {}
    response = client.post("/api/product_to_videos/gen_image/", json=payload)
    assert response.status_code == 400
    assert response.json() == {field: messages}
    assert sim.credits(API_ID) == 100
    assert client.get("/api/product_to_videos/").json() == []


def test_gen_image_reports_every_invalid_field_at_once(client: httpx.Client) -> None:
    response = client.post(
        "/api/product_to_videos/gen_image/", json={"product_url": "nope", "aspect_ratio": "4x3", "type": None}
    )
    assert response.status_code == 400
    assert response.json() == {
        "product_url": ["Enter a valid URL."],
        "type": ["This field may not be null."],
        "aspect_ratio": ['"4x3" is not a valid choice.'],
    }


@pytest.mark.parametrize(
    ("content", "content_type", "status", "expected"),
    [
        ('["https://cdn.example.com/x.png"]', "application/json", 400,
         {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
        ('"https://cdn.example.com/x.png"', "application/json", 400,
         {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}),
        ("product_url=https://cdn.example.com/x.png", "text/plain", 415,
         {"detail": 'Unsupported media type "text/plain" in request.'}),
    ],
)  # fmt: skip
def test_gen_image_body_must_be_a_json_object(
    client: httpx.Client, content: str, content_type: str, status: int, expected: dict[str, Any]
) -> None:
    response = client.post(
        "/api/product_to_videos/gen_image/", content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code == status
    assert response.json() == expected


def test_gen_image_with_malformed_json_is_a_parse_error(client: httpx.Client) -> None:
    response = client.post(
        "/api/product_to_videos/gen_image/",
        content='{"product_url": ',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error - ")


def test_gen_image_applies_defaults_and_ignores_unknown_fields(
    sim: CreatifySimulator, client: httpx.Client
) -> None:
    persona_id = client.get("/api/personas/").json()[0]["id"]
    task = gen_image(
        client, sim, override_avatar=persona_id, colour="red", image_prompt="  on a marble table  "
    )
    assert set(task) == TASK_FIELDS
    assert task["status"] == "initializing"
    assert task["type"] == "product_anyshot"
    assert task["aspect_ratio"] == "16x9"
    # product_anyshot does not use an avatar, so none is stored.
    assert task["override_avatar"] is None
    assert task["image_prompt"] == "on a marble table"
    assert task["generated_photo_url"] is None and task["generated_video_url"] is None
    assert task["regen_type"] is None and task["regen_source_id"] is None
    assert uuid.UUID(task["id"]).version == 4


def test_gen_image_keeps_a_chosen_avatar_for_product_avatar(
    sim: CreatifySimulator, client: httpx.Client
) -> None:
    persona_id = client.get("/api/personas/", params={"age_range": "senior"}).json()[0]["id"]
    task = gen_image(
        client, sim, type="product_avatar", override_avatar=persona_id.upper(), aspect_ratio="9x16"
    )
    assert task["override_avatar"] == persona_id
    assert task["type"] == "product_avatar"


# --------------------------------------------------------------------------- credits


def test_each_generation_charges_its_cost_and_remaining_credits_reports_it(
    sim: CreatifySimulator, client: httpx.Client
) -> None:
    assert client.get("/api/remaining_credits/").json() == {"remaining_credits": 100.0}
    task = generated_image(client, sim)
    assert sim.credits(API_ID) == 99
    client.post(f"/api/product_to_videos/{task['id']}/gen_video/", json={})
    assert sim.credits(API_ID) == 96
    client.post(f"/api/product_to_videos/{task['id']}/regen_image/", json={})
    client.post(f"/api/product_to_videos/{task['id']}/regen_video/", json={})
    assert client.get("/api/remaining_credits/").json() == {"remaining_credits": 94.0}


def test_insufficient_credits_answer_402_and_create_nothing(
    sim: CreatifySimulator, schema_check: Any
) -> None:
    sim.add_account("poor", "poor-key", credits=0.5)
    with make_client(sim, schema_check, headers={"X-API-ID": "poor", "X-API-KEY": "poor-key"}) as poor:
        response = poor.post(
            "/api/product_to_videos/gen_image/", json={"product_url": sim.sample_product_url()}
        )
        assert response.status_code == 402
        assert response.json() == {"detail": "Insufficient credits: 1 required, 0.5 remaining."}
        assert poor.get("/api/product_to_videos/").json() == []
    assert sim.credits("poor") == 0.5


def test_gen_video_without_enough_credits_leaves_the_task_as_it_was(
    sim: CreatifySimulator, schema_check: Any
) -> None:
    sim.add_account("thrifty", "thrifty-key", credits=3)
    with make_client(
        sim, schema_check, headers={"X-API-ID": "thrifty", "X-API-KEY": "thrifty-key"}
    ) as thrifty:
        task = generated_image(thrifty, sim)
        response = thrifty.post(f"/api/product_to_videos/{task['id']}/gen_video/", json={})
        assert response.status_code == 402
        assert response.json() == {"detail": "Insufficient credits: 3 required, 2 remaining."}
        assert thrifty.get(f"/api/product_to_videos/{task['id']}/").json()["status"] == "image_generated"
    assert sim.credits("thrifty") == 2


# --------------------------------------------------------------------------- not found


def test_unknown_and_malformed_task_ids_are_not_found(client: httpx.Client) -> None:
    unknown = str(uuid.uuid4())
    for method, path in [
        ("GET", f"/api/product_to_videos/{unknown}/"),
        ("GET", "/api/product_to_videos/not-a-uuid/"),
        ("POST", f"/api/product_to_videos/{unknown}/gen_video/"),
        ("POST", f"/api/product_to_videos/{unknown}/regen_image/"),
        ("POST", "/api/product_to_videos/12345/regen_video/"),
        ("GET", f"/api/personas/{unknown}/"),
    ]:
        response = client.request(method, path, json={})
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not found."}


def test_another_accounts_task_is_not_found(
    sim: CreatifySimulator, client: httpx.Client, schema_check: Any
) -> None:
    task = gen_image(client, sim)
    sim.add_account("other", "other-key")
    with make_client(sim, schema_check, headers={"X-API-ID": "other", "X-API-KEY": "other-key"}) as other:
        assert other.get(f"/api/product_to_videos/{task['id']}/").status_code == 404
        assert other.post(f"/api/product_to_videos/{task['id']}/regen_image/", json={}).status_code == 404
        assert other.get("/api/product_to_videos/", params={"ids": task["id"]}).json() == []
        assert other.get("/api/product_to_videos/").json() == []
    assert sim.credits("other") == 100


# --------------------------------------------------------------------------- lifecycle


def test_image_stage_walks_through_its_statuses_in_about_image_seconds(schema_check: Any) -> None:
    config = SimulatorConfig(image_seconds=0.6, video_seconds=0.3)
    with CreatifySimulator(config) as sim, make_client(sim, schema_check) as client:
        started = time.monotonic()
        task = gen_image(client, sim)
        seen = [task["status"]]
        while seen[-1] != "image_generated":
            status = client.get(f"/api/product_to_videos/{task['id']}/").json()["status"]
            if status != seen[-1]:
                seen.append(status)
            assert time.monotonic() - started < 5
            time.sleep(0.01)
        elapsed = time.monotonic() - started
    assert seen == ["initializing", "image_generating", "image_generated"]
    assert elapsed >= 0.6


def test_gen_video_is_refused_before_the_image_is_generated(
    sim: CreatifySimulator, client: httpx.Client
) -> None:
    task = gen_image(client, sim)
    response = client.post(f"/api/product_to_videos/{task['id']}/gen_video/", json={})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Video can only be generated from a task in status image_generated (current: initializing)."
    }
    assert sim.credits(API_ID) == 99


def test_gen_video_keeps_the_id_and_stores_the_video_inputs(
    sim: CreatifySimulator, client: httpx.Client, receiver: Receiver
) -> None:
    task = generated_image(client, sim, type="product_avatar", webhook_url=receiver.url("/image"))
    response = client.post(
        f"/api/product_to_videos/{task['id']}/gen_video/",
        json={"motion_style": "talking", "video_prompt": "slow pan", "webhook_url": receiver.url("/video")},
    )
    assert response.status_code == 200
    started = response.json()
    assert started["id"] == task["id"]
    assert started["status"] == "video_generating"
    assert started["motion_style"] == "talking"
    assert started["video_prompt"] == "slow pan"
    assert started["webhook_url"] == receiver.url("/video")
    done = wait_status(client, task["id"], "video_generated")
    assert done["generated_video_url"] == f"{sim.base_url}/media/{task['id']}.mp4"
    assert done["generated_photo_url"] == task["generated_photo_url"]
    assert wait_for(lambda: receiver.bodies("/video"), what="video webhook")[0]["status"] == "video_generated"


def test_gen_video_cannot_be_repeated_on_the_same_task(sim: CreatifySimulator, client: httpx.Client) -> None:
    task = generated_image(client, sim)
    assert client.post(f"/api/product_to_videos/{task['id']}/gen_video/", json={}).status_code == 200
    again = client.post(f"/api/product_to_videos/{task['id']}/gen_video/", json={})
    assert again.status_code == 400
    assert "(current: video_generating)" in again.json()["detail"]
    assert sim.credits(API_ID) == 96


@pytest.mark.parametrize("motion_style", [None, ""])
def test_gen_video_accepts_a_blank_motion_style(
    sim: CreatifySimulator, client: httpx.Client, motion_style: str | None
) -> None:
    task = generated_image(client, sim)
    response = client.post(
        f"/api/product_to_videos/{task['id']}/gen_video/", json={"motion_style": motion_style}
    )
    assert response.status_code == 200
    assert response.json()["motion_style"] == motion_style


def test_gen_video_rejects_an_unknown_motion_style(sim: CreatifySimulator, client: httpx.Client) -> None:
    task = generated_image(client, sim)
    response = client.post(
        f"/api/product_to_videos/{task['id']}/gen_video/", json={"motion_style": "dancing"}
    )
    assert response.status_code == 400
    assert response.json() == {"motion_style": ['"dancing" is not a valid choice.']}
    assert client.get(f"/api/product_to_videos/{task['id']}/").json()["status"] == "image_generated"


def test_regen_image_creates_a_new_task_from_the_source_inputs(
    sim: CreatifySimulator, client: httpx.Client
) -> None:
    source = generated_image(
        client,
        sim,
        aspect_ratio="1x1",
        image_prompt="on a desk",
        product_showcase_url="https://x.example/s.jpg",
    )
    response = client.post(
        f"/api/product_to_videos/{source['id']}/regen_image/", json={"image_prompt": "on grass"}
    )
    assert response.status_code == 200
    regen = response.json()
    assert regen["id"] != source["id"]
    assert regen["regen_type"] == "regen_image"
    assert regen["regen_source_id"] == source["id"]
    assert regen["status"] == "initializing"
    assert regen["image_prompt"] == "on grass"
    for copied in ("product_url", "type", "aspect_ratio", "override_avatar", "product_showcase_url"):
        assert regen[copied] == source[copied]
    done = wait_status(client, regen["id"], "image_generated")
    assert done["generated_photo_url"] == f"{sim.base_url}/media/{regen['id']}.jpg"
    assert client.get(f"/api/product_to_videos/{source['id']}/").json() == source


def test_regen_video_creates_a_new_task_that_animates_the_source_image(
    sim: CreatifySimulator, client: httpx.Client
) -> None:
    source = generated_video(client, sim, aspect_ratio="9x16")
    response = client.post(
        f"/api/product_to_videos/{source['id']}/regen_video/", json={"motion_style": "display"}
    )
    assert response.status_code == 200
    regen = response.json()
    assert regen["id"] != source["id"]
    assert (regen["regen_type"], regen["regen_source_id"]) == ("regen_video", source["id"])
    assert regen["status"] == "video_generating"
    assert regen["motion_style"] == "display"
    # The new task carries its own copy of the source's preview.
    photo = fetch(regen["generated_photo_url"])
    assert photo.status_code == 200
    assert photo.content == fetch(source["generated_photo_url"]).content
    done = wait_status(client, regen["id"], "video_generated")
    assert done["generated_video_url"] == f"{sim.base_url}/media/{regen['id']}.mp4"


def test_regen_video_needs_a_source_with_a_generated_image(
    sim: CreatifySimulator, client: httpx.Client
) -> None:
    source = gen_image(client, sim)
    response = client.post(f"/api/product_to_videos/{source['id']}/regen_video/", json={})
    assert response.status_code == 400
    assert "(current: initializing)" in response.json()["detail"]
    assert sim.credits(API_ID) == 99


# --------------------------------------------------------------------------- list


def test_list_with_ids_returns_just_those_tasks_and_skips_unknown_ones(
    sim: CreatifySimulator, client: httpx.Client
) -> None:
    first, _, third = (gen_image(client, sim) for _ in range(3))
    ids = ",".join([first["id"], third["id"], str(uuid.uuid4())])
    listed = client.get("/api/product_to_videos/", params={"ids": ids}).json()
    assert isinstance(listed, list)
    assert {task["id"] for task in listed} == {first["id"], third["id"]}


def test_list_without_ids_returns_all_the_accounts_tasks_newest_first(
    sim: CreatifySimulator, client: httpx.Client
) -> None:
    created = [gen_image(client, sim)["id"] for _ in range(3)]
    assert [task["id"] for task in client.get("/api/product_to_videos/").json()] == created[::-1]


def test_list_accepts_100_ids_and_refuses_101(client: httpx.Client) -> None:
    hundred = ",".join(str(uuid.uuid4()) for _ in range(100))
    assert client.get("/api/product_to_videos/", params={"ids": hundred}).json() == []
    response = client.get("/api/product_to_videos/", params={"ids": hundred + "," + str(uuid.uuid4())})
    assert response.status_code == 400
    assert response.json() == {"ids": ["Ensure this field has no more than 100 elements."]}


def test_list_refuses_a_malformed_id(client: httpx.Client) -> None:
    response = client.get("/api/product_to_videos/", params={"ids": f"{uuid.uuid4()},abc"})
    assert response.status_code == 400
    assert list(response.json()) == ["ids"]


# --------------------------------------------------------------------------- personas


def test_personas_list_is_a_catalogue_with_every_documented_field(
    sim: CreatifySimulator, client: httpx.Client
) -> None:
    catalogue = client.get("/api/personas/").json()
    assert len(catalogue) >= 30
    assert len({persona["id"] for persona in catalogue}) == len(catalogue)
    for persona in catalogue:
        assert set(persona) == PERSONA_FIELDS
        assert persona["gender"] in {"m", "f", "nb"}
        assert persona["age_range"] in {"child", "teen", "adult", "senior"}
        assert persona["preview_image_16_9"].startswith(sim.base_url)
    one = catalogue[3]
    assert client.get(f"/api/personas/{one['id']}/").json() == one
    preview = fetch(one["preview_image_9_16"])
    assert preview.headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(preview.content)).size[0] < Image.open(io.BytesIO(preview.content)).size[1]


def test_personas_can_be_filtered_by_age_range_and_gender(client: httpx.Client) -> None:
    everyone = client.get("/api/personas/").json()
    picked = client.get("/api/personas/", params={"age_range": "teen,senior", "gender": "f"}).json()
    assert picked
    assert all(p["age_range"] in {"teen", "senior"} and p["gender"] == "f" for p in picked)
    expected = [p for p in everyone if p["age_range"] in {"teen", "senior"} and p["gender"] == "f"]
    assert picked == expected


@pytest.mark.parametrize(("field", "value"), [("age_range", "toddler"), ("gender", "x")])
def test_personas_filter_rejects_an_unknown_value(client: httpx.Client, field: str, value: str) -> None:
    response = client.get(
        "/api/personas/", params={field: f"adult,{value}" if field == "age_range" else value}
    )
    assert response.status_code == 400
    assert response.json() == {
        field: [f"Select a valid choice. {value} is not one of the available choices."]
    }


def test_personas_paginate_with_absolute_links_until_the_end(client: httpx.Client) -> None:
    everyone = client.get("/api/personas/").json()
    page = client.get("/api/personas/paginated/", params={"page_size": 7}).json()
    assert page["count"] == len(everyone)
    assert page["previous"] is None
    collected = list(page["results"])
    while page["next"] is not None:
        assert page["next"].startswith("http://127.0.0.1:")
        page = fetch(page["next"], headers=AUTH).json()
        assert page["previous"] is not None
        collected.extend(page["results"])
    assert collected == everyone
    default = client.get("/api/personas/paginated/").json()
    assert len(default["results"]) == 10
    assert default["next"].endswith("/api/personas/paginated/?page=2")


def test_personas_page_past_the_end_is_an_invalid_page(client: httpx.Client) -> None:
    response = client.get("/api/personas/paginated/", params={"page": 99})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}
    bad_size = client.get("/api/personas/paginated/", params={"page_size": 0})
    assert bad_size.status_code == 400
    assert list(bad_size.json()) == ["page_size"]


# --------------------------------------------------------------------------- media


@pytest.mark.parametrize(("aspect_ratio", "ratio"), [("16x9", 16 / 9), ("9x16", 9 / 16), ("1x1", 1.0)])
def test_preview_is_a_real_jpeg_in_the_requested_aspect_ratio(
    sim: CreatifySimulator, client: httpx.Client, aspect_ratio: str, ratio: float
) -> None:
    task = generated_image(client, sim, aspect_ratio=aspect_ratio)
    response = fetch(task["generated_photo_url"])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert int(response.headers["Content-Length"]) == len(response.content)
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "JPEG"
    assert image.width / image.height == pytest.approx(ratio, rel=0.02)


def test_video_is_a_real_h264_mp4_with_the_preview_dimensions(
    sim: CreatifySimulator, client: httpx.Client
) -> None:
    task = generated_video(client, sim, aspect_ratio="9x16")
    response = fetch(task["generated_video_url"])
    assert response.headers["Content-Type"] == "video/mp4"
    assert int(response.headers["Content-Length"]) == len(response.content)
    preview = Image.open(io.BytesIO(fetch(task["generated_photo_url"]).content))
    with av.open(io.BytesIO(response.content)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = list(container.decode(video=0))
    assert len(frames) >= 1
    assert (frames[0].width, frames[0].height) == preview.size
    assert frames[0].format.name == "yuv420p"


def test_media_support_range_requests_for_video_players(sim: CreatifySimulator, client: httpx.Client) -> None:
    task = generated_video(client, sim)
    whole = fetch(task["generated_video_url"]).content
    part = fetch(task["generated_video_url"], headers={"Range": "bytes=10-109"})
    assert part.status_code == 206
    assert part.content == whole[10:110]
    assert part.headers["Content-Range"] == f"bytes 10-109/{len(whole)}"


def test_media_of_an_unknown_task_is_not_found(sim: CreatifySimulator) -> None:
    assert fetch(f"{sim.base_url}/media/{uuid.uuid4()}.mp4").status_code == 404


def test_preview_is_composed_from_the_product_image_when_it_can_be_fetched(
    sim: CreatifySimulator, client: httpx.Client, receiver: Receiver
) -> None:
    task = generated_image(client, sim, product_url=receiver.url("/products/blue-mug.png"))
    assert receiver.image_hits == ["/products/blue-mug.png"]
    image = Image.open(io.BytesIO(fetch(task["generated_photo_url"]).content)).convert("RGB")
    # The sample mug is painted (40, 110, 190); a JPEG keeps it close.
    colours = image.getcolors(image.width * image.height) or []
    mug_blue = sum(
        count for count, (r, g, b) in colours if abs(r - 40) < 20 and abs(g - 110) < 20 and abs(b - 190) < 20
    )
    assert mug_blue > 2000


def test_an_unreachable_product_image_still_yields_a_drawn_preview(
    sim: CreatifySimulator, client: httpx.Client
) -> None:
    task = generated_image(client, sim, product_url="http://127.0.0.1:9/gone/red-sneaker.jpg")
    assert Image.open(io.BytesIO(fetch(task["generated_photo_url"]).content)).format == "JPEG"


def test_sample_products_are_served_as_png_without_auth(sim: CreatifySimulator) -> None:
    for name in ("sneaker", "mug", "watch"):
        response = fetch(sim.sample_product_url(name))
        assert response.headers["Content-Type"] == "image/png"
        assert Image.open(io.BytesIO(response.content)).mode == "RGBA"
    assert fetch(f"{sim.base_url}/samples/unicorn.png").status_code == 404
    with pytest.raises(ValueError, match="unicorn"):
        sim.sample_product_url("unicorn")


# --------------------------------------------------------------------------- timestamps


def test_api_timestamps_use_the_utc_z_form(sim: CreatifySimulator, client: httpx.Client) -> None:
    task = gen_image(client, sim)
    for stamp in (task["created_at"], task["updated_at"]):
        assert stamp.endswith("Z") and len(stamp) == len("2023-11-07T05:31:56Z")
        datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- webhooks


def test_a_webhook_is_posted_when_the_image_stage_finishes(
    sim: CreatifySimulator, client: httpx.Client, receiver: Receiver, upstream_schema: dict[str, Any] | None
) -> None:
    task = gen_image(client, sim, webhook_url=receiver.url(), image_prompt="on a rock")
    (body,) = wait_for(lambda: receiver.bodies(), what="image webhook")
    headers = receiver.received[0][1]
    assert headers["Content-Type"] == "application/json"
    assert not any("signature" in name.lower() for name in headers)
    assert set(body) == WEBHOOK_FIELDS
    assert body["id"] == task["id"]
    assert body["status"] == "image_generated"
    assert body["generated_photo_url"] == f"{sim.base_url}/media/{task['id']}.jpg"
    assert body["image_prompt"] == "on a rock"
    # Webhook timestamps carry microseconds and a UTC offset, unlike the API's "Z" form.
    created = datetime.fromisoformat(body["created_at"])
    assert (
        created.utcoffset() is not None and "." in body["created_at"] and not body["created_at"].endswith("Z")
    )
    # The sender records a delivery once the receiver has answered, a moment after it arrived.
    (record,) = wait_for(lambda: sim.webhooks_sent, what="the delivery record")
    assert (record.url, record.status_code, record.error) == (receiver.url(), 200, None)
    if upstream_schema is not None:
        # The webhook body is the object minus regen_* (absent on original tasks): require the rest.
        webhook_schema = copy.deepcopy(upstream_schema)
        definition = webhook_schema["$defs"]["ProductToVideo"]
        definition["required"] = [name for name in definition["required"] if name in WEBHOOK_FIELDS]
        webhook_schema["$ref"] = "#/$defs/ProductToVideo"
        jsonschema.Draft202012Validator(webhook_schema, format_checker=jsonschema.FormatChecker()).validate(
            body
        )


def test_regenerated_tasks_webhooks_carry_the_regen_fields(
    sim: CreatifySimulator, client: httpx.Client, receiver: Receiver
) -> None:
    source = generated_image(client, sim)
    regen = client.post(
        f"/api/product_to_videos/{source['id']}/regen_image/", json={"webhook_url": receiver.url()}
    ).json()
    (body,) = wait_for(lambda: receiver.bodies(), what="regen webhook")
    assert set(body) == WEBHOOK_FIELDS | {"regen_source_id", "regen_type"}
    assert (body["id"], body["regen_source_id"], body["regen_type"]) == (
        regen["id"],
        source["id"],
        "regen_image",
    )


def test_an_unreachable_webhook_receiver_is_tried_once_and_recorded(
    sim: CreatifySimulator, client: httpx.Client
) -> None:
    task = generated_image(client, sim, webhook_url="http://127.0.0.1:9/hook")
    record = wait_for(lambda: sim.webhooks_sent, what="webhook attempt")[0]
    assert record.status_code is None and record.error
    assert record.body["id"] == task["id"]
    wait_status(client, gen_image(client, sim)["id"], "image_generated")
    assert len(sim.webhooks_sent) == 1


# --------------------------------------------------------------------------- failed generations


def test_an_image_stage_failure_ends_failed_with_the_reason(
    sim: CreatifySimulator, client: httpx.Client, receiver: Receiver
) -> None:
    sim.set_faults(fail_rate=1.0, fail_stage="image", failed_reason="Image generation failed: blurry product")
    task = gen_image(client, sim, webhook_url=receiver.url())
    failed = wait_status(client, task["id"], "failed")
    assert failed["failed_reason"] == "Image generation failed: blurry product"
    assert failed["generated_photo_url"] is None
    (body,) = wait_for(lambda: receiver.bodies(), what="failure webhook")
    assert (body["status"], body["failed_reason"]) == ("failed", "Image generation failed: blurry product")
    assert sim.credits(API_ID) == 99  # no refund
    refused = client.post(f"/api/product_to_videos/{task['id']}/gen_video/", json={})
    assert refused.status_code == 400


def test_a_video_stage_failure_keeps_the_preview_and_spends_the_credits(
    sim: CreatifySimulator, client: httpx.Client
) -> None:
    sim.set_faults(fail_rate=1.0, fail_stage="video")
    task = generated_image(client, sim)
    client.post(f"/api/product_to_videos/{task['id']}/gen_video/", json={})
    failed = wait_status(client, task["id"], "failed")
    assert failed["failed_reason"].startswith("Video generation failed")
    assert failed["generated_photo_url"] == task["generated_photo_url"]
    assert failed["generated_video_url"] is None
    assert sim.credits(API_ID) == 96
    # The preview survives, so a video can be regenerated from it.
    sim.set_faults(fail_rate=0.0)
    regen = client.post(f"/api/product_to_videos/{task['id']}/regen_video/", json={}).json()
    assert wait_status(client, regen["id"], "video_generated")["regen_source_id"] == task["id"]


# --------------------------------------------------------------------------- webhook faults


def test_dropped_webhooks_never_arrive(
    sim: CreatifySimulator, client: httpx.Client, receiver: Receiver
) -> None:
    sim.faults.webhook_drop_rate = 1.0
    task = generated_image(client, sim, webhook_url=receiver.url("/dropped"))
    dropped = wait_for(lambda: sim.webhooks_dropped, what="a dropped webhook")
    assert dropped[0].body["id"] == task["id"]
    # A later webhook does arrive, and the dropped one still has not.
    sim.faults.webhook_drop_rate = 0.0
    generated_image(client, sim, webhook_url=receiver.url("/control"))
    wait_for(lambda: receiver.bodies("/control"), what="control webhook")
    assert receiver.bodies("/dropped") == []
    sent = wait_for(lambda: sim.webhooks_sent, what="the control delivery record")
    assert [record.url for record in sent] == [receiver.url("/control")]


def test_duplicated_webhooks_arrive_twice_with_the_same_body(
    sim: CreatifySimulator, client: httpx.Client, receiver: Receiver
) -> None:
    sim.faults.webhook_duplicate_rate = 1.0
    gen_image(client, sim, webhook_url=receiver.url())
    first, second = wait_for(lambda: len(receiver.bodies()) == 2 and receiver.bodies(), what="two webhooks")
    assert first == second


def test_reordered_webhooks_deliver_the_video_stage_before_the_image_stage(
    sim: CreatifySimulator, client: httpx.Client, receiver: Receiver
) -> None:
    sim.set_faults(webhook_reorder=True)
    task = generated_image(client, sim, webhook_url=receiver.url())
    assert receiver.bodies() == []  # held back
    client.post(f"/api/product_to_videos/{task['id']}/gen_video/", json={})
    bodies = wait_for(lambda: len(receiver.bodies()) == 2 and receiver.bodies(), what="both webhooks")
    assert [body["status"] for body in bodies] == ["video_generated", "image_generated"]


def test_a_held_image_webhook_is_released_after_the_longest_hold(
    sim: CreatifySimulator, client: httpx.Client, receiver: Receiver
) -> None:
    sim.set_faults(webhook_reorder=True, reorder_max_hold_seconds=0.3)
    started = time.monotonic()
    gen_image(client, sim, webhook_url=receiver.url())
    (body,) = wait_for(lambda: receiver.bodies(), what="released webhook")
    assert body["status"] == "image_generated"
    assert receiver.received[0][3] - started >= IMAGE_SECONDS + 0.3


def test_webhook_delay_postpones_delivery(
    sim: CreatifySimulator, client: httpx.Client, receiver: Receiver
) -> None:
    sim.faults.webhook_delay_seconds = 0.4
    started = time.monotonic()
    gen_image(client, sim, webhook_url=receiver.url())
    wait_for(lambda: receiver.received, what="delayed webhook")
    assert receiver.received[0][3] - started >= IMAGE_SECONDS + 0.4


# --------------------------------------------------------------------------- transport faults


def test_latency_is_added_to_every_api_answer(sim: CreatifySimulator, client: httpx.Client) -> None:
    sim.faults.latency_seconds = 0.3
    for path in ("/api/remaining_credits/", "/api/nothing/"):
        started = time.monotonic()
        client.get(path)
        assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    fetch(sim.sample_product_url())
    assert time.monotonic() - started < 0.3  # media are not API answers


def test_post_latency_slows_the_paid_calls_and_not_the_reads(
    sim: CreatifySimulator, client: httpx.Client
) -> None:
    sim.faults.post_latency_seconds = 0.3
    started = time.monotonic()
    task = gen_image(client, sim)
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    assert client.get(f"/api/product_to_videos/{task['id']}/").status_code == 200
    assert time.monotonic() - started < 0.3


def test_the_simulator_reports_the_most_posts_it_answered_at_once(
    sim: CreatifySimulator, client: httpx.Client
) -> None:
    sim.faults.post_latency_seconds = 0.4
    barrier = threading.Barrier(3)

    def post() -> int:
        with make_client(sim, None) as own:
            barrier.wait()
            body = {"product_url": sim.sample_product_url()}
            return own.post("/api/product_to_videos/gen_image/", json=body).status_code

    threads = [threading.Thread(target=post) for _ in range(3)]
    for thread in threads:
        thread.start()
    wait_for(lambda: sim.concurrency()["in_flight"].get("POST") == 3, what="three POSTs in flight")
    client.get("/api/remaining_credits/")
    for thread in threads:
        thread.join()
    # A request leaves the gauge once its answer is written, a moment after the client has it.
    wait_for(lambda: sim.concurrency()["in_flight"] == {}, what="every request answered")
    seen = sim.concurrency()
    assert seen["peak"]["POST"] == 3  # the three waited in the latency together
    assert seen["peak"]["GET"] == 1 and seen["peak"]["all"] == 4
    fetch(sim.sample_product_url())  # media are not API calls
    assert fetch(f"{sim.base_url}/_sim/concurrency").json()["peak"]["all"] == 4

    reset = _PLAIN.delete(f"{sim.base_url}/_sim/concurrency").json()
    assert reset["peak"] == {}
    client.post("/api/product_to_videos/gen_image/", json={"product_url": sim.sample_product_url()})
    assert sim.concurrency()["peak"]["POST"] == 1


def test_queued_errors_are_answered_in_order_before_any_processing(
    sim: CreatifySimulator, client: httpx.Client
) -> None:
    sim.faults.error_queue = [429, 503, 500]
    body = {"product_url": sim.sample_product_url()}
    answers = [client.post("/api/product_to_videos/gen_image/", json=body) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [429, 503, 500, 200]
    assert answers[0].headers["Retry-After"] == "1"
    assert answers[0].json() == {"detail": "Request was throttled. Expected available in 1 second."}
    assert answers[1].headers["Content-Type"].startswith("text/html")
    assert sim.credits(API_ID) == 99
    assert len(client.get("/api/product_to_videos/").json()) == 1


def test_rate_429_throttles_without_spending_credits(sim: CreatifySimulator, client: httpx.Client) -> None:
    sim.faults.rate_429 = 1.0
    body = {"product_url": sim.sample_product_url()}
    answers = [client.post("/api/product_to_videos/gen_image/", json=body) for _ in range(5)]
    assert {answer.status_code for answer in answers} == {429}
    assert all(answer.headers["Retry-After"] == "1" for answer in answers)
    sim.faults.rate_429 = 0.0
    assert client.get("/api/remaining_credits/").json() == {"remaining_credits": 100.0}
    assert client.get("/api/product_to_videos/").json() == []


def test_rate_5xx_answers_gateway_errors_without_spending_credits(
    sim: CreatifySimulator, client: httpx.Client
) -> None:
    sim.set_faults(rate_5xx=1.0)
    body = {"product_url": sim.sample_product_url()}
    statuses = {client.post("/api/product_to_videos/gen_image/", json=body).status_code for _ in range(12)}
    assert statuses <= {502, 503, 504} and len(statuses) >= 2
    sim.set_faults(rate_5xx=0.0)
    assert sim.credits(API_ID) == 100
    assert client.get("/api/product_to_videos/").json() == []


def test_a_hanging_post_times_out_yet_the_task_exists_and_was_paid_for(
    sim: CreatifySimulator, schema_check: Any
) -> None:
    sim.set_faults(hang_rate=1.0, hang_seconds=20)
    with make_client(sim, schema_check, timeout=httpx.Timeout(5, read=0.3)) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            impatient.post(
                "/api/product_to_videos/gen_image/", json={"product_url": sim.sample_product_url()}
            )
        # GETs never hang, so the caller can find out what happened (given a busy machine's time).
        (task,) = impatient.get("/api/product_to_videos/", timeout=10).json()
    assert sim.credits(API_ID) == 99
    assert sim.calls(method="POST")[0].status_code == 200
    assert sim.task(task["id"])["status"] in {"initializing", "image_generating", "image_generated"}
    # Stopping does not wait for the hanging request.
    started = time.monotonic()
    sim.stop()
    assert time.monotonic() - started < 2


def test_calls_record_every_api_request_but_not_media(sim: CreatifySimulator, client: httpx.Client) -> None:
    task = gen_image(client, sim)
    client.get("/api/product_to_videos/", params={"ids": task["id"]})
    fetch(sim.sample_product_url())
    fetch(f"{sim.base_url}/_sim/faults")
    with make_client(sim, None, headers={}) as anonymous:
        anonymous.get("/api/remaining_credits/")
    calls = sim.calls()
    assert [(call.method, call.path, call.status_code, call.api_id) for call in calls] == [
        ("POST", "/api/product_to_videos/gen_image/", 200, API_ID),
        ("GET", "/api/product_to_videos/", 200, API_ID),
        ("GET", "/api/remaining_credits/", 401, None),
    ]
    assert calls[1].query == f"ids={task['id']}"
    assert sim.calls(method="post", path_contains="gen_image") == calls[:1]


# --------------------------------------------------------------------------- admin over HTTP


def test_faults_and_accounts_can_be_changed_over_admin_http(sim: CreatifySimulator) -> None:
    admin = f"{sim.base_url}/_sim"
    changed = admin_put(f"{admin}/faults", json={"rate_429": 0.25, "error_queue": [503]}).json()
    assert changed["rate_429"] == 0.25 and changed["error_queue"] == [503]
    assert changed["latency_seconds"] == 0.0  # merged, not replaced
    assert sim.faults.rate_429 == 0.25
    bad = admin_put(f"{admin}/faults", json={"rate_429": 2})
    assert bad.status_code == 400 and sim.faults.rate_429 == 0.25
    assert admin_put(f"{admin}/faults", json={"no_such_knob": 1}).status_code == 400
    admin_put(f"{admin}/faults", json={"rate_429": 0, "error_queue": []})

    created = admin_post(f"{admin}/accounts", json={"api_id": "cli", "api_key": "cli-key", "credits": 7})
    assert created.status_code == 201
    answer = fetch(
        f"{sim.base_url}/api/remaining_credits/", headers={"X-API-ID": "cli", "X-API-KEY": "cli-key"}
    )
    assert answer.json() == {"remaining_credits": 7.0}
    calls = fetch(f"{admin}/calls").json()
    assert calls[-1]["path"] == "/api/remaining_credits/" and calls[-1]["api_id"] == "cli"
    assert fetch(f"{admin}/webhooks").json() == []


def test_stop_frees_the_port() -> None:
    sim = CreatifySimulator(SimulatorConfig()).start()
    port = int(sim.base_url.rsplit(":", 1)[1])
    assert fetch(f"{sim.base_url}/_sim/health").json()["status"] == "ok"
    sim.stop()
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
    with pytest.raises(httpx.ConnectError):
        fetch(f"{sim.base_url}/_sim/health")


def test_a_configured_port_and_accounts_are_used() -> None:
    with socket.socket() as finder:
        finder.bind(("127.0.0.1", 0))
        port = finder.getsockname()[1]
    config = SimulatorConfig(port=port, accounts={"team": ("team-key", 12.0)})
    with CreatifySimulator(config) as sim:
        assert sim.base_url == f"http://127.0.0.1:{port}"
        answer = fetch(
            f"{sim.base_url}/api/remaining_credits/", headers={"X-API-ID": "team", "X-API-KEY": "team-key"}
        )
        assert answer.json() == {"remaining_credits": 12.0}


# --------------------------------------------------------------------------- contract


def test_every_task_answer_matches_the_upstream_schema(
    sim: CreatifySimulator, client: httpx.Client, schema_check: SchemaCheck
) -> None:
    task = generated_video(
        client, sim, type="product_avatar", aspect_ratio="1x1", webhook_url="https://h.example/x"
    )
    client.post(f"/api/product_to_videos/{task['id']}/regen_image/", json={})
    client.post(f"/api/product_to_videos/{task['id']}/regen_video/", json={"motion_style": ""})
    sim.set_faults(fail_rate=1.0)
    failed = gen_image(client, sim)
    wait_status(client, failed["id"], "failed")
    client.get("/api/product_to_videos/")
    client.get("/api/product_to_videos/", params={"ids": f"{task['id']},{failed['id']}"})
    checked = set(schema_check.checked)
    assert "/api/product_to_videos/gen_image/" in checked
    assert "/api/product_to_videos/" in checked
    assert f"/api/product_to_videos/{task['id']}/gen_video/" in checked
    assert f"/api/product_to_videos/{task['id']}/regen_video/" in checked
    assert len(schema_check.checked) > 10


def test_the_repo_copy_of_the_upstream_schema_matches_the_shared_original() -> None:
    if not SHARED_SCHEMA_PATH.exists():
        pytest.skip(f"no shared original at {SHARED_SCHEMA_PATH} (a user's clone has none)")
    assert json.loads(SCHEMA_PATH.read_text()) == json.loads(SHARED_SCHEMA_PATH.read_text())


def test_the_schema_check_rejects_an_answer_that_breaks_the_contract(
    schema_check: SchemaCheck,
) -> None:
    with pytest.raises(jsonschema.ValidationError):
        schema_check.task.validate({"id": "not-a-uuid", "product_url": "x", "status": "done"})


# --------------------------------------------------------------------------- standalone


def test_running_as_a_module_prints_the_base_url_and_stops_on_sigterm() -> None:
    command = [
        sys.executable,
        "-m",
        "reelay_local.simulators.creatify",
        "--port",
        "0",
        "--image-seconds",
        "3",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        faults = fetch(f"{base_url}/_sim/faults").json()
        assert faults["rate_429"] == 0.0
        credits = fetch(f"{base_url}/api/remaining_credits/", headers=AUTH).json()
        assert credits == {"remaining_credits": 100.0}
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
