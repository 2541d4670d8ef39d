"""Fan-out of a finished task: one event, one SNS message, one signed delivery, retried with care."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json

import pytest

from reelay.config import settings
from reelay.deps import Deps
from reelay.logic.deliver import deliver
from reelay.logic.tenants import create_tenant
from reelay.models.events import event_id
from reelay.models.jobs import DeliveryJob
from reelay.models.task import WEBHOOK_FIELDS, Task
from reelay_local.consumers.webhook_receiver import ReceivedWebhook, WebhookReceiver
from tests.integration.pipeline import (
    TenantApi,
    detail_types,
    notification_statuses,
    provider_calls,
    queue_depth,
    stored,
)


def signature_matches(secret: str, received: ReceivedWebhook) -> bool:
    """Standard Webhooks, computed here from the spec rather than with Reelay's own code."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = (
        f"{received.headers['webhook-id']}.{received.headers['webhook-timestamp']}.".encode() + received.body
    )
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return f"v1,{expected}" in received.headers["webhook-signature"].split()


def test_a_finished_task_is_announced_once_on_each_channel_in_the_documented_shape(embedded, simulator):
    api = TenantApi.create(embedded)
    with WebhookReceiver(secret=api.tenant.webhook_secret) as receiver:
        task = api.submit(
            simulator.sample_product_url("sneaker"),
            webhook_url=receiver.url,
            external_ref={"source": "shopify", "shop": "acme.myshopify.com", "product_id": "42"},
        )
        done = api.run_until(task["id"])
        received = receiver.wait_for(1)

    assert done["status"] == "video_generated"
    expected_id = event_id(task["id"], "video_generated")
    (event,) = embedded.consumers.events()
    assert event["source"] == "reelay"
    assert event["detail-type"] == "Product Video Generated"
    detail = event["detail"]
    assert set(detail) == {*WEBHOOK_FIELDS, "media", "tenant_id", "external_ref", "event_id"}
    assert detail["event_id"] == expected_id
    assert detail["tenant_id"] == api.tenant_id
    assert detail["external_ref"] == {
        "source": "shopify",
        "shop": "acme.myshopify.com",
        "product_id": "42",
        "title": None,
        "admin_url": None,
    }
    assert detail["generated_video_url"] == done["generated_video_url"]

    (note,) = embedded.consumers.notifications()
    assert json.loads(note["Message"]) == detail
    attributes = {name: value["Value"] for name, value in note["MessageAttributes"].items()}
    assert attributes == {
        "status": "video_generated",
        "type": "product_anyshot",
        "tenant_id": api.tenant_id,
        "source": "shopify",
        "shop": "acme.myshopify.com",
    }

    (delivery,) = received
    # Creatify's fields in their order, then Reelay's media object, as in the event.
    assert list(delivery.json()) == [*WEBHOOK_FIELDS, "media"]
    assert delivery.json() == {name: detail[name] for name in (*WEBHOOK_FIELDS, "media")}
    assert delivery.headers["webhook-id"] == expected_id
    assert delivery.verified and signature_matches(api.tenant.webhook_secret, delivery)
    recorded = stored(task["id"])
    assert recorded.delivery_attempts == 1
    assert recorded.last_delivery["result"] == "delivered"
    assert recorded.last_delivery["status_code"] == 200


@pytest.mark.parametrize("stage", ["image", "video"])
def test_a_failed_generation_ends_failed_with_creatifys_reason_announced_once(embedded, simulator, stage):
    reason = f"Simulated {stage} failure: the product could not be isolated"
    simulator.set_faults(fail_rate=1.0, fail_stage=stage, failed_reason=reason)
    api = TenantApi.create(embedded)
    with WebhookReceiver(secret=api.tenant.webhook_secret) as receiver:
        task = api.submit(simulator.sample_product_url("bottle"), webhook_url=receiver.url)
        done = api.run_until(task["id"])
        (delivery,) = receiver.wait_for(1)
        embedded.stack.pump()

    assert done["status"] == "failed"
    assert done["failed_reason"] == reason
    assert detail_types(embedded.consumers.events()) == ["Product Video Failed"]
    assert notification_statuses(embedded.consumers.notifications()) == ["failed"]
    assert delivery.verified
    assert delivery.headers["webhook-id"] == event_id(task["id"], "failed")
    assert delivery.json()["status"] == "failed" and delivery.json()["failed_reason"] == reason
    assert len(receiver.received) == 1
    assert len(provider_calls(simulator, "gen_video")) == (1 if stage == "video" else 0)
    assert (done["generated_photo_url"] is not None) == (stage == "video")


