"""`reelay up` in a subprocess, used only over HTTP: the API, the consumer queues in moto, a webhook."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import httpx
import pytest

from reelay_local.consumers.webhook_receiver import WebhookReceiver
from tests.e2e.reelay_process import port_open

pytestmark = pytest.mark.e2e

FORWARD = ["initializing", "image_generating", "image_generated", "video_generating", "video_generated"]


def _sqs(ready: dict[str, Any]) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=ready["aws_endpoint_url"],
        region_name=ready["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def _drain(sqs: Any, queue_url: str, want: int, timeout: float = 15.0) -> list[dict[str, Any]]:
    """Messages on a consumer queue: waits for `want`, then reads once more to catch extras."""
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in batch.get("Messages", []):
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        if len(found) >= want and not batch.get("Messages"):
            break
    return found


def test_one_product_becomes_a_video_with_events_and_a_signed_delivery_then_ctrl_c_frees_every_port(
    reelay_up,
):
    up, ready = reelay_up
    api = httpx.Client(
        base_url=ready["api_url"], headers={"Authorization": f"Bearer {ready['api_key']}"}, timeout=15
    )
    with WebhookReceiver(secret=ready["webhook_secret"]) as receiver, api:
        submitted = api.post(
            "/v1/product-videos",
            json={
                "product_url": f"{ready['simulator_url']}/samples/sneaker.png",
                "webhook_url": receiver.url,
            },
        )
        assert submitted.status_code == 201, submitted.text
        task_id = submitted.json()["id"]

        seen: list[str] = []
        deadline = time.monotonic() + 60
        task: dict[str, Any] = {}
        while time.monotonic() < deadline:
            task = api.get(f"/v1/product-videos/{task_id}").json()
            if not seen or seen[-1] != task["status"]:
                seen.append(task["status"])
            if task["status"] in ("video_generated", "failed"):
                break
            time.sleep(0.1)
        assert task.get("status") == "video_generated", (seen, task, up.describe())
        assert seen.index("video_generated") > 0
        assert seen == sorted(seen, key=FORWARD.index), seen  # a status only ever moves forward
        assert task["generated_photo_url"] and task["generated_video_url"]
        video = httpx.get(task["generated_video_url"], timeout=15)
        assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"

        sqs = _sqs(ready)
        events = _drain(sqs, ready["consumer_events_queue_url"], want=1)
        assert [e["detail-type"] for e in events] == ["Product Video Generated"]
        assert events[0]["source"] == "reelay"
        assert events[0]["detail"]["id"] == task_id
        assert events[0]["detail"]["generated_video_url"] == task["generated_video_url"]

        notes = _drain(sqs, ready["consumer_topic_queue_url"], want=1)
        assert len(notes) == 1
        assert json.loads(notes[0]["Message"])["id"] == task_id
        assert notes[0]["MessageAttributes"]["status"]["Value"] == "video_generated"

        delivered = receiver.wait_for(1, timeout=15)
        assert len(delivered) == 1
        assert delivered[0].verified, delivered[0].error
        assert delivered[0].json()["id"] == task_id
        assert delivered[0].json()["status"] == "video_generated"
        assert delivered[0].headers["webhook-id"] == events[0]["detail"]["event_id"]

    assert all(port_open(port) for port in ready["ports"])
    started = time.monotonic()
    assert up.interrupt(timeout=15) == 0, up.describe()
    assert time.monotonic() - started < 10
    assert [port for port in ready["ports"] if port_open(port)] == []
    assert not (up.workdir / ".reelay" / "up.json").exists()
    assert "Stopped" in up.stdout


@pytest.mark.parametrize("reelay_up", [["--stage", "e2e"]], indirect=True)
def test_swagger_ui_and_the_ready_facts_are_served_under_the_chosen_stage(reelay_up):
    up, ready = reelay_up
    assert ready["api_url"].endswith("/e2e")
    assert ready["swagger_url"] == ready["api_url"] + "/swagger"

    page = httpx.get(ready["swagger_url"], timeout=15)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in page.text.lower()

    spec = httpx.get(ready["swagger_url"], params={"format": "json"}, timeout=15).json()
    assert spec["servers"] == [{"url": "/e2e"}]  # "Try it out" calls the API under the stage
    assert "/v1/product-videos" in spec["paths"]

    refused = httpx.get(ready["api_url"] + "/v1/product-videos", timeout=15)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"

    # A script can read the same facts from stdout, and `reelay submit` from .reelay/up.json.
    lines = [line for line in up.stdout.splitlines() if line.startswith("REELAY_READY ")]
    assert len(lines) == 1
    assert json.loads(lines[0].removeprefix("REELAY_READY ")) == ready
    assert json.loads((up.workdir / ".reelay" / "up.json").read_text()) == ready
    assert up.interrupt() == 0, up.describe()


@pytest.mark.parametrize("reelay_up", [["--shop", "woocommerce"]], indirect=True)
def test_a_product_created_in_the_local_shop_becomes_a_video_event_naming_it_and_ctrl_c_stops_the_shop(
    reelay_up,
):
    up, ready = reelay_up
    shop = ready["shop_url"]
    assert ready["shop_platform"] == "woocommerce" and ready["shop_connection_id"].startswith("con_")
    assert f"Local shop       {shop}" in up.stdout

    # As the README says to try it: curl's form content type and all.
    created = httpx.post(f"{shop}/_shop/products", content=b'{"title": "Mug", "images": 2}', timeout=15)
    assert created.status_code == 201, created.text
    product_id = str(created.json()["id"])

    # The connection has write-back on: the video is announced, then put on the product.
    events = _drain(_sqs(ready), ready["consumer_events_queue_url"], want=2, timeout=45)
    kinds = [e["detail-type"] for e in events]
    assert kinds == ["Product Video Generated", "Product Video Published"], up.describe()
    ref = events[0]["detail"]["external_ref"]
    assert (ref["source"], ref["shop"], ref["product_id"], ref["title"]) == (
        "woocommerce",
        shop,
        product_id,
        "Mug",
    )

    api = httpx.Client(
        base_url=ready["api_url"], headers={"Authorization": f"Bearer {ready['api_key']}"}, timeout=15
    )
    with api:
        found = api.get("/v1/product-videos", params={"source": "woocommerce", "product_id": product_id})
    assert [task["id"] for task in found.json()["items"]] == [events[0]["detail"]["id"]]
    meta = httpx.get(f"{shop}/_shop/products/{product_id}").json()["meta_data"]
    assert [m["value"] for m in meta if m["key"] == "reelay_video_url"] == [
        events[1]["detail"]["media"]["video"]["url"]
    ]

    shop_port = int(shop.rsplit(":", 1)[1])
    assert shop_port in ready["ports"]
    assert up.interrupt(timeout=15) == 0, up.describe()
    assert [port for port in ready["ports"] if port_open(port)] == []
