from __future__ import annotations

import json
from datetime import timedelta

from reelay.deps import Deps, runtime
from reelay.logic.tenants import create_tenant
from reelay_local.aws.template import load_template
from reelay_local.consumers.webhook_receiver import WebhookReceiver
from tests.integration.pipeline import TenantApi, stored


def test_one_product_goes_from_submit_to_video_with_events_and_a_signed_delivery(embedded, simulator):
    new = create_tenant("Acme Shoes", Deps())
    with WebhookReceiver(secret=new.webhook_secret) as receiver:
        answer = embedded.stack.api_request(
            "POST",
            "/v1/product-videos",
            headers={"Authorization": f"Bearer {new.api_key}", "Content-Type": "application/json"},
            body=json.dumps(
                {"product_url": simulator.sample_product_url("sneaker"), "webhook_url": receiver.url}
            ).encode(),
        )
        assert answer.status == 201, answer.body
        task_id = answer.json()["id"]

        def done() -> bool:
            got = embedded.stack.api_request(
                "GET", f"/v1/product-videos/{task_id}", headers={"Authorization": f"Bearer {new.api_key}"}
            )
            return got.json()["status"] in ("video_generated", "failed")

        embedded.stack.pump(until=done, timeout=30)
        embedded.stack.pump()
        final = embedded.stack.api_request(
            "GET", f"/v1/product-videos/{task_id}", headers={"Authorization": f"Bearer {new.api_key}"}
        ).json()
        assert final["status"] == "video_generated", final
        events = embedded.consumers.events()
        assert [e["detail-type"] for e in events] == ["Product Video Generated"]
        notes = embedded.consumers.notifications()
        assert len(notes) == 1
        received = receiver.wait_for(1)
        assert received[0].verified


def test_a_finished_task_expires_after_the_templates_retention_days(embedded, simulator):
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url())["id"]

    api.run_until(task_id)

    item = embedded.clients("dynamodb").get_item(
        TableName=runtime().settings.table_name, Key={"pk": {"S": f"TASK#{task_id}"}, "sk": {"S": "TASK"}}
    )["Item"]
    finished = stored(task_id).updated_at
    retention_days = int(load_template()["Parameters"]["EventRetentionDays"]["Default"])
    expected = (finished + timedelta(days=retention_days)).timestamp()
    assert abs(int(item["expires_at"]["N"]) - expected) < 5