@pytest.mark.embedded_options(topic_filter={"status": ["failed"]})
def test_a_subscription_filtered_on_failed_receives_only_failures(embedded, simulator):
    api = TenantApi.create(embedded)
    succeeded = api.submit(simulator.sample_product_url())["id"]
    assert api.run_until(succeeded)["status"] == "video_generated"
    simulator.set_faults(fail_rate=1.0, fail_stage="image")
    failed = api.submit(simulator.sample_product_url("mug"))["id"]
    assert api.run_until(failed)["status"] == "failed"

    notes = embedded.consumers.notifications()

    assert notification_statuses(notes) == ["failed"]
    assert json.loads(notes[0]["Message"])["id"] == failed
    assert detail_types(embedded.consumers.events()) == ["Product Video Generated", "Product Video Failed"]


def test_a_delivery_answered_500_is_retried_until_the_receiver_takes_it(embedded, simulator):
    api = TenantApi.create(embedded)
    with WebhookReceiver(secret=api.tenant.webhook_secret, status_code=500) as receiver:
        task_id = api.submit(simulator.sample_product_url(), webhook_url=receiver.url)["id"]
        embedded.stack.pump(until=lambda: len(receiver.received) == 1)
        refused = stored(task_id)
        receiver.status_code = 200
        embedded.stack.pump(until=lambda: len(receiver.received) == 2)
        embedded.stack.pump()

    assert refused.delivery_attempts == 1
    assert refused.last_delivery["result"] == "retry_scheduled"
    assert refused.last_delivery["status_code"] == 500
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == event_id(task_id, "video_generated")
    assert first.verified and second.verified
    recorded = stored(task_id)
    assert recorded.delivery_attempts == 2
    assert recorded.last_delivery["result"] == "delivered"
    assert recorded.last_delivery["status_code"] == 200
    assert queue_depth(embedded, "DeliveryQueue") == {
        "Messages": 0,
        "MessagesNotVisible": 0,
        "MessagesDelayed": 0,
    }
    assert len(receiver.received) == 2


def test_a_receiver_answering_410_gone_is_never_called_again(embedded, simulator):
    api = TenantApi.create(embedded)
    with WebhookReceiver(secret=api.tenant.webhook_secret, status_code=410) as receiver:
        task_id = api.submit(simulator.sample_product_url(), webhook_url=receiver.url)["id"]
        api.run_until(task_id)
        embedded.stack.pump()

    assert len(receiver.received) == 1
    recorded = stored(task_id)
    assert recorded.delivery_attempts == 1
    assert recorded.last_delivery["result"] == "gone"
    assert recorded.last_delivery["status_code"] == 410
    assert queue_depth(embedded, "DeliveryQueue") == {
        "Messages": 0,
        "MessagesNotVisible": 0,
        "MessagesDelayed": 0,
    }


def test_delivery_refuses_loopback_private_and_metadata_addresses_unless_loopback_is_allowed(embedded):
    strict = Deps(config=dataclasses.replace(settings(), allow_loopback_webhooks=False))
    relaxed = Deps(config=dataclasses.replace(settings(), allow_loopback_webhooks=True))
    tenant = create_tenant("Acme", strict)
    with WebhookReceiver(secret=tenant.webhook_secret) as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        refused_urls = [
            receiver.url,
            f"http://localhost:{port}/hooks/reelay",
            f"http://[::1]:{port}/hooks/reelay",
            "http://10.0.0.8/hooks/reelay",
            "http://192.168.1.20/hooks/reelay",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fd00:ec2::254]/latest/meta-data/",
            "http://0.0.0.0:8080/hooks",
        ]
        for n, url in enumerate(refused_urls):
            task = Task(
                id=f"guarded-{n}",
                tenant_id=tenant.tenant.tenant_id,
                product_url="https://cdn.example.com/p.png",
                status="video_generated",
                webhook_url=url,
            )
            strict.tasks.create(task, stays_open=False)
            outcome = deliver(DeliveryJob(task_id=task.id, event_id=event_id(task.id, task.status)), strict)
            assert outcome.result == "refused", url
            assert stored(task.id).last_delivery["result"] == "refused"
        assert receiver.received == []

        allowed = deliver(
            DeliveryJob(task_id="guarded-0", event_id=event_id("guarded-0", "video_generated")), relaxed
        )
        assert allowed.result == "delivered"
        assert len(receiver.received) == 1 and receiver.received[0].verified
