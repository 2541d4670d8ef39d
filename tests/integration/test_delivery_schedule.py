"""The webhook retry schedule: which attempt waits how long, and long waits as chains of 15-minute delays.

`deliver` runs against a moto table and queue and a local receiver that refuses (500); the
queue client is wrapped only to read back what each re-enqueue sent (a delayed message
cannot be received until its delay is over).
"""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from reelay.clients.job_queue import JobQueue
from reelay.config import settings
from reelay.dal.deliveries import DeliveryRecords
from reelay.dal.tasks import TaskRepository
from reelay.dal.tenants import TenantRepository
from reelay.deps import Deps
from reelay.logic.deliver import SCHEDULE_SECONDS, deliver
from reelay.logic.tenants import create_tenant
from reelay.models.events import event_id
from reelay.models.jobs import MAX_DELAY_SECONDS, DeliveryJob
from reelay.models.status import TaskStatus
from reelay.models.task import Task, webhook_payload
from reelay_local.aws.template import load_template, table_create_kwargs
from reelay_local.consumers.webhook_receiver import WebhookReceiver

NOW = 1_750_000_000.0
TASK_ID = "5e1c0a2b-7d3f-4c6a-9b8e-1f2a3b4c5d6e"


class RecordingSqs:
    """moto's SQS client, remembering what every send asked for."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.sent: list[tuple[int, DeliveryJob]] = []

    def send_message(self, **kwargs: Any) -> Any:
        self.sent.append((kwargs.get("DelaySeconds", 0), DeliveryJob.from_json(kwargs["MessageBody"])))
        return self._client.send_message(**kwargs)

    @property
    def delays(self) -> list[int]:
        return [delay for delay, _ in self.sent]

    @property
    def jobs(self) -> list[DeliveryJob]:
        return [job for _, job in self.sent]


@dataclasses.dataclass
class Rig:
    deps: Deps
    sqs: RecordingSqs
    receiver: WebhookReceiver


@pytest.fixture(scope="module")
def table_kwargs() -> dict[str, Any]:
    return table_create_kwargs(load_template(), table_name="reelay-delivery-test")


@pytest.fixture(scope="module")
def refusing_receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(status_code=500) as receiver:
        yield receiver


@pytest.fixture
def rig(table_kwargs: dict[str, Any], refusing_receiver: WebhookReceiver) -> Iterator[Rig]:
    refusing_receiver.received.clear()
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(**table_kwargs)
        sqs = boto3.client("sqs", region_name="us-east-1")
        recording = RecordingSqs(sqs)
        deps = Deps(
            config=dataclasses.replace(settings(), allow_loopback_webhooks=True),
            tasks=TaskRepository("reelay-delivery-test", client=dynamodb),
            deliveries=DeliveryRecords("reelay-delivery-test", client=dynamodb),
            tenants=TenantRepository("reelay-delivery-test", client=dynamodb),
            delivery_queue=JobQueue(sqs.create_queue(QueueName="delivery")["QueueUrl"], sqs=recording),
        )
        tenant = create_tenant("Acme", deps)
        deps.tasks.create(
            Task(
                id=TASK_ID,
                tenant_id=tenant.tenant.tenant_id,
                status="video_generated",
                product_url="https://cdn.example.com/p.png",
                webhook_url=refusing_receiver.url,
            ),
            stays_open=False,
        )
        yield Rig(deps, recording, refusing_receiver)


def job(attempt: int = 0, not_before: float = 0.0) -> DeliveryJob:
    return DeliveryJob(
        task_id=TASK_ID, event_id=event_id(TASK_ID, "video_generated"), attempt=attempt, not_before=not_before
    )


def test_the_schedule_retries_at_once_then_backs_off_for_about_a_day():
    assert SCHEDULE_SECONDS[0] == 0
    assert list(SCHEDULE_SECONDS) == sorted(SCHEDULE_SECONDS)
    assert 24 * 3600 <= sum(SCHEDULE_SECONDS) <= 30 * 3600


@pytest.mark.parametrize("attempt", range(len(SCHEDULE_SECONDS) - 1))
def test_a_failed_attempt_schedules_the_next_one_after_its_wait(rig, attempt):
    outcome = deliver(job(attempt), rig.deps, now=NOW)

    wait = SCHEDULE_SECONDS[attempt + 1]
    assert outcome.result == "retry_scheduled" and outcome.status_code == 500
    assert rig.sqs.delays == [min(wait, MAX_DELAY_SECONDS)]
    (next_job,) = rig.sqs.jobs
    assert next_job.attempt == attempt + 1
    assert next_job.not_before == NOW + wait
    recorded = rig.deps.tasks.get(TASK_ID)
    assert recorded.delivery_attempts == attempt + 1
    assert recorded.last_delivery["result"] == "retry_scheduled"
    assert recorded.last_delivery["next_in_seconds"] == wait


def test_a_wait_longer_than_15_minutes_is_a_chain_of_re_enqueues_that_post_nothing(rig):
    due = NOW + 5 * 3600
    waiting = job(attempt=5, not_before=due)

    hops = []
    now = NOW
    while now < due:
        outcome = deliver(waiting, rig.deps, now=now)
        assert outcome.result == "waiting"
        delay, waiting = rig.sqs.sent[-1]
        hops.append(delay)
        now += delay

    assert hops == [MAX_DELAY_SECONDS] * 20
    assert waiting == job(attempt=5, not_before=due)
    assert rig.receiver.received == []
    assert rig.deps.tasks.get(TASK_ID).delivery_attempts == 0
    assert deliver(waiting, rig.deps, now=due).result == "retry_scheduled"
    assert len(rig.receiver.received) == 1


def test_the_last_attempt_gives_up_without_another_enqueue(rig):
    outcome = deliver(job(attempt=len(SCHEDULE_SECONDS) - 1), rig.deps, now=NOW)

    assert outcome.result == "gave_up"
    assert rig.sqs.delays == []
    assert rig.deps.tasks.get(TASK_ID).last_delivery["result"] == "gave_up"
    assert json.loads(rig.receiver.received[0].body)["id"] == TASK_ID


def test_a_webhook_host_that_does_not_resolve_is_a_failed_attempt_retried_on_schedule(rig):
    rig.deps.tasks.create(
        Task(
            id="unresolved",
            tenant_id=rig.deps.tasks.get(TASK_ID).tenant_id,
            status="video_generated",
            product_url="https://cdn.example.com/p.png",
            webhook_url="https://reelay-test.invalid/hook",
        ),
        stays_open=False,
    )
    unresolved = DeliveryJob(task_id="unresolved", event_id=event_id("unresolved", "video_generated"))

    outcome = deliver(unresolved, rig.deps, now=NOW)

    assert outcome.result == "retry_scheduled" and outcome.status_code is None
    assert rig.sqs.jobs == [unresolved.replace(attempt=1, not_before=NOW)]
    recorded = rig.deps.tasks.get("unresolved").last_delivery
    assert recorded["result"] == "retry_scheduled" and "does not resolve" in recorded["error"]


def test_a_job_due_in_under_a_second_waits_a_whole_second_rather_than_coming_straight_back(rig):
    outcome = deliver(job(attempt=2, not_before=NOW + 0.4), rig.deps, now=NOW)

    assert outcome.result == "waiting"
    assert rig.sqs.delays == [1]
    assert rig.receiver.received == []


class _StallingReceiver:
    """Answers 200 at once, then never sends the body its Content-Length promised."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(5)
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}/hooks"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._release = threading.Event()

    def _serve(self) -> None:
        connection, _ = self._server.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
            self._release.wait(15)

    def __enter__(self) -> _StallingReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._release.set()
        self._thread.join(timeout=5)
        self._server.close()


