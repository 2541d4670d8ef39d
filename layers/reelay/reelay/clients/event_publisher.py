"""Fan-out of a finished task to EventBridge and SNS, one event at a time or many to a call.

Both clients retry throttling and 5xx themselves (`reelay.clients.aws`). EventBridge also
refuses entries inside a 200 answer (FailedEntryCount), which no client retries: `put_event`
and `put_events` send those again. What still fails is raised by the one-event methods and
reported by position by the many-event ones, and the stream record is retried as a whole.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools import Logger

from reelay.clients.aws import aws_client
from reelay.clients.batch_limits import batches
from reelay.models.events import EVENT_SOURCE, detail_type_of

logger = Logger(child=True)


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
        refused, codes = self._put_until_taken({0: self._entry(detail)})
        if refused:
            raise PublishError(f"EventBridge refused the event after {self.max_attempts} attempts: {codes}")

    def put_events(self, details: Sequence[dict[str, Any]]) -> list[int]:
        """Put the events, ten to a call; the positions EventBridge still refused after the retries.

        A call the client could not make at all (after its own retries) raises, and the events
        after its batch are not put.
        """
        entries = [self._entry(detail) for detail in details]
        refused: list[int] = []
        for chunk in batches([_entry_size(entry) for entry in entries]):
            still_refused, codes = self._put_until_taken({i: entries[i] for i in chunk})
            if still_refused:
                logger.warning("EventBridge kept refusing events", extra={"codes": sorted(codes)})
            refused += still_refused
        return refused

    def _put_until_taken(self, pending: dict[int, dict[str, Any]]) -> tuple[list[int], set[str]]:
        """The positions still refused after max_attempts, and the error codes EventBridge gave."""
        codes: set[str] = set()
        for attempt in range(self.max_attempts):
            answer = self.events.put_events(Entries=list(pending.values()))
            if not answer.get("FailedEntryCount"):
                return [], codes
            results = dict(zip(pending, answer["Entries"], strict=True))
            pending = {i: entry for i, entry in pending.items() if results[i].get("ErrorCode")}
            codes |= {str(results[i]["ErrorCode"]) for i in pending}
            if attempt + 1 < self.max_attempts:
                # Full jitter, as botocore's own retries: instances refused together spread out.
                time.sleep(random.random() * self.backoff_seconds * 2**attempt)
        return sorted(pending), codes

    def _entry(self, detail: dict[str, Any]) -> dict[str, Any]:
        return {
            "Source": EVENT_SOURCE,
            "DetailType": detail_type_of(detail),
            "Detail": json.dumps(detail),
            "EventBusName": self.bus_name,
            "Resources": [f"reelay:task:{detail['id']}"],
        }

    def publish_message(self, detail: dict[str, Any]) -> None:
        self.sns.publish(TopicArn=self.topic_arn, **_message(detail))

    def publish_messages(self, details: Sequence[dict[str, Any]]) -> list[int]:
        """Publish the messages, ten to a PublishBatch; the positions SNS refused.

        A call the client could not make at all raises, and the messages after its batch are
        not published.
        """
        messages = [_message(detail) for detail in details]
        refused: list[int] = []
        for chunk in batches([len(message["Message"].encode()) for message in messages]):
            answer = self.sns.publish_batch(
                TopicArn=self.topic_arn,
                PublishBatchRequestEntries=[{"Id": str(i), **messages[i]} for i in chunk],
            )
            refused += sorted(int(failure["Id"]) for failure in answer.get("Failed", []))
        return refused


def _message(detail: dict[str, Any]) -> dict[str, Any]:
    """The SNS message of an event: its detail, with what subscribers filter on as attributes."""
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
    return {
        "Message": json.dumps(detail),
        "MessageAttributes": {
            name: {"DataType": "String", "StringValue": value} for name, value in attributes.items() if value
        },
    }


def _entry_size(entry: dict[str, Any]) -> int:
    # EventBridge's count: source, detail type, detail and resources, in UTF-8.
    parts = [entry["Source"], entry["DetailType"], entry["Detail"], *entry["Resources"]]
    return sum(len(part.encode()) for part in parts)


def _publication_state(detail: dict[str, Any]) -> str | None:
    return (detail.get("publication") or {}).get("state") if "detail_type" in detail else None
