"""The media archive on the embedded stack: what is copied, what consumers are told, the media link.

Creatify's files come from the simulator (or a generated source) over HTTP on 127.0.0.1, the
copies go to the template's bucket in moto, and every step runs through the real handlers.
"""

from __future__ import annotations

import json
import socket
from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import requests

from reelay.clients.aws import aws_client
from reelay.deps import runtime
from reelay.logic import archive_media as archive_module
from reelay.logic.archive_media import ArchiveResult, archive_media
from reelay.logic.task_lifecycle import archive_job
from reelay.models.media_states import MediaAsset
from reelay.models.status import TaskStatus
from reelay.models.task import WEBHOOK_FIELDS, Task
from reelay_local.consumers.webhook_receiver import WebhookReceiver
from reelay_local.simulators.media_source import MediaSource
from tests.integration.pipeline import TenantApi, stored


def bucket(embedded: Any) -> str:
    return embedded.deployed.outputs["MediaBucketName"]


def object_bytes(embedded: Any, key: str) -> bytes:
    return embedded.clients("s3").get_object(Bucket=bucket(embedded), Key=key)["Body"].read()


def s3_calls() -> Counter[str]:
    """The S3 operations the functions make from now on (a botocore hook on their shared client)."""
    seen: Counter[str] = Counter()
    aws_client("s3").meta.events.register("before-call.s3", lambda model, **_: seen.update([model.name]))
    return seen


def seed_video_task(api: TenantApi, video_url: str, **fields: Any) -> Task:
    """A task that Creatify finished with this video URL, stored as the API would store it."""
    task = Task(
        id=f"seeded-{abs(hash(video_url))}",
        tenant_id=api.tenant_id,
        product_url="https://shop.example/p.png",
        status=TaskStatus.VIDEO_GENERATED,
        generated_video_url=video_url,
        **fields,
    )
    runtime().tasks.create(task, stays_open=False)
    return task


def test_photo_and_video_are_archived_and_every_channel_carries_the_media(embedded, simulator):
    api = TenantApi.create(embedded)
    with WebhookReceiver(secret=api.tenant.webhook_secret) as receiver:
        task = api.submit(simulator.sample_product_url("sneaker"), webhook_url=receiver.url)
        done = api.run_until(task["id"])
        (delivery,) = receiver.wait_for(1)

    assert done["status"] == "video_generated"
    media = done["media"]
    assert media["bucket"] == bucket(embedded)
    for asset, ext, content_type, source in (
        ("photo", "jpg", "image/jpeg", done["generated_photo_url"]),
        ("video", "mp4", "video/mp4", done["generated_video_url"]),
    ):
        file = media[asset]
        original = httpx.get(source).content
        assert file["state"] == "archived"
        assert file["key"] == f"tasks/{api.tenant_id}/{task['id']}/{asset}.{ext}"
        assert (file["bytes"], file["content_type"]) == (len(original), content_type)
        assert object_bytes(embedded, file["key"]) == original
        head = embedded.clients("s3").head_object(Bucket=bucket(embedded), Key=file["key"])
        assert head["ContentType"] == content_type

    (event,) = embedded.consumers.events()
    assert event["detail"]["media"] == media
    (note,) = embedded.consumers.notifications()
    assert json.loads(note["Message"])["media"] == media
    body = delivery.json()
    assert list(body) == [*WEBHOOK_FIELDS, "media"]
    assert body["media"] == media
    history = api.request("GET", f"/v1/product-videos/{task['id']}/history").json()["entries"]
    archived = [(e["asset"], e["outcome"]) for e in history if e["kind"] == "archive"]
    assert sorted(archived) == [("photo", "archived"), ("video", "archived")]


