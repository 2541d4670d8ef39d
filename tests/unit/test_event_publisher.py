"""EventBridge answers 200 even when it refused entries; the publisher retries exactly those.

No emulator reports partial PutEvents failures (moto accepts every entry), so this is the
one place a stand-in for the EventBridge client is used.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from reelay.clients.event_publisher import EventPublisher, PublishError

DETAIL = {"id": "t-1", "status": "video_generated", "type": "product_anyshot", "tenant_id": "acme"}


class RefusingEventBridge:
    """Refuses every entry for the first `refusals` calls, with EventBridge's answer shape."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.calls: list[list[dict[str, Any]]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(Entries)
        if len(self.calls) <= self.refusals:
            return {
                "FailedEntryCount": len(Entries),
                "Entries": [{"ErrorCode": "ThrottlingException", "ErrorMessage": "later"} for _ in Entries],
            }
        return {"FailedEntryCount": 0, "Entries": [{"EventId": "e"} for _ in Entries]}


def test_entries_eventbridge_refused_are_sent_again_until_accepted():
    bus = RefusingEventBridge(refusals=2)
    publisher = EventPublisher("reelay-test", "arn:topic", events=bus, backoff_seconds=0)

    publisher.put_event(DETAIL)

    assert len(bus.calls) == 3
    sent = bus.calls[-1][0]
    assert (sent["Source"], sent["DetailType"], sent["EventBusName"]) == (
        "reelay",
        "Product Video Generated",
        "reelay-test",
    )
    assert json.loads(sent["Detail"]) == DETAIL


def test_a_publisher_that_keeps_being_refused_raises_so_the_stream_record_is_retried():
    bus = RefusingEventBridge(refusals=99)
    publisher = EventPublisher("reelay-test", "arn:topic", events=bus, max_attempts=3, backoff_seconds=0)

    with pytest.raises(PublishError, match="ThrottlingException"):
        publisher.put_event(DETAIL)
    assert len(bus.calls) == 3
