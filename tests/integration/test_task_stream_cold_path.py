"""A task stream's first invocation, end to end in a fresh process, never imports pydantic.

`bench/cold_start.py` times a function's init and the clients its first path builds; this
makes the whole first invocation for real: a fresh interpreter gets the stream records of a
task reaching video_generated with a webhook_url and then its video's copy settling, read
from moto's DynamoDB stream on 127.0.0.1 and shaped as Lambda passes them. It queues the
archive job, announces on EventBridge and SNS, queues the signed delivery and the shop
write-back, all against moto's server; then it lists what it imported. The task and its
records are plain classes (reelay.models.records) precisely so this path pays no pydantic
(about a fifth of the baseline to import, more with its models); a change that brings it back
fails here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from reelay.dal.archive_records import ArchiveRecords
from reelay.dal.tasks import TaskRepository
from reelay.models.events import event_id
from reelay.models.jobs import ArchiveJob, DeliveryJob, PublishJob
from reelay.models.media import ArchivedFile, Publication
from reelay.models.media_states import ArchiveState, MediaAsset
from reelay.models.status import TaskStatus
from reelay.models.task import ExternalRef, StatusUpdate, Task
from reelay.models.task_history import archive_entry
from reelay.ports.stores import Transition
from reelay_local.aws.moto_server import MotoServer
from reelay_local.aws.template import load_template, table_create_kwargs
from tests.integration.first_invocation import first_invocation

TABLE = "reelay-cold-stream"
REGION = "us-east-1"
TASK_ID = "t-cold-stream"
VIDEO_URL = "https://cdn.example.com/v.mp4"
WEBHOOK_URL = "https://hooks.example.com/reelay"


class Outbox:
    """The stack's queues, and a queue behind the bus and the topic, on moto's server."""

    NAMES = ("provider", "delivery", "media", "publish", "bus", "topic")

    def __init__(self, moto: MotoServer) -> None:
        self.sqs = moto.clients("sqs")
        self.urls = {name: self.sqs.create_queue(QueueName=f"cold-{name}")["QueueUrl"] for name in self.NAMES}
        events, sns = moto.clients("events"), moto.clients("sns")
        events.create_event_bus(Name="reelay-cold")
        events.put_rule(
            Name="all", EventBusName="reelay-cold", EventPattern=json.dumps({"source": ["reelay"]})
        )
        events.put_targets(
            Rule="all", EventBusName="reelay-cold", Targets=[{"Id": "q", "Arn": self.arn("bus")}]
        )
        self.topic = sns.create_topic(Name="reelay-cold")["TopicArn"]
        sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=self.arn("topic"))

    def arn(self, name: str) -> str:
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.urls[name], AttributeNames=["QueueArn"])
        return attributes["Attributes"]["QueueArn"]

    def bodies(self, name: str) -> list[str]:
        answer = self.sqs.receive_message(QueueUrl=self.urls[name], MaxNumberOfMessages=10)
        return [m["Body"] for m in answer.get("Messages", [])]


def lambda_records(moto: MotoServer, stream_arn: str) -> list[dict[str, Any]]:
    """The stream's records as Lambda's event source mapping passes them to the function."""
    streams = moto.clients("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    shaped = []
    for record in records:
        dynamodb = dict(record["dynamodb"])
        created = dynamodb.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):  # botocore parses it; Lambda passes epoch seconds
            dynamodb["ApproximateCreationDateTime"] = created.timestamp()
        shaped.append(
            {**record, "eventSource": "aws:dynamodb", "eventSourceARN": stream_arn, "dynamodb": dynamodb}
        )
    return shaped


def test_a_task_streams_first_invocation_queues_announces_and_delivers_without_pydantic(
    moto_server: MotoServer,
) -> None:
    dynamodb = moto_server.clients("dynamodb")
    created = dynamodb.create_table(**table_create_kwargs(load_template(), table_name=TABLE))
    stream_arn = created["TableDescription"]["LatestStreamArn"]
    secrets = moto_server.clients("secretsmanager")
    secret = secrets.create_secret(Name="reelay-cold-callback", SecretString="k" * 32)
    outbox = Outbox(moto_server)
    tasks = TaskRepository(TABLE, client=dynamodb)
    tasks.create(
        Task(
            id=TASK_ID,
            tenant_id="acme",
            status=TaskStatus.VIDEO_GENERATING,
            product_url="https://cdn.example.com/p.png",
            webhook_url=WEBHOOK_URL,
            external_ref=ExternalRef(source="shopify", shop="acme.myshopify.com", product_id="42"),
            publication=Publication(platform="shopify", connection_id="c-1", product_id="42"),
        ),
        stays_open=True,
    )
    # The provider worker's step, then the media worker's settle: the changes this test hands on.
    tasks.apply(
        TASK_ID,
        Transition(
            update=StatusUpdate(status=TaskStatus.VIDEO_GENERATED, generated_video_url=VIDEO_URL),
            allowed_from=frozenset({TaskStatus.VIDEO_GENERATING}),
            stays_open=False,
            by="worker",
        ),
    )
    now = datetime.now(UTC)
    key = f"tasks/acme/{TASK_ID}/video.mp4"
    ArchiveRecords(TABLE, client=dynamodb).settle(
        TASK_ID,
        MediaAsset.VIDEO,
        ArchivedFile(state=ArchiveState.ARCHIVED, key=key, bytes=1024, source_url=VIDEO_URL, attempts=1),
        archive_entry("video", "archived", now, attempt=1, size=1024),
    )
    inserted, reached, settled = lambda_records(moto_server, stream_arn)
    assert [r["eventName"] for r in (inserted, reached, settled)] == ["INSERT", "MODIFY", "MODIFY"]

    settings = {
        "TABLE_NAME": TABLE,
        "PROVIDER_QUEUE_URL": outbox.urls["provider"],
        "DELIVERY_QUEUE_URL": outbox.urls["delivery"],
        "MEDIA_QUEUE_URL": outbox.urls["media"],
        "PUBLISH_QUEUE_URL": outbox.urls["publish"],
        "EVENT_BUS_NAME": "reelay-cold",
        "TOPIC_ARN": outbox.topic,
        "MEDIA_BUCKET": "reelay-cold-media",
        "CALLBACK_SECRET_ARN": secret["ARN"],
        "PUBLIC_BASE_URL": "https://api.example.com",
    }
    seen = first_invocation("task_stream", {"Records": [reached, settled]}, moto_server, settings)

    assert seen["answer"] == {"batchItemFailures": []}
    # Reaching video_generated queued the video's copy; its settling announced the task.
    [archive] = [ArchiveJob.from_json(body) for body in outbox.bodies("media")]
    assert (archive.task_id, archive.asset, archive.source_url) == (TASK_ID, MediaAsset.VIDEO, VIDEO_URL)
    announced = event_id(TASK_ID, TaskStatus.VIDEO_GENERATED)
    [delivery] = [DeliveryJob.from_json(body) for body in outbox.bodies("delivery")]
    assert (delivery.event_id, delivery.webhook_url, delivery.tenant_id) == (announced, WEBHOOK_URL, "acme")
    assert delivery.payload is not None and delivery.payload["status"] == "video_generated"
    assert delivery.payload["generated_video_url"] == VIDEO_URL
    assert delivery.payload["media"]["video"]["key"] == key
    assert delivery.payload["media"]["video"]["url"].startswith("https://api.example.com/")
    [event] = [json.loads(body) for body in outbox.bodies("bus")]
    assert event["detail-type"] == "Product Video Generated"
    assert event["detail"]["event_id"] == announced
    assert event["detail"]["external_ref"]["product_id"] == "42"
    [notice] = [json.loads(body) for body in outbox.bodies("topic")]
    assert json.loads(notice["Message"])["event_id"] == announced
    [publish] = [PublishJob.from_json(body) for body in outbox.bodies("publish")]
    assert publish.task_id == TASK_ID and publish.claim is None
    assert outbox.bodies("provider") == []
    assert seen["pydantic"] == []
