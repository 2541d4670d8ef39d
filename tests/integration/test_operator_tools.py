"""Operator tools over the local API Gateway: a delivery replayed, stuck tasks listed, API keys
rotated and revoked as the authorizer sees them, and deliveries signed during a secret roll,
verified with the Standard Webhooks reference library."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from reelay.deps import runtime
from reelay.logic.tenants import revoke_api_keys, roll_webhook_secret, rotate_api_key
from reelay.models.events import event_id
from reelay_cli import task_commands
from reelay_cli.api_client import ApiError
from reelay_cli.task_commands import Target
from reelay_local.consumers.webhook_receiver import WebhookReceiver
from tests.integration.pipeline import TenantApi, stored


def _finished_with_webhook(embedded, simulator, receiver):
    api = TenantApi.create(embedded)
    task = api.submit(simulator.sample_product_url(), webhook_url=receiver.url)
    api.run_until(task["id"])
    receiver.wait_for(1)
    return api, task["id"]


def test_a_replayed_delivery_carries_the_same_event_id_is_signed_and_recorded(embedded, simulator):
    with WebhookReceiver() as receiver:
        api, task_id = _finished_with_webhook(embedded, simulator, receiver)

        answer = api.request("POST", f"/v1/product-videos/{task_id}/deliveries")
        embedded.stack.pump()
        first, replayed = receiver.wait_for(2)

    assert answer.status == 202, answer.body
    assert answer.json() == {
        "task_id": task_id,
        "event_id": event_id(task_id, "video_generated"),
        "replay": 1,
    }
    assert replayed.headers["webhook-id"] == first.headers["webhook-id"] == answer.json()["event_id"]
    assert replayed.body == first.body
    assert Webhook(api.tenant.webhook_secret).verify(replayed.body, replayed.headers)["id"] == task_id
    recorded = stored(task_id)
    assert recorded.delivery_replays == 1
    assert recorded.last_delivery["replay"] == 1
    assert recorded.last_delivery["result"] == "delivered"


def test_a_replay_is_refused_for_an_open_task_a_task_without_webhook_and_another_tenants(embedded, simulator):
    api = TenantApi.create(embedded)
    other = TenantApi.create(embedded, name="Other")
    no_hook = api.submit(simulator.sample_product_url())["id"]
    api.run_until(no_hook)

    # Submitted after the pump: still open (initializing), nothing moves it on here.
    open_task = api.submit(simulator.sample_product_url())["id"]
    not_finished = api.request("POST", f"/v1/product-videos/{open_task}/deliveries")
    nowhere = api.request("POST", f"/v1/product-videos/{no_hook}/deliveries")
    foreign = other.request("POST", f"/v1/product-videos/{no_hook}/deliveries")

    assert not_finished.status == 409
    assert not_finished.json()["error"]["field"] == "status"
    assert nowhere.status == 409
    assert nowhere.json()["error"] == {
        "code": "nothing_to_deliver",
        "message": "the task has no webhook_url to deliver to",
        "field": "webhook_url",
    }
    assert foreign.status == 404
    assert stored(no_hook).delivery_replays == 0


def test_stuck_tasks_are_the_tenants_open_tasks_with_no_change_for_the_threshold(embedded, simulator):
    api = TenantApi.create(embedded)
    other = TenantApi.create(embedded, name="Other")
    finished = api.submit(simulator.sample_product_url())["id"]
    api.run_until(finished)
    # Submitted and never pumped on: open, like tasks whose jobs were lost.
    quiet = api.submit(simulator.sample_product_url())["id"]
    recent = api.submit(simulator.sample_product_url())["id"]
    foreign = other.submit(simulator.sample_product_url())["id"]
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    for task_id in (quiet, foreign, finished):
        embedded.clients("dynamodb").update_item(
            TableName=runtime().settings.table_name,
            Key={"pk": {"S": f"TASK#{task_id}"}, "sk": {"S": "TASK"}},
            UpdateExpression="SET updated_at = :t",
            ExpressionAttributeValues={":t": {"S": an_hour_ago}},
        )

    stuck = api.request("GET", "/v1/product-videos", query="stuck_for_minutes=30")
    not_yet = api.request("GET", "/v1/product-videos", query="stuck_for_minutes=90")
    with_cursor = api.request("GET", "/v1/product-videos", query="stuck_for_minutes=30&cursor=x")
    zero = api.request("GET", "/v1/product-videos", query="stuck_for_minutes=0")

    assert stuck.status == 200, stuck.body
    # Not the recent one, not another tenant's, not a finished one.
    assert [t["id"] for t in stuck.json()["items"]] == [quiet]
    assert recent != quiet and stored(finished).terminal and stored(foreign).tenant_id == other.tenant_id
    assert not_yet.json()["items"] == []
    assert with_cursor.status == 400 and with_cursor.json()["error"]["field"] == "cursor"
    assert zero.status == 400 and zero.json()["error"]["field"] == "stuck_for_minutes"


def test_a_rotated_key_and_the_new_one_both_pass_the_authorizer_and_revoking_stops_both(embedded):
    api = TenantApi.create(embedded)
    deps = runtime()
    rotated = rotate_api_key(api.tenant_id, deps, timedelta(hours=24))

    def status_with(key: str) -> int:
        return embedded.stack.api_request(
            "GET", "/v1/product-videos", headers={"Authorization": f"Bearer {key}"}
        ).status

    assert status_with(api.tenant.api_key) == 200
    assert status_with(rotated.value) == 200

    revoke_api_keys(api.tenant_id, deps, previous_only=True)
    assert status_with(api.tenant.api_key) == 401
    assert status_with(rotated.value) == 200

    revoke_api_keys(api.tenant_id, deps)
    assert status_with(rotated.value) == 401


def test_a_key_rotated_without_overlap_stops_at_once(embedded):
    api = TenantApi.create(embedded)
    rotated = rotate_api_key(api.tenant_id, runtime(), timedelta(0))

    old = embedded.stack.api_request(
        "GET", "/v1/product-videos", headers={"Authorization": f"Bearer {api.tenant.api_key}"}
    )
    new = embedded.stack.api_request(
        "GET", "/v1/product-videos", headers={"Authorization": f"Bearer {rotated.value}"}
    )

    assert (old.status, new.status) == (401, 200)


def test_during_a_secret_roll_a_delivery_verifies_with_the_old_and_the_new_secret(embedded, simulator):
    api = TenantApi.create(embedded)
    rolled = roll_webhook_secret(api.tenant_id, runtime(), timedelta(hours=24))
    with WebhookReceiver() as receiver:
        task = api.submit(simulator.sample_product_url(), webhook_url=receiver.url)
        api.run_until(task["id"])
        (received,) = receiver.wait_for(1)

    assert len(received.headers["webhook-signature"].split()) == 2
    for secret in (api.tenant.webhook_secret, rolled.value):
        assert Webhook(secret).verify(received.body, received.headers)["id"] == task["id"]


def test_a_replays_record_is_not_overwritten_by_a_late_attempt_of_the_original_delivery(embedded, simulator):
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url())["id"]
    log = runtime().deliveries

    assert log.record(task_id, attempts=3, last={"result": "retry_scheduled"})
    assert log.request_replay(task_id) == 1
    assert log.record(task_id, attempts=1, last={"result": "delivered", "replay": 1}, replay=1)
    late_original = log.record(task_id, attempts=4, last={"result": "delivered"})
    assert log.request_replay(task_id) == 2
    assert log.record(task_id, attempts=1, last={"result": "delivered", "replay": 2}, replay=2)
    late_first_replay = log.record(task_id, attempts=2, last={"result": "delivered"}, replay=1)

    assert (late_original, late_first_replay) == (False, False)
    assert stored(task_id).last_delivery == {"result": "delivered", "replay": 2}
    assert stored(task_id).delivery_replays == 2


def test_reelay_replay_and_stuck_call_the_api_over_http_with_the_tenants_key(embedded, simulator):
    with WebhookReceiver() as receiver:
        api, task_id = _finished_with_webhook(embedded, simulator, receiver)
        target = Target(embedded.api_url, api.tenant.api_key)
        replayed, stuck_out = io.StringIO(), io.StringIO()

        assert task_commands.replay(target, task_id, replayed) == 0
        embedded.stack.pump()
        receiver.wait_for(2)
        assert task_commands.stuck(target, 30, 100, False, stuck_out) == 0

    assert f"replay 1 of evt_{task_id}_video_generated queued" in replayed.getvalue()
    assert "no task has been waiting on Creatify unchanged for 30 minutes" in stuck_out.getvalue()
    with pytest.raises(ApiError) as refused:
        task_commands.replay(target, "no-such-task", io.StringIO())
    assert refused.value.status == 404


def test_the_openapi_document_lists_the_replay_route_and_its_refusals(embedded):
    spec = embedded.stack.api_request("GET", "/swagger", query_string="format=json").json()

    operation = spec["paths"]["/v1/product-videos/{id}/deliveries"]["post"]
    assert {"202", "404", "409"} <= set(operation["responses"])
    listing = spec["paths"]["/v1/product-videos"]["get"]
    assert "stuck_for_minutes" in {parameter["name"] for parameter in listing["parameters"]}
