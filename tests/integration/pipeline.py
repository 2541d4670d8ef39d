"""What the pipeline tests share: a tenant's view of the API, and ways to wait without sleeping blind."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import boto3
from moto import mock_aws

from reelay.clients.aws import aws_client
from reelay.deps import Deps, runtime
from reelay.logic.tenants import NewTenant, create_tenant
from reelay.models.task import Task
from reelay_local.aws.embedded import EmbeddedStack
from reelay_local.aws.stack import ApiAnswer, reset_runtime_caches
from reelay_local.simulators.creatify import CreatifySimulator, WebhookRecord

TERMINAL = ("video_generated", "failed")
SIM_API_ID = "sim-api-id"
SIM_API_KEY = "sim-api-key"


def wait_for(condition: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll `condition` until it is truthy; its value, or AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


@dataclass
class TenantApi:
    """One tenant calling Reelay's API through the local API Gateway (authorizer included)."""

    embedded: EmbeddedStack
    tenant: NewTenant
    answers: list[ApiAnswer] = field(default_factory=list)

    @classmethod
    def create(cls, embedded: EmbeddedStack, name: str = "Acme Shoes") -> TenantApi:
        return cls(embedded, create_tenant(name, Deps()))

    @property
    def tenant_id(self) -> str:
        return self.tenant.tenant.tenant_id

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: bytes | None = None,
        query: str = "",
        headers: dict[str, str] | None = None,
    ) -> ApiAnswer:
        sent = {"Authorization": f"Bearer {self.tenant.api_key}"}
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        answer = self.embedded.stack.api_request(method, path, query_string=query, headers=sent, body=body)
        self.answers.append(answer)
        return answer

    def submit(self, product_url: str, **fields: Any) -> dict[str, Any]:
        answer = self.request("POST", "/v1/product-videos", json_body={"product_url": product_url, **fields})
        assert answer.status == 201, answer.body
        return answer.json()

    def get(self, task_id: str) -> dict[str, Any]:
        answer = self.request("GET", f"/v1/product-videos/{task_id}")
        assert answer.status == 200, answer.body
        return answer.json()

    def status(self, task_id: str) -> str:
        return self.get(task_id)["status"]

    def run_until(self, task_id: str, *statuses: str, timeout: float = 20.0) -> dict[str, Any]:
        """Pump the event sources until the task reaches one of `statuses`, then until all is quiet."""
        wanted = statuses or TERMINAL
        self.embedded.stack.pump(until=lambda: self.status(task_id) in wanted, timeout=timeout)
        self.embedded.stack.pump()
        return self.get(task_id)


def stored(task_id: str) -> Task:
    """The task as the table holds it (Reelay's own fields too: version, credits, deliveries)."""
    task = runtime().tasks.get(task_id)
    assert task is not None, f"task {task_id} is not in the table"
    return task


def detail_types(events: list[dict[str, Any]]) -> list[str]:
    return [event["detail-type"] for event in events]


def notification_statuses(notes: list[dict[str, Any]]) -> list[str]:
    return [note["MessageAttributes"]["status"]["Value"] for note in notes]


def held_callback(simulator: CreatifySimulator, provider_id: str, status: str) -> WebhookRecord:
    """The callback Creatify sent (and the fault held back) when its task reached `status`."""

    def find() -> WebhookRecord | None:
        for record in simulator.webhooks_dropped:
            if record.body.get("id") == provider_id and record.body.get("status") == status:
                return record
        return None

    return wait_for(find, timeout=10, what=f"Creatify's {status} callback for {provider_id}")


def provider_calls(simulator: CreatifySimulator, stage: str) -> list[Any]:
    """The simulator's POSTs for one paid stage ("gen_image" or "gen_video"), whatever they answered."""
    return simulator.calls(method="POST", path_contains=f"/{stage}/")


def successful_provider_calls(simulator: CreatifySimulator, stage: str) -> list[Any]:
    return [call for call in provider_calls(simulator, stage) if 200 <= call.status_code < 300]


