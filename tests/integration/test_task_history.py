"""A task's history through the API: calls, steps and deliveries, recorded without writes of their own."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from reelay.clients.aws import aws_client
from reelay.deps import runtime
from reelay_cli.cli import main
from reelay_local.consumers.webhook_receiver import WebhookReceiver
from tests.integration.pipeline import TenantApi, stored

# What the history may add to a finished task's item (a video with one delivery); the README
# states this figure.
HAPPY_PATH_HISTORY_BYTES = 400


def attribute_size(value: dict[str, Any]) -> int:
    """An attribute value's size by DynamoDB's rules (names and strings in UTF-8, numbers by digits)."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = inner.lstrip("-").replace(".", "").strip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + attribute_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(attribute_size(v) + 1 for v in inner)
    if kind == "SS":
        return sum(len(v.encode()) for v in inner)
    raise AssertionError(f"unexpected attribute type {kind}")


@pytest.fixture
def dynamodb_writes(embedded) -> Iterator[list[dict[str, Any]]]:
    """Every write request the handlers make to DynamoDB (their shared client), as sent."""
    writes: list[dict[str, Any]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        writes.append({"operation": model.name, **params})

    events = aws_client("dynamodb").meta.events
    for operation in ("PutItem", "UpdateItem", "TransactWriteItems", "DeleteItem"):
        events.register(f"before-parameter-build.dynamodb.{operation}", record)
    yield writes
    for operation in ("PutItem", "UpdateItem", "TransactWriteItems", "DeleteItem"):
        events.unregister(f"before-parameter-build.dynamodb.{operation}", record)


def _history_only(write: dict[str, Any]) -> bool:
    names = set(write.get("ExpressionAttributeNames", {}).values())
    return write["operation"] == "UpdateItem" and bool(names) and names <= {"history", "history_dropped"}


def _summary(entries: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Each entry reduced to what a reader checks first."""
    rows: list[tuple[Any, ...]] = []
    for entry in entries:
        if entry["kind"] == "state":
            rows.append(("state", entry["from_status"], entry["to_status"], entry["by"]))
        elif entry["kind"] == "provider_call":
            rows.append(("provider_call", entry["job"], entry["outcome"], entry["by"]))
        elif entry["kind"] == "delivery":
            rows.append(("delivery", entry["attempt"], entry["outcome"], entry["status_code"]))
        else:
            rows.append((entry["kind"], entry.get("action")))
    return rows


def test_a_delivered_video_s_history_shows_every_call_step_and_delivery_without_a_write_of_its_own(
    embedded, simulator, dynamodb_writes
):
    api = TenantApi.create(embedded)
    with WebhookReceiver(secret=api.tenant.webhook_secret) as receiver:
        task_id = api.submit(simulator.sample_product_url("sneaker"), webhook_url=receiver.url)["id"]
        api.run_until(task_id)
        receiver.wait_for(1)
        embedded.stack.pump()

    answer = api.request("GET", f"/v1/product-videos/{task_id}/history")

    assert answer.status == 200, answer.body
    history = answer.json()
    assert history["task_id"] == task_id and history["status"] == "video_generated"
    rows = _summary(history["entries"])
    assert rows[0] == ("state", None, "initializing", "api")
    # The worker's own step and Creatify's callback race: a step is recorded by whoever made it,
    # and a callback that wins can skip a "generating" step. Each step starts where the last ended.
    steps = [e for e in history["entries"] if e["kind"] == "state"]
    order = ["initializing", "image_generating", "image_generated", "video_generating", "video_generated"]
    reached = [s["to_status"] for s in steps]
    assert reached == sorted(reached, key=order.index)
    assert {"image_generated", "video_generated"} <= set(reached)
    assert [s["from_status"] for s in steps[1:]] == reached[:-1]
    assert all(s["by"] in ("worker", "callback") for s in steps[1:])
    calls = [row for row in rows if row[0] == "provider_call"]
    assert [(c[1], c[2]) for c in calls] == [("gen_image", "submitted"), ("gen_video", "submitted")]
    deliveries = [e for e in history["entries"] if e["kind"] == "delivery"]
    assert len(deliveries) == 1 and rows[-1][0] == "delivery"
    assert deliveries[0]["outcome"] == "delivered" and deliveries[0]["status_code"] == 200
    assert deliveries[0]["latency_ms"] >= 0 and deliveries[0]["event_status"] == "video_generated"
    assert history["dropped"] == 0

    # Recorded inside the writes that make each change: not one write is the history's own.
    assert dynamodb_writes and not [w for w in dynamodb_writes if _history_only(w)]
    item = embedded.clients("dynamodb").get_item(
        TableName=runtime().settings.table_name, Key={"pk": {"S": f"TASK#{task_id}"}, "sk": {"S": "TASK"}}
    )["Item"]
    assert len("history") + attribute_size(item["history"]) <= HAPPY_PATH_HISTORY_BYTES


def test_a_throttled_call_shows_its_retries_with_creatify_s_answer_before_the_call_that_took(
    embedded, simulator, capsys
):
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url())["id"]
    # More refusals than the client's own three attempts, so the job itself goes back once.
    simulator.set_faults(error_queue=[503, 503, 429])

    api.run_until(task_id, timeout=20)
    entries = api.request("GET", f"/v1/product-videos/{task_id}/history").json()["entries"]

    calls = [e for e in entries if e["kind"] == "provider_call" and e["job"] == "gen_image"]
    assert [c["outcome"] for c in calls] == ["retry_scheduled", "submitted"]
    assert calls[0]["retry"] == 1 and calls[0]["by"] == "worker"
    assert "429" in calls[0]["reason"], calls[0]["reason"]

    # The operator's view of the same history: one line an entry.
    capsys.readouterr()
    target = ["--api-url", embedded.api_url, "--api-key", api.tenant.api_key]
    assert main(["history", task_id, *target], plugins=()) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{task_id}  video_generated"
    assert lines[1].endswith("status    submitted -> initializing by api")
    retry_line = next(line for line in lines if "retry_scheduled" in line)
    expected = "provider  gen_image retry_scheduled (retry 1) by worker: "
    assert retry_line.split("  ", 1)[1].startswith(expected)
    assert "429" in retry_line
    assert len(lines) == 1 + len(entries)


def test_a_request_creatify_rejects_shows_the_refusal_and_the_failure_with_creatify_s_reason(
    embedded, simulator
):
    api = TenantApi.create(embedded)
    task_id = api.submit(
        simulator.sample_product_url(),
        type="product_avatar",
        override_avatar="00000000-0000-4000-8000-000000000000",
    )["id"]

    done = api.run_until(task_id)
    entries = api.request("GET", f"/v1/product-videos/{task_id}/history").json()["entries"]

    refused = [e for e in entries if e["kind"] == "provider_call"]
    assert [(e["job"], e["outcome"]) for e in refused] == [("gen_image", "failed")]
    assert refused[0]["reason"] == done["failed_reason"][: len(refused[0]["reason"])]
    assert "override_avatar" in refused[0]["reason"]
    last_step = [e for e in entries if e["kind"] == "state"][-1]
    assert (last_step["to_status"], last_step["by"]) == ("failed", "worker")
    assert last_step["reason"] == done["failed_reason"]


def test_a_webhook_whose_host_does_not_resolve_shows_each_attempt_with_its_error(embedded, simulator):
    api = TenantApi.create(embedded)
    # .invalid never resolves (RFC 6761): the door lets it pass, each attempt fails on the name.
    task_id = api.submit(simulator.sample_product_url(), webhook_url="https://receiver.invalid/hook")["id"]
    api.run_until(task_id)
    embedded.stack.pump()

    entries = api.request("GET", f"/v1/product-videos/{task_id}/history").json()["entries"]

    attempts = [e for e in entries if e["kind"] == "delivery"]
    assert attempts and attempts[0]["attempt"] == 1
    assert attempts[0]["outcome"] == "retry_scheduled" and attempts[0]["status_code"] is None
    assert "receiver.invalid" in attempts[0]["error"]
    assert len(attempts) == stored(task_id).delivery_attempts


def test_another_tenant_s_task_has_no_history_to_show(embedded, simulator):
    owner = TenantApi.create(embedded)
    stranger = TenantApi.create(embedded, name="Someone Else")
    task_id = owner.submit(simulator.sample_product_url())["id"]

    assert stranger.request("GET", f"/v1/product-videos/{task_id}/history").status == 404
    assert owner.request("GET", "/v1/product-videos/no-such-task/history").status == 404
    assert owner.request("GET", f"/v1/product-videos/{task_id}/history").status == 200


def test_the_served_openapi_document_describes_the_history_and_its_entry_kinds(embedded):
    document = embedded.stack.api_request("GET", "/swagger", query_string="format=json").json()

    operation = document["paths"]["/v1/product-videos/{id}/history"]["get"]
    schema_ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert schema_ref.endswith("/TaskHistory")
    schemas = document["components"]["schemas"]
    for kind in ("StateChange", "ProviderCall", "DeliveryAttempt", "ReviewAction"):
        assert kind in schemas
    assert {"at", "job", "outcome", "reason"} <= set(schemas["ProviderCall"]["properties"])


def test_a_replayed_delivery_is_in_the_history_with_its_replay_number(embedded, simulator):
    api = TenantApi.create(embedded)
    with WebhookReceiver(secret=api.tenant.webhook_secret) as receiver:
        task_id = api.submit(simulator.sample_product_url(), webhook_url=receiver.url)["id"]
        api.run_until(task_id)
        receiver.wait_for(1)
        assert api.request("POST", f"/v1/product-videos/{task_id}/deliveries").status == 202
        embedded.stack.pump()
        receiver.wait_for(2)
        embedded.stack.pump()

    entries = api.request("GET", f"/v1/product-videos/{task_id}/history").json()["entries"]

    deliveries = [(e["attempt"], e["outcome"], e["replay"]) for e in entries if e["kind"] == "delivery"]
    assert deliveries == [(1, "delivered", None), (1, "delivered", 1)]
