"""Replaying a delivery and finding stuck tasks, decided in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from reelay.errors import NothingToDeliver, TaskNotFound
from reelay.logic.deliver import deliver
from reelay.logic.operator_views import replay_delivery, stuck_tasks
from reelay.logic.tenants import create_tenant
from reelay.models.status import TaskStatus
from reelay.ports.services import WebhookAnswer
from tests.unit.fakes import TENANT, WEBHOOK_URL, FakeRuntime, a_task

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Receiver:
    def __init__(self) -> None:
        self.posts: list[tuple[bytes, dict[str, str]]] = []

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> WebhookAnswer:
        self.posts.append((body, headers))
        return WebhookAnswer(status_code=200)


@pytest.fixture
def fake() -> FakeRuntime:
    return FakeRuntime.at(NOW)


def test_each_replay_is_numbered_and_carries_the_outcomes_event_id(fake):
    fake.seed(a_task("t1", TaskStatus.VIDEO_GENERATED, webhook_url=WEBHOOK_URL))

    first = replay_delivery(TENANT, "t1", fake.deps())
    second = replay_delivery(TENANT, "t1", fake.deps())

    assert (first.replay, second.replay) == (1, 2)
    assert first.event_id == second.event_id == "evt_t1_video_generated"
    jobs = fake.delivery_queue.jobs
    assert [(job.replay, job.event_id, job.attempt) for job in jobs] == [
        (1, "evt_t1_video_generated", 0),
        (2, "evt_t1_video_generated", 0),
    ]
    assert jobs[0].payload["status"] == "video_generated"


@pytest.mark.parametrize(
    ("task", "field"),
    [
        (a_task("t1", TaskStatus.VIDEO_GENERATING, webhook_url=WEBHOOK_URL), "status"),
        (a_task("t1", TaskStatus.FAILED), "webhook_url"),
    ],
)
def test_nothing_is_queued_for_an_open_task_or_one_without_a_webhook(fake, task, field):
    fake.seed(task)

    with pytest.raises(NothingToDeliver) as refused:
        replay_delivery(TENANT, "t1", fake.deps())

    assert refused.value.field == field
    assert fake.delivery_queue.jobs == []
    assert fake.tasks.get("t1").delivery_replays == 0


def test_another_tenants_task_is_not_found(fake):
    fake.seed(a_task("t1", TaskStatus.FAILED, webhook_url=WEBHOOK_URL))
    with pytest.raises(TaskNotFound):
        replay_delivery("someone-else", "t1", fake.deps())


def test_a_replay_is_signed_and_recorded_like_a_delivery(fake):
    # A loopback receiver: no name to resolve, and nothing leaves the machine.
    deps = fake.deps(allow_loopback_webhooks=True)
    tenant = create_tenant("Acme", deps, tenant_id=TENANT)
    fake.seed(a_task("t1", TaskStatus.VIDEO_GENERATED, webhook_url="http://127.0.0.1:9/hook"))
    receiver = Receiver()
    deps.__dict__["webhooks"] = receiver
    replay_delivery(TENANT, "t1", deps)

    # Sent at the wall clock's time: the reference library checks freshness against it.
    outcome = deliver(fake.delivery_queue.jobs[0], deps)

    assert outcome.result == "delivered"
    ((body, headers),) = receiver.posts
    assert headers["webhook-id"] == "evt_t1_video_generated"
    assert Webhook(tenant.webhook_secret).verify(body, headers)["id"] == "t1"
    assert fake.tasks.get("t1").last_delivery["replay"] == 1


def test_stuck_tasks_are_the_tenants_open_ones_unchanged_for_the_threshold(fake):
    fake.seed(a_task("old", TaskStatus.IMAGE_GENERATING, updated_at=NOW - timedelta(minutes=45)))
    fake.seed(a_task("fresh", TaskStatus.IMAGE_GENERATING, updated_at=NOW - timedelta(minutes=5)))
    fake.seed(a_task("done", TaskStatus.VIDEO_GENERATED, updated_at=NOW - timedelta(hours=2)))
    fake.seed(
        a_task("theirs", TaskStatus.INITIALIZING, tenant_id="other", updated_at=NOW - timedelta(hours=1))
    )
    fake.seed(a_task("older", TaskStatus.INITIALIZING, updated_at=NOW - timedelta(hours=3), auto_video=True))

    found = stuck_tasks(TENANT, fake.deps(), timedelta(minutes=30), now=NOW)

    assert [task.id for task in found] == ["older", "old"]