def queue_depth(embedded: EmbeddedStack, logical_id: str) -> dict[str, int]:
    """Visible, in-flight and delayed message counts of one of the template's queues."""
    names = (
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    )
    attributes = embedded.clients("sqs").get_queue_attributes(
        QueueUrl=embedded.deployed.queue_url(logical_id), AttributeNames=list(names)
    )["Attributes"]
    return {name.removeprefix("ApproximateNumberOf"): int(attributes.get(name, 0)) for name in names}


def stream_records(embedded: EmbeddedStack, function_logical_id: str) -> list[dict[str, Any]]:
    """Every record on the stream feeding one function so far, shaped as Lambda delivers them."""
    streams = embedded.clients("dynamodbstreams")
    arn = embedded.stack.stream_sources[function_logical_id].stream_arn
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )
        records += streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    for record in records:
        record["eventSourceARN"] = arn
        record["dynamodb"]["ApproximateCreationDateTime"] = record["dynamodb"][
            "ApproximateCreationDateTime"
        ].timestamp()
    return records


def entering(records: list[dict[str, Any]], task_id: str, status: str) -> dict[str, Any]:
    """The stream record in which a task entered `status`."""
    return next(
        r
        for r in records
        if r["dynamodb"]["Keys"]["pk"]["S"] == f"TASK#{task_id}"
        and r["dynamodb"].get("NewImage", {}).get("status", {}).get("S") == status
        and r["dynamodb"].get("OldImage", {}).get("status", {}).get("S") != status
    )


class RunningStack:
    """A stack in its own moto context; the process environment is put back afterwards.

    The local stack writes the functions' settings into os.environ (as Lambda would give each
    function its own); putting them back keeps one test's extra settings out of the next.
    """

    def __init__(self, simulator: CreatifySimulator, **options: Any) -> None:
        self.simulator = simulator
        self.options = options
        self._mock = mock_aws()
        self._environ: dict[str, str] = {}
        self._stack: EmbeddedStack | None = None

    def __enter__(self) -> EmbeddedStack:
        self._environ = dict(os.environ)
        self._mock.start()

        @cache
        def clients(service: str) -> Any:
            return boto3.client(service, region_name="us-east-1")

        try:
            self._stack = EmbeddedStack.start(
                clients,
                creatify_base_url=self.simulator.base_url,
                creatify_credentials=(SIM_API_ID, SIM_API_KEY),
                stage="test",
                **self.options,
            )
        except BaseException:
            self.__exit__()
            raise
        return self._stack

    def __exit__(self, *_: object) -> None:
        try:
            if self._stack is not None:
                self._stack.stop()
        finally:
            self._mock.stop()
            os.environ.clear()
            os.environ.update(self._environ)
            reset_runtime_caches()


def announcing(records: list[dict[str, Any]], task_id: str, asset: str = "video") -> dict[str, Any]:
    """The stream record that announces a finished task: the one in which its asset's archive settled.

    (The announcement of video_generated waits for the video's copy: reelay.logic.task_lifecycle.)
    """

    def state(image: dict[str, Any]) -> str | None:
        return image.get("archive", {}).get("M", {}).get(asset, {}).get("M", {}).get("state", {}).get("S")

    return next(
        r
        for r in records
        if r["dynamodb"]["Keys"]["pk"]["S"] == f"TASK#{task_id}"
        and state(r["dynamodb"].get("NewImage", {})) in ("archived", "failed")
        and state(r["dynamodb"].get("OldImage", {})) not in ("archived", "failed")
    )


@contextmanager
def counted_calls(service: str) -> Iterator[Counter[str]]:
    """The operations the runtime's client of `service` calls while the block runs."""
    seen: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        seen[model.name] += 1

    client = aws_client(service)
    client.meta.events.register("before-call", count)
    try:
        yield seen
    finally:
        client.meta.events.unregister("before-call", count)