def test_a_receiver_that_answers_2xx_counts_as_delivered_whatever_its_body_does(rig):
    with _StallingReceiver() as receiver:
        rig.deps.tasks.create(
            Task(
                id="stalling",
                tenant_id=rig.deps.tasks.get(TASK_ID).tenant_id,
                status="video_generated",
                product_url="https://cdn.example.com/p.png",
                webhook_url=receiver.url,
            ),
            stays_open=False,
        )
        started = time.monotonic()

        outcome = deliver(
            DeliveryJob(task_id="stalling", event_id=event_id("stalling", "video_generated")),
            rig.deps,
            now=NOW,
        )

    assert outcome.result == "delivered" and outcome.status_code == 200
    assert time.monotonic() - started < 5
    assert rig.sqs.sent == []


def test_a_retry_carries_the_body_of_the_announced_event_not_the_task_as_it_is_now(rig):
    announced = rig.deps.tasks.get(TASK_ID).replace(status=TaskStatus.IMAGE_GENERATED)
    snapshot = DeliveryJob(
        task_id=TASK_ID,
        event_id=event_id(TASK_ID, "image_generated"),
        payload=webhook_payload(announced),
    )

    deliver(snapshot, rig.deps, now=NOW)
    deliver(rig.sqs.jobs[-1], rig.deps, now=NOW + SCHEDULE_SECONDS[1])

    bodies = [json.loads(hit.body) for hit in rig.receiver.wait_for(2)]
    # The table says video_generated by now; both attempts say what event id says.
    assert [body["status"] for body in bodies] == ["image_generated", "image_generated"]
    assert {hit.headers["webhook-id"] for hit in rig.receiver.received} == {snapshot.event_id}