def test_the_media_link_redirects_to_the_object_and_a_wrong_signature_learns_nothing(embedded, simulator):
    api = TenantApi.create(embedded)
    task = api.submit(simulator.sample_product_url("mug"))
    video = api.run_until(task["id"])["media"]["video"]
    path = urlsplit(video["url"]).path.removeprefix(f"/{embedded.deployed.api_stage}")
    sig = parse_qs(urlsplit(video["url"]).query)["sig"][0]

    answer = embedded.stack.api_request("GET", path, query_string=f"sig={sig}")

    assert answer.status == 302
    location = answer.headers["Location"]
    assert urlsplit(location).path.endswith(video["key"])
    assert parse_qs(urlsplit(location).query)["X-Amz-Expires"] == ["900"]
    assert requests.get(location, timeout=10).content == object_bytes(embedded, video["key"])

    wrong = embedded.stack.api_request("GET", path, query_string="sig=" + "A" * len(sig))
    missing = embedded.stack.api_request("GET", path)
    absent_task = path.replace(task["id"], "no-such-task")
    unknown = embedded.stack.api_request("GET", absent_task, query_string="sig=" + "A" * len(sig))
    assert (wrong.status, missing.status, unknown.status) == (403, 403, 403)
    assert wrong.json() == unknown.json()
    good_sig_no_copy = runtime().media_links.sign("no-such-task", MediaAsset.VIDEO)
    assert (
        embedded.stack.api_request("GET", absent_task, query_string=f"sig={good_sig_no_copy}").status == 404
    )


def test_a_repeated_archive_job_writes_the_same_object_and_changes_no_outcome(embedded, simulator):
    api = TenantApi.create(embedded)
    task = api.submit(simulator.sample_product_url("bottle"))
    api.run_until(task["id"])
    before = stored(task["id"])
    key = before.archive["video"].key
    original = object_bytes(embedded, key)
    calls = s3_calls()

    job = archive_job(before, MediaAsset.VIDEO)
    runtime().media_queue.send(job)
    embedded.stack.pump()
    again = archive_media(job, runtime(), message_id="a-redelivery")

    # No claim: each copy writes the object again, whole, with the same bytes; neither counts.
    assert again.result is ArchiveResult.SKIPPED
    assert calls == Counter({"PutObject": 2})
    assert object_bytes(embedded, key) == original
    after = stored(task["id"])
    assert after.archive == before.archive
    assert after.history == before.history
    assert len(embedded.consumers.events()) == 1


def test_a_source_at_an_internal_address_is_refused_before_any_connection(embedded, monkeypatch):
    api = TenantApi.create(embedded)
    connected: list[Any] = []
    real_connect = socket.socket.connect

    def watched(sock: socket.socket, address: Any) -> Any:
        connected.append(address)
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", watched)
    for url in ("http://169.254.169.254/latest/video.mp4", "http://10.0.0.7/video.mp4"):
        task = seed_video_task(api, url)
        embedded.stack.pump(until=lambda t=task: stored(t.id).archive.get("video") is not None)
        embedded.stack.pump()

        file = stored(task.id).archive["video"]
        assert file.state.value == "failed"
        assert file.failed_reason.startswith("source refused: host")
        assert ("link-local" if "169.254" in url else "private") in file.failed_reason
    assert [a for a in connected if isinstance(a, tuple) and a[0] in ("169.254.169.254", "10.0.0.7")] == []


def test_a_source_that_keeps_failing_ends_failed_and_the_video_is_still_announced(embedded, monkeypatch):
    # No waiting between retries here; the delays themselves are the queue's (DelaySeconds).
    monkeypatch.setattr(archive_module, "RETRY_DELAYS", (0, 0, 0))
    api = TenantApi.create(embedded)
    with MediaSource() as source, WebhookReceiver(secret=api.tenant.webhook_secret) as receiver:
        url = f"{source.base_url}/fail/video.mp4"
        task = seed_video_task(api, url, webhook_url=receiver.url)
        embedded.stack.pump(until=lambda: _settled(task.id), timeout=20)
        embedded.stack.pump()
        (delivery,) = receiver.wait_for(1)
        requests_made = source.requests["/fail/video.mp4"]

    assert requests_made == 1 + len(archive_module.RETRY_DELAYS)
    file = stored(task.id).archive["video"]
    assert (file.state.value, file.failed_reason, file.attempts) == ("failed", "source answered HTTP 500", 4)
    (event,) = embedded.consumers.events()
    assert event["detail-type"] == "Product Video Generated"
    assert event["detail"]["media"]["video"]["state"] == "failed"
    assert event["detail"]["media"]["video"]["failed_reason"] == "source answered HTTP 500"
    assert delivery.json()["media"]["video"]["state"] == "failed"
    view = api.get(task.id)["media"]["video"]
    assert (view["state"], view["url"]) == ("failed", None)
    outcomes = [e["o"] for e in stored(task.id).history if e.get("k") == "a"]
    assert outcomes == ["retry_scheduled"] * 3 + ["failed"]


def _settled(task_id: str) -> bool:
    file = stored(task_id).archive.get("video")
    return file is not None and file.state.value != "pending"
