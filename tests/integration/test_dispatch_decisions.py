"""The outbox dispatcher: which committed change sets which provider job, event and delivery in motion.

Each case hands `dispatch_change` an (old, new) pair as the task stream would, with real moto
queues, bus and topic behind it, and checks both what it reports and what actually arrived.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from reelay.clients.event_publisher import EventPublisher
from reelay.clients.job_queue import JobQueue
from reelay.config import settings
from reelay.deps import Deps
from reelay.logic.dispatch import dispatch_change
from reelay.models.media import ArchivedFile
from reelay.models.media_states import ArchiveState
from reelay.models.status import TaskStatus
from reelay.models.task import Task, webhook_payload
from reelay.security.media_links import MediaLinkSigner
from tests.unit.fakes import MemoryJobSlots

S = TaskStatus
TASK_ID = "0b7f6c1e-4d2a-4e8b-9c3f-5a1d2e3f4a5b"


@dataclasses.dataclass
class Outbox:
    deps: Deps
    sqs: Any
    queues: dict[str, str]

    def drain(self, name: str) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(QueueUrl=self.queues[name], MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


@pytest.fixture
def outbox() -> Iterator[Outbox]:
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        events = boto3.client("events", region_name="us-east-1")
        sns = boto3.client("sns", region_name="us-east-1")
        queues = {
            name: sqs.create_queue(QueueName=name)["QueueUrl"]
            for name in ("provider", "delivery", "media", "bus", "topic")
        }

        def arn(name: str) -> str:
            return sqs.get_queue_attributes(QueueUrl=queues[name], AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]

        events.create_event_bus(Name="reelay-test")
        events.put_rule(
            Name="all", EventBusName="reelay-test", EventPattern=json.dumps({"source": ["reelay"]})
        )
        events.put_targets(Rule="all", EventBusName="reelay-test", Targets=[{"Id": "q", "Arn": arn("bus")}])
        topic = sns.create_topic(Name="reelay-test")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn("topic"))
        deps = Deps(
            config=dataclasses.replace(settings(), event_bus_name="reelay-test", topic_arn=topic),
            provider_queue=JobQueue(queues["provider"], sqs=sqs),
            delivery_queue=JobQueue(queues["delivery"], sqs=sqs),
            media_queue=JobQueue(queues["media"], sqs=sqs),
            publisher=EventPublisher("reelay-test", topic, events=events, sns=sns),
            # No table here: the job slots the dispatcher records live in memory.
            job_slots=MemoryJobSlots(),
            # Media links are signed with a key of this test's own (no stack secret here).
            media_links=MediaLinkSigner("dispatch-decisions-media-link-key"),
        )
        yield Outbox(deps, sqs, queues)


def archived(asset: str) -> dict[str, ArchivedFile]:
    return {asset: ArchivedFile(state=ArchiveState.ARCHIVED, key=f"tasks/acme/{TASK_ID}/{asset}", bytes=1)}


def task(status: TaskStatus, *, auto_video: bool = True, webhook: bool = True, **extra: Any) -> Task:
    return Task(
        id=TASK_ID,
        tenant_id="acme",
        status=status,
        product_url="https://cdn.example.com/p.png",
        webhook_url="https://hooks.example.com/reelay" if webhook else None,
        auto_video=auto_video,
        **extra,
    )


GENERATED = "Product Video Generated"
FAILED = "Product Video Failed"
IMAGE = "Product Video Image Generated"

# (old, new) -> (provider jobs, archive jobs, announced detail-type or None)
CASES = [
    pytest.param(None, task(S.INITIALIZING), ["gen_image"], [], None, id="insert starts the image"),
    pytest.param(task(S.VIDEO_GENERATED), None, [], [], None, id="TTL removal says nothing"),
    pytest.param(task(S.INITIALIZING), task(S.IMAGE_GENERATING), [], [], None, id="progress is silent"),
    pytest.param(
        task(S.IMAGE_GENERATING), task(S.IMAGE_GENERATED), ["gen_video"], ["photo"], None, id="auto video"
    ),
    pytest.param(
        task(S.IMAGE_GENERATING, auto_video=False),
        task(S.IMAGE_GENERATED, auto_video=False),
        [],
        ["photo"],
        None,
        id="approval flow archives the image first",
    ),
    pytest.param(
        task(S.IMAGE_GENERATED, auto_video=False),
        task(S.IMAGE_GENERATED, auto_video=False, archive=archived("photo")),
        [],
        [],
        IMAGE,
        id="approval flow announces the archived image",
    ),
    pytest.param(
        task(S.IMAGE_GENERATED, auto_video=False),
        task(S.IMAGE_GENERATED, auto_video=True),
        ["gen_video"],
        [],
        None,
        id="approved video starts it (its photo was queued on arrival)",
    ),
    pytest.param(
        task(S.IMAGE_GENERATED),
        task(S.IMAGE_GENERATED, credits_spent=1),
        [],
        [],
        None,
        id="other changes at image_generated start nothing again",
    ),
    pytest.param(task(S.VIDEO_GENERATING), task(S.VIDEO_GENERATED), [], ["video"], None, id="video done"),
    pytest.param(
        task(S.VIDEO_GENERATED),
        task(S.VIDEO_GENERATED, archive=archived("video")),
        [],
        [],
        GENERATED,
        id="video archived: announced",
    ),
    pytest.param(task(S.IMAGE_GENERATING), task(S.FAILED), [], [], FAILED, id="failure"),
    pytest.param(
        task(S.INITIALIZING, auto_video=False),
        task(S.FAILED, auto_video=False),
        [],
        [],
        FAILED,
        id="early failure",
    ),
    pytest.param(
        task(S.VIDEO_GENERATED, archive=archived("video")),
        task(S.VIDEO_GENERATED, archive=archived("video"), delivery_attempts=1),
        [],
        [],
        None,
        id="recording a delivery announces nothing",
    ),
]


@pytest.mark.parametrize(("old", "new", "jobs", "archives", "announced"), CASES)
def test_each_change_sets_in_motion_exactly_its_reactions(outbox, old, new, jobs, archives, announced):
    done = dispatch_change(old, new, outbox.deps)

    assert [str(kind) for kind in done.provider_jobs] == jobs
    expected = [{"kind": kind, "task_id": TASK_ID, "job_id": "first", "retries": 0} for kind in jobs]
    assert outbox.drain("provider") == expected
    # An archive job carries what its copy needs, so the media worker reads nothing.
    assert outbox.drain("media") == [
        {
            "task_id": TASK_ID,
            "asset": a,
            "attempt": 0,
            "tenant_id": "acme",
            "source_url": getattr(new, f"generated_{a}_url"),
        }
        for a in archives
    ]
    events = outbox.drain("bus")
    notes = outbox.drain("topic")
    deliveries = outbox.drain("delivery")
    if announced is None:
        assert (done.events, events, notes, deliveries) == ([], [], [], [])
        return
    expected_id = f"evt_{TASK_ID}_{new.status}"
    assert done.events == [expected_id] and done.deliveries == [expected_id]
    assert [(e["detail-type"], e["detail"]["event_id"]) for e in events] == [(announced, expected_id)]
    assert [json.loads(n["Message"])["event_id"] for n in notes] == [expected_id]
    assert deliveries == [
        {
            "task_id": TASK_ID,
            "event_id": expected_id,
            "attempt": 0,
            "not_before": 0.0,
            "payload": {**webhook_payload(new), "media": events[0]["detail"]["media"]},
            "replay": 0,
            # Where to and for whom: the delivery worker reads no task.
            "webhook_url": new.webhook_url,
            "tenant_id": new.tenant_id,
        }
    ]


def test_a_task_without_webhook_url_is_announced_but_not_delivered(outbox):
    done = dispatch_change(
        task(S.VIDEO_GENERATED, webhook=False),
        task(S.VIDEO_GENERATED, webhook=False, archive=archived("video")),
        outbox.deps,
    )

    assert len(done.events) == 1 and done.deliveries == []
    assert len(outbox.drain("bus")) == 1
    assert outbox.drain("delivery") == []


def test_a_repeated_stream_record_yields_the_same_event_id(outbox):
    change = (task(S.IMAGE_GENERATING), task(S.FAILED, failed_reason="no product found"))

    first, again = dispatch_change(*change, outbox.deps), dispatch_change(*change, outbox.deps)

    assert first.events == again.events == [f"evt_{TASK_ID}_failed"]
    ids = {e["detail"]["event_id"] for e in outbox.drain("bus")}
    assert ids == {f"evt_{TASK_ID}_failed"}
