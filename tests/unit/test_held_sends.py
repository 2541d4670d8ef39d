"""The task stream's held sends: batched per destination, and a refusal stops at its record.

SQS, SNS and EventBridge refuse single entries of a batch only under conditions moto never
produces (throttling, a KMS key's quota), so the destinations here are stand-ins that refuse
what they are told to; `tests/integration/test_task_stream_batches.py` sends through moto.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from reelay.clients.batch_limits import MAX_BATCH_BYTES, MAX_ENTRIES, PartlySent, batches
from reelay.clients.event_publisher import EventPublisher
from reelay.clients.held_sends import HeldSends
from reelay.clients.job_queue import JobQueue
from reelay.models.jobs import ProviderJob, ProviderJobKind


class Destination:
    """Records each call's entries; refuses the entries `refuse` picks, or raises when told."""

    def __init__(self, queue_url: str = "q", refuse: Any = None, raises: bool = False) -> None:
        self.queue_url = queue_url
        self.calls: list[list[Any]] = []
        self.refuse = refuse or (lambda entry: False)
        self.raises = raises

    def _send(self, entries: Sequence[Any]) -> int | None:
        if self.raises:
            raise PartlySent(0)
        self.calls.append(list(entries))
        return next((i for i, entry in enumerate(entries) if self.refuse(entry)), None)

    send_many = put_events = publish_messages = _send


def job(task_id: str) -> ProviderJob:
    return ProviderJob(kind=ProviderJobKind.GEN_IMAGE, task_id=task_id)


def detail(task_id: str) -> dict[str, Any]:
    return {"id": task_id}


def test_each_destination_gets_its_records_entries_in_one_call_in_record_order():
    sends, queue, other, bus = HeldSends(), Destination("q1"), Destination("q2"), Destination()
    jobs, other_jobs, publisher = sends.queue(queue), sends.queue(other), sends.publisher(bus)
    for position, task in enumerate(["a", "b", "c"]):
        sends.position = position
        jobs.send(job(task), delay_seconds=position)
        publisher.put_event(detail(task))
        if task != "b":
            other_jobs.send(job(task))

    assert sends.flush() is None
    assert queue.calls == [[(job("a"), 0), (job("b"), 1), (job("c"), 2)]]
    assert other.calls == [[(job("a"), 0), (job("c"), 0)]]
    # The bus stand-in is both the events' and the notifications' destination: events only here.
    assert bus.calls == [[detail("a"), detail("b"), detail("c")]]


def test_a_refused_entry_stops_the_sends_at_its_record():
    sends = HeldSends()
    bus = Destination(refuse=lambda entry: entry["id"] == "b")
    queue = Destination()
    publisher, jobs = sends.publisher(bus), sends.queue(queue)
    for position, task in enumerate(["a", "b", "c"]):
        sends.position = position
        publisher.put_event(detail(task))
        publisher.publish_message(detail(task))
        jobs.send(job(task))

    assert sends.flush() == 1
    # Events went in one call (c's with them, to be repeated); after the refusal only record a's
    # notification and job are sent.
    assert bus.calls == [[detail("a"), detail("b"), detail("c")], [detail("a")]]
    assert queue.calls == [[(job("a"), 0)]]


def test_a_destination_that_raises_stops_the_sends_at_its_first_record():
    sends, failing, queue = HeldSends(), Destination("q1", raises=True), Destination("q2")
    failing_jobs, jobs = sends.queue(failing), sends.queue(queue)
    sends.position = 0
    jobs.send(job("a"))
    sends.position = 1
    failing_jobs.send(job("b"))
    jobs.send(job("b"))

    assert sends.flush() == 1
    assert queue.calls == [[(job("a"), 0)]]


