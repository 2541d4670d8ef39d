"""Fan-out of a finished task to EventBridge and SNS.

Both clients retry throttling and 5xx themselves (`reelay.clients.aws`). EventBridge also
refuses entries inside a 200 answer (FailedEntryCount), which no client retries: `put_event`
sends those again. What still fails is raised, and the stream record is retried as a whole.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

from reelay.clients.aws import aws_client
from reelay.models.events import EVENT_SOURCE, detail_type_of


class PublishError(RuntimeError):
    """EventBridge kept refusing an entry; the stream record is retried as a whole."""


class EventPublisher:
    def __init__(
        self,
        bus_name: str,
        topic_arn: str,
        events: Any = None,
        sns: Any = None,
        max_attempts: int = 4,
        backoff_seconds: float = 0.2,
    ) -> None:
        self.bus_name = bus_name
        self.topic_arn = topic_arn
        self._events = events
        self._sns = sns
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds

    @property
    def events(self) -> Any:
        if self._events is None:
            self._events = aws_client("events")
        return self._events

    @property
    def sns(self) -> Any:
        if self._sns is None:
            self._sns = aws_client("sns")
        return self._sns

    def put_event(self, detail: dict[str, Any]) -> None:
        """PutEvents, retrying the entries EventBridge reports as failed (it answers 200 anyway)."""
        entry = {
            "Source": EVENT_SOURCE,
            "DetailType": detail_type_of(detail),
            "Detail": json.dumps(detail),
            "EventBusName": self.bus_name,
            "Resources": [f"reelay:task:{detail['id']}"],
        }
        pending = [entry]
        for attempt in range(self.max_attempts):
            answer = self.events.put_events(Entries=pending)
            if not answer.get("FailedEntryCount"):
                return
            pending = [e for e, r in zip(pending, answer["Entries"], strict=True) if r.get("ErrorCode")]
            codes = {r.get("ErrorCode") for r in answer["Entries"] if r.get("ErrorCode")}
            if attempt + 1 < self.max_attempts:
                # Full jitter, as botocore's own retries: instances refused together spread out.
                time.sleep(random.random() * self.backoff_seconds * 2**attempt)
        raise PublishError(f"EventBridge refused the event after {self.max_attempts} attempts: {codes}")

    def publish_message(self, detail: dict[str, Any]) -> None:
        attributes = {
            "status": detail["status"],
            "type": detail["type"],
            "tenant_id": detail["tenant_id"],
            "source": detail["external_ref"]["source"],
            # Only when the task came from a shop: SNS refuses an empty attribute value.
            "shop": detail["external_ref"].get("shop"),
            # Only on a publication's events, so a subscriber can take (or leave) those alone.
            "publication": _publication_state(detail),
        }
        self.sns.publish(
            TopicArn=self.topic_arn,
            Message=json.dumps(detail),
            MessageAttributes={
                name: {"DataType": "String", "StringValue": value}
                for name, value in attributes.items()
                if value
            },
        )


def _publication_state(detail: dict[str, Any]) -> str | None:
    return (detail.get("publication") or {}).get("state") if "detail_type" in detail else None
