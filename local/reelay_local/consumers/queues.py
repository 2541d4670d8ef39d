"""What downstream consumers see: a queue behind an EventBridge rule and one behind the SNS topic.

moto's CloudFormation does not create SNS subscriptions, and a consumer's rule is not part
of Reelay's template anyway, so these are made here, the way a consumer would make them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reelay_local.aws.deploy import DeployedStack


def drain_queue(sqs: Any, url: str, wait_seconds: int = 0) -> list[dict[str, Any]]:
    """Every message on the queue, parsed and deleted, as a consumer reads them."""
    messages = []
    while True:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds)
        batch = answer.get("Messages", [])
        if not batch:
            return messages
        for message in batch:
            messages.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        wait_seconds = 0


@dataclass
class ConsumerQueues:
    sqs: Any
    events_queue_url: str
    topic_queue_url: str

    def events(self, wait_seconds: int = 0) -> list[dict[str, Any]]:
        """EventBridge events delivered to the rule's queue (the full event envelope)."""
        return drain_queue(self.sqs, self.events_queue_url, wait_seconds)

    def notifications(self, wait_seconds: int = 0) -> list[dict[str, Any]]:
        """SNS notifications delivered to the subscribed queue (envelope with Message and attributes)."""
        return drain_queue(self.sqs, self.topic_queue_url, wait_seconds)


def attach_consumers(
    clients: Any, deployed: DeployedStack, topic_filter: dict[str, list[str]] | None = None
) -> ConsumerQueues:
    sqs, events, sns = clients("sqs"), clients("events"), clients("sns")
    bus = deployed.outputs["EventBusName"]

    events_url = sqs.create_queue(QueueName="reelay-consumer-events")["QueueUrl"]
    events_arn = sqs.get_queue_attributes(QueueUrl=events_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name="reelay-consumer",
        EventBusName=bus,
        EventPattern=json.dumps({"source": ["reelay"]}),
        State="ENABLED",
    )
    events.put_targets(Rule="reelay-consumer", EventBusName=bus, Targets=[{"Id": "queue", "Arn": events_arn}])

    topic_url = sqs.create_queue(QueueName="reelay-consumer-topic")["QueueUrl"]
    topic_arn = sqs.get_queue_attributes(QueueUrl=topic_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    attributes = {}
    if topic_filter:
        attributes["FilterPolicy"] = json.dumps(topic_filter)
    sns.subscribe(
        TopicArn=deployed.outputs["TopicArn"], Protocol="sqs", Endpoint=topic_arn, Attributes=attributes
    )
    return ConsumerQueues(sqs=sqs, events_queue_url=events_url, topic_queue_url=topic_url)