def test_what_a_failed_record_held_is_forgotten_and_a_flush_leaves_nothing_held():
    sends, queue = HeldSends(), Destination()
    jobs = sends.queue(queue)
    sends.position = 0
    jobs.send(job("a"))
    sends.position = 1
    jobs.send(job("b"))
    sends.forget_from(1)

    assert sends.flush() is None
    assert sends.flush() is None
    assert queue.calls == [[(job("a"), 0)]]


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [
        ([], []),
        ([10] * 25, [range(0, 10), range(10, 20), range(20, 25)]),
        ([MAX_BATCH_BYTES // 2] * 3, [range(0, 2), range(2, 3)]),
        ([MAX_BATCH_BYTES + 1, 5, 5], [range(0, 1), range(1, 3)]),
    ],
)
def test_batches_hold_at_most_ten_entries_and_the_byte_limit(sizes, expected):
    got = list(batches(sizes))

    assert got == expected
    assert all(len(chunk) <= MAX_ENTRIES for chunk in got)


class StubSqs:
    """SendMessageBatch answers: `answers[n]` gives the n-th call's Failed list, or raises."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.sent: list[list[str]] = []

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        answer = self.answers.pop(0) if self.answers else []
        if isinstance(answer, Exception):
            raise answer
        self.sent.append([e["Id"] for e in Entries])
        return {"Failed": answer(Entries) if callable(answer) else answer}


def jobs(n: int) -> list[tuple[ProviderJob, int]]:
    return [(job(f"t-{i}"), 0) for i in range(n)]


def test_a_queue_stops_at_the_first_batch_with_an_entry_sqs_refused_for_its_own_fault():
    refuse_12 = [{"Id": "12", "SenderFault": True, "Code": "InvalidMessageContents"}]
    sqs = StubSqs([], refuse_12)

    assert JobQueue("q", sqs=sqs).send_many(jobs(25)) == 12
    # The third batch (20-24) is never sent: nothing after a batch that did not all go out.
    assert sqs.sent == [[str(i) for i in range(10)], [str(i) for i in range(10, 20)]]


def test_entries_sqs_refused_for_its_own_fault_are_sent_again_until_taken(monkeypatch):
    monkeypatch.setattr("reelay.clients.batch_limits.time.sleep", lambda _: None)
    throttled = [{"Id": "3", "SenderFault": False, "Code": "ThrottlingException"}]
    sqs = StubSqs(throttled, [])

    assert JobQueue("q", sqs=sqs).send_many(jobs(5)) is None
    assert sqs.sent == [["0", "1", "2", "3", "4"], ["3"]]


def test_a_batch_call_that_fails_is_partly_sent_from_its_first_entry():
    sqs = StubSqs([], RuntimeError("SQS kept failing"))

    with pytest.raises(PartlySent) as partly:
        JobQueue("q", sqs=sqs).send_many(jobs(15))
    assert partly.value.first == 10


def test_held_sends_hand_back_from_the_record_whose_batch_failed_not_from_the_first():
    sends, sqs = HeldSends(), StubSqs([], RuntimeError("SQS kept failing"))
    queue = sends.queue(JobQueue("q", sqs=sqs))
    for position in range(15):
        sends.position = position
        queue.send(job(f"t-{position}"))

    assert sends.flush() == 10


class StubEventBridge:
    def __init__(self, refuse: set[str]) -> None:
        self.refuse = refuse
        self.calls: list[list[str]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        ids = [json.loads(e["Detail"])["id"] for e in Entries]
        self.calls.append(ids)
        results = [{"ErrorCode": "InternalFailure"} if i in self.refuse else {"EventId": i} for i in ids]
        return {"FailedEntryCount": sum(1 for r in results if "ErrorCode" in r), "Entries": results}


def test_events_stop_at_the_batch_eventbridge_kept_refusing_an_entry_of():
    bus = StubEventBridge(refuse={"t-2"})
    publisher = EventPublisher("bus", "arn:topic", events=bus, max_attempts=2, backoff_seconds=0)
    details = [{"id": f"t-{i}", "status": "video_generated"} for i in range(25)]

    assert publisher.put_events(details) == 2
    # The first batch, then its refused entry once more; records 10-24 are never put.
    assert bus.calls == [[f"t-{i}" for i in range(10)], ["t-2"]]
