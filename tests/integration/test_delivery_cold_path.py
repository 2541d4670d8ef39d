"""A delivery worker's first invocation, end to end in a fresh process, never imports pydantic.

`bench/cold_start.py` times a function's init and the clients its first path builds; this
makes the whole first invocation for real: a fresh interpreter handles one SQS record of a
DeliveryJob against moto's server on 127.0.0.1, reads the tenant's profile, signs, posts to a
loopback receiver and records the attempt on the task. Then it lists what it imported. The
job message, the tenant profile and the history entry are plain classes precisely so this
path pays no pydantic (about a fifth of the baseline to import, more with its models); a
change that brings it back fails here.
"""

from __future__ import annotations

from reelay.dal.tasks import TaskRepository
from reelay.dal.tenants import TenantRepository
from reelay.deps import Deps
from reelay.logic.tenants import create_tenant
from reelay.models.events import event_id
from reelay.models.jobs import DeliveryJob
from reelay.models.task import Task, webhook_payload
from reelay_local.aws.moto_server import MotoServer
from reelay_local.aws.template import load_template, table_create_kwargs
from reelay_local.consumers.webhook_receiver import WebhookReceiver
from tests.integration.first_invocation import first_invocation

TABLE = "reelay-cold-delivery"


def test_a_delivery_workers_first_invocation_delivers_signed_and_records_without_pydantic(
    moto_server: MotoServer,
) -> None:
    dynamodb = moto_server.clients("dynamodb")
    dynamodb.create_table(**table_create_kwargs(load_template(), table_name=TABLE))
    deps = Deps(
        tasks=TaskRepository(TABLE, client=dynamodb), tenants=TenantRepository(TABLE, client=dynamodb)
    )
    tenant = create_tenant("Acme", deps)
    with WebhookReceiver(secret=tenant.webhook_secret) as receiver:
        task = Task(
            id="t-cold",
            tenant_id=tenant.tenant.tenant_id,
            status="video_generated",
            product_url="https://cdn.example.com/p.png",
            generated_video_url="https://cdn.example.com/v.mp4",
            webhook_url=receiver.url,
        )
        deps.tasks.create(task, stays_open=False)
        job = DeliveryJob(
            task_id=task.id,
            event_id=event_id(task.id, "video_generated"),
            payload=webhook_payload(task),
            webhook_url=receiver.url,
            tenant_id=task.tenant_id,
        )
        record = {"messageId": "m-1", "body": job.to_json(), "attributes": {"ApproximateReceiveCount": "1"}}
        settings = {
            "TABLE_NAME": TABLE,
            "DELIVERY_QUEUE_URL": f"{moto_server.endpoint_url}/000000000000/unused",
            "REELAY_ALLOW_LOOPBACK_WEBHOOKS": "true",
        }
        seen = first_invocation("delivery_worker", {"Records": [record]}, moto_server, settings)

        assert seen["answer"] == {"batchItemFailures": []}
        [delivery] = receiver.received
        assert delivery.verified, delivery.error
        assert delivery.json()["status"] == "video_generated"
    stored = deps.tasks.get(task.id)
    assert stored is not None and stored.last_delivery is not None
    assert stored.delivery_attempts == 1 and stored.last_delivery["result"] == "delivered"
    assert seen["pydantic"] == []
