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

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

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

REPO = Path(__file__).resolve().parents[2]
TABLE = "reelay-cold-delivery"

_FIRST_INVOCATION = """
import importlib.util, json, sys
path, body = sys.argv[1], sys.argv[2]
sys.path.insert(0, path.rsplit("/", 1)[0])
spec = importlib.util.spec_from_file_location("app", path)
app = importlib.util.module_from_spec(spec)
spec.loader.exec_module(app)

class Context:
    function_name = "DeliveryWorkerFunction"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:delivery"
    aws_request_id = "cold-1"

record = {"messageId": "m-1", "body": body, "attributes": {"ApproximateReceiveCount": "1"}}
answer = app.handler({"Records": [record]}, Context())
pydantic = sorted(m for m in sys.modules if m.split(".")[0] == "pydantic")
print(json.dumps({"answer": answer, "pydantic": pydantic}))
"""


@pytest.fixture
def moto() -> Iterator[MotoServer]:
    server = MotoServer().start(isolate=False)  # this process's own clients stay as they are
    try:
        yield server
    finally:
        server.stop()


def test_a_delivery_workers_first_invocation_delivers_signed_and_records_without_pydantic(
    moto: MotoServer,
) -> None:
    dynamodb = moto.clients("dynamodb")
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
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            "PYTHONPATH": str(REPO / "layers" / "reelay"),
            "TABLE_NAME": TABLE,
            "DELIVERY_QUEUE_URL": f"{moto.endpoint_url}/000000000000/unused",
            "REELAY_ALLOW_LOOPBACK_WEBHOOKS": "true",
            "POWERTOOLS_SERVICE_NAME": "reelay",
            "POWERTOOLS_METRICS_NAMESPACE": "Reelay",
            "AWS_ENDPOINT_URL": moto.endpoint_url,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        done = subprocess.run(  # noqa: S603
            [
                sys.executable,
                "-c",
                _FIRST_INVOCATION,
                str(REPO / "functions/delivery_worker/app.py"),
                job.to_json(),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        seen = json.loads(done.stdout.strip().splitlines()[-1])

        assert seen["answer"] == {"batchItemFailures": []}
        [delivery] = receiver.received
        assert delivery.verified, delivery.error
        assert delivery.json()["status"] == "video_generated"
    stored = deps.tasks.get(task.id)
    assert stored is not None and stored.last_delivery is not None
    assert stored.delivery_attempts == 1 and stored.last_delivery["result"] == "delivered"
    assert seen["pydantic"] == []
