"""The first invocations of the provider webhook, the provider worker and the reconciler, end to
end in a fresh process, never import pydantic.

`bench/cold_start.py` times a function's init and the clients its first path builds; these make
the whole first invocation for real, against moto's server and the Creatify simulator on
127.0.0.1: the webhook takes one signed callback the simulator made for a task (the URL Reelay
handed Creatify), asks Creatify for the truth and moves the task on; the worker
runs a task's first gen_image job behind its slot and claim, pays at the simulator and records
the Creatify task; the reconciler finds a quiet task, lists it at Creatify and applies what it
finds. Then each lists what it imported. Creatify's answers and request bodies
(reelay.models.upstream) are plain records, and URLs are checked where they come in
(reelay.models.http_urls), precisely so these paths pay no pydantic (about a fifth of the
baseline to import, more with its models); a change that brings it back fails here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from uuid import uuid4

import pytest

from reelay.clients.creatify import CreatifyClient
from reelay.clients.creatify_credentials import CreatifyCredentials
from reelay.dal.tasks import TaskRepository
from reelay.dal.tenants import TenantRepository
from reelay.deps import Deps
from reelay.logic.tenants import create_tenant
from reelay.models.jobs import ProviderJob, ProviderJobKind
from reelay.models.status import TaskStatus
from reelay.models.task import Task
from reelay.models.upstream import GenImageRequest
from reelay.security.callback_tokens import CallbackSigner
from reelay_local.aws.api_events import rest_proxy_event
from reelay_local.aws.moto_server import MotoServer
from reelay_local.aws.template import load_template, table_create_kwargs
from reelay_local.simulators.creatify import CreatifySimulator, WebhookRecord
from tests.integration.first_invocation import first_invocation
from tests.integration.pipeline import held_callback

PUBLIC_BASE_URL = "https://api.example.com"
CALLBACK_SECRET = "c" * 32
CREDENTIALS = CreatifyCredentials(api_id="cold-acct", api_key="sk-cold-provider")


class Stack:
    """The table, the two secrets and a Creatify account a provider function needs."""

    def __init__(self, moto: MotoServer, simulator: CreatifySimulator) -> None:
        # Names of its own: moto's state outlives one server in this process.
        name = f"reelay-cold-{uuid4().hex[:8]}"
        dynamodb = moto.clients("dynamodb")
        dynamodb.create_table(**table_create_kwargs(load_template(), table_name=name))
        self.deps = Deps(
            tasks=TaskRepository(name, client=dynamodb), tenants=TenantRepository(name, client=dynamodb)
        )
        secrets = moto.clients("secretsmanager")
        callback = secrets.create_secret(Name=f"{name}-callback", SecretString=CALLBACK_SECRET)
        creatify = secrets.create_secret(
            Name=f"{name}-creatify",
            SecretString=json.dumps({"api_id": CREDENTIALS.api_id, "api_key": CREDENTIALS.api_key}),
        )
        simulator.add_account(CREDENTIALS.api_id, CREDENTIALS.api_key, credits=10.0)
        self.sqs = moto.clients("sqs")
        self.provider_queue = self.sqs.create_queue(QueueName=f"{name}-provider")["QueueUrl"]
        self.settings = {
            "TABLE_NAME": name,
            "PROVIDER_QUEUE_URL": self.provider_queue,
            "CALLBACK_SECRET_ARN": callback["ARN"],
            "CREATIFY_SECRET_NAME": creatify["Name"],
            "CREATIFY_BASE_URL": simulator.base_url,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "DAILY_CREDIT_BUDGET": "0",
        }
        self.tenant_id = create_tenant("Acme", self.deps).tenant.tenant_id

    def task(self, simulator: CreatifySimulator, **fields: object) -> Task:
        task = Task(
            id=f"t-cold-{uuid4().hex[:8]}",
            tenant_id=self.tenant_id,
            product_url=simulator.sample_product_url(),
            **fields,
        )
        self.deps.tasks.create(task, stays_open=True)
        return task


@pytest.fixture
def stack(moto_server: MotoServer, simulator: CreatifySimulator) -> Iterator[Stack]:
    # Creatify's callbacks go to the public URL, which is not this machine: the simulator keeps
    # them (as dropped) for the test to hand to the function.
    simulator.set_faults(webhook_drop_rate=1.0)
    yield Stack(moto_server, simulator)


def as_api_gateway_event(callback: WebhookRecord) -> dict:
    """The callback as API Gateway hands it to the function (its route is /webhooks/creatify/{task_id})."""
    url = urlsplit(callback.url)
    task_id = url.path.rsplit("/", 1)[-1]
    return rest_proxy_event(
        method="POST",
        path=url.path,
        resource="/webhooks/creatify/{task_id}",
        path_parameters={"task_id": task_id},
        query_string=url.query,
        headers={"Content-Type": "application/json"},
        body=json.dumps(callback.body).encode(),
    )


def test_a_provider_webhooks_first_invocation_applies_a_signed_callback_without_pydantic(
    stack: Stack, moto_server: MotoServer, simulator: CreatifySimulator
) -> None:
    task = stack.task(simulator, status=TaskStatus.IMAGE_GENERATING)
    callback_url = CallbackSigner(CALLBACK_SECRET).callback_url(PUBLIC_BASE_URL, task.id)
    with CreatifyClient(CREDENTIALS, base_url=simulator.base_url) as creatify:
        remote = creatify.gen_image(GenImageRequest(product_url=task.product_url, webhook_url=callback_url))
    stack.deps.tasks.attach_provider_task(task.id, str(remote.id), credits_spent=1, job="gen_image")
    callback = held_callback(simulator, str(remote.id), "image_generated")
    assert parse_qs(urlsplit(callback.url).query)["sig"]  # signed, as Reelay handed it out

    seen = first_invocation("provider_webhook", as_api_gateway_event(callback), moto_server, stack.settings)

    assert seen["answer"]["statusCode"] == 200, seen["answer"]
    assert json.loads(seen["answer"]["body"]) == {"result": "applied"}
    stored = stack.deps.tasks.get(task.id)
    assert stored is not None and stored.status is TaskStatus.IMAGE_GENERATED
    assert stored.generated_photo_url == simulator.task(str(remote.id))["generated_photo_url"]
    assert seen["pydantic"] == []


def test_a_provider_workers_first_invocation_pays_for_a_preview_without_pydantic(
    stack: Stack, moto_server: MotoServer, simulator: CreatifySimulator
) -> None:
    task = stack.task(simulator)
    job = ProviderJob(kind=ProviderJobKind.GEN_IMAGE, task_id=task.id)
    record = {"messageId": "m-1", "body": job.to_json(), "attributes": {"ApproximateReceiveCount": "1"}}

    seen = first_invocation("provider_worker", {"Records": [record]}, moto_server, stack.settings)

    assert seen["answer"] == {"batchItemFailures": []}
    stored = stack.deps.tasks.get(task.id)
    assert stored is not None and stored.provider_task_id and stored.credits_spent == 1
    remote = simulator.task(stored.provider_task_id)
    assert remote is not None
    assert remote["webhook_url"] == CallbackSigner(CALLBACK_SECRET).callback_url(PUBLIC_BASE_URL, task.id)
    assert remote["product_url"] == task.product_url
    assert seen["pydantic"] == []


def test_a_reconcilers_first_invocation_applies_what_creatify_says_of_a_quiet_task_without_pydantic(
    stack: Stack, moto_server: MotoServer, simulator: CreatifySimulator
) -> None:
    with CreatifyClient(CREDENTIALS, base_url=simulator.base_url) as creatify:
        remote = creatify.gen_image(GenImageRequest(product_url=simulator.sample_product_url()))
        deadline = time.monotonic() + 10
        while creatify.get(str(remote.id)).status is not TaskStatus.IMAGE_GENERATED:  # no callback
            assert time.monotonic() < deadline, "Creatify never made the preview"
            time.sleep(0.05)
    quiet_since = datetime.now(UTC) - timedelta(minutes=10)
    task = stack.task(
        simulator,
        status=TaskStatus.IMAGE_GENERATING,
        provider_task_id=str(remote.id),
        credits_spent=1,
        created_at=quiet_since,
        updated_at=quiet_since,
    )

    settings = {**stack.settings, "RECONCILE_AFTER_SECONDS": "60"}
    seen = first_invocation("reconciler", {}, moto_server, settings)

    assert (seen["answer"]["examined"], seen["answer"]["advanced"]) == (1, 1), seen["answer"]
    stored = stack.deps.tasks.get(task.id)
    assert stored is not None and stored.status is TaskStatus.IMAGE_GENERATED
    assert seen["pydantic"] == []
