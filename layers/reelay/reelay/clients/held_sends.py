"""The task stream's sends, held while a batch of records is dispatched and then made in batches.

Under load one stream batch holds the changes of many tasks, and each change sends its own
provider job, archive copy, delivery, event and notification: one AWS call each. Held here
instead, they go out when the batch's records have been dispatched, up to ten to a call
(PutEvents, SNS PublishBatch, SQS SendMessageBatch per queue). A lone record costs what it did.

Each entry keeps the position of the record that made it. `flush` sends the events first, then
the notifications, then the queues' messages (what fails most often goes first). Each
destination sends in record order and stops at the first batch it could not send whole (an
entry refused after the retries, a call failing after its client's): `flush` then sends the
other destinations only the entries of records before that one, and answers its position, from
which the stream hands the batch back. So nothing goes out on a destination after a batch it
could not send whole, but a later record's event may have gone out before an earlier record's
notification or job failed; it goes again with its record, under the same event id
(the copies the stream's at-least-once delivery makes anyway: a provider job's copy finds its
slot taken, an archive copy writes the same object). Entries in the batch call that held a
refused one are sent again with their record too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from reelay.clients.batch_limits import PartlySent
from reelay.models.jobs import QueueMessage

logger = Logger(child=True)


class BatchQueue(Protocol):
    """A queue that sends many messages to a call (reelay.clients.job_queue.JobQueue)."""

    queue_url: str

    def send_many(self, jobs: Sequence[tuple[QueueMessage, int]]) -> int | None: ...


class BatchPublisher(Protocol):
    """A publisher of many events to a call (reelay.clients.event_publisher.EventPublisher)."""

    def put_events(self, details: Sequence[dict[str, Any]]) -> int | None: ...

    def publish_messages(self, details: Sequence[dict[str, Any]]) -> int | None: ...


@dataclass
class _Held:
    """What one destination holds: each entry with the position of the record that made it."""

    send: Callable[[Sequence[Any]], int | None]  # entries -> the first not sent, or None
    name: str
    positions: list[int] = field(default_factory=list)
    entries: list[Any] = field(default_factory=list)


class HeldSends:
    """Stands in for the dispatcher's queues and publisher while a stream batch is dispatched.

    Set `position` to the record's index before dispatching it; `flush` after the last.
    """

    def __init__(self) -> None:
        self.position = 0
        self._events: dict[int, _Held] = {}
        self._messages: dict[int, _Held] = {}
        self._queues: dict[str, _Held] = {}

    def publisher(self, publisher: BatchPublisher) -> HeldPublisher:
        events = self._events.setdefault(id(publisher), _Held(publisher.put_events, "EventBridge"))
        messages = self._messages.setdefault(id(publisher), _Held(publisher.publish_messages, "SNS"))
        return HeldPublisher(self, events, messages)

    def queue(self, queue: BatchQueue) -> HeldQueue:
        held = self._queues.setdefault(queue.queue_url, _Held(queue.send_many, queue.queue_url))
        return HeldQueue(self, held)

    def hold(self, held: _Held, entry: Any) -> None:
        held.positions.append(self.position)
        held.entries.append(entry)

    def forget_from(self, position: int) -> None:
        """Drop what the records from `position` on made: they will be dispatched again."""
        for held in self._all():
            keep = [i for i, p in enumerate(held.positions) if p < position]
            held.positions = [held.positions[i] for i in keep]
            held.entries = [held.entries[i] for i in keep]

    def flush(self) -> int | None:
        """Send what is held; the position of the first record whose sends did not all go out."""
        stopped_at: int | None = None
        for held in self._all():
            count = len(held.positions)
            if stopped_at is not None:
                count = sum(1 for p in held.positions if p < stopped_at)
            if not count:
                continue
            try:
                unsent = held.send(held.entries[:count])
            except Exception as exc:
                logger.exception("a batched send failed", extra={"destination": held.name})
                # Sent up to the batch that failed; any other failure: none of it is known to have gone out.
                unsent = exc.first if isinstance(exc, PartlySent) else 0
            if unsent is not None:
                first = held.positions[unsent]
                stopped_at = first if stopped_at is None else min(stopped_at, first)
                logger.warning(
                    "sends not all made; the batch is handed back from the record that made them",
                    extra={"destination": held.name, "position": first},
                )
        for held in self._all():
            held.positions, held.entries = [], []
        return stopped_at

    def _all(self) -> list[_Held]:
        return [*self._events.values(), *self._messages.values(), *self._queues.values()]


@dataclass(frozen=True)
class HeldQueue:
    """A JobQueue whose sends wait for the batch's flush."""

    sends: HeldSends
    held: _Held

    def send(self, job: QueueMessage, delay_seconds: int = 0) -> None:
        self.sends.hold(self.held, (job, delay_seconds))


@dataclass(frozen=True)
class HeldPublisher:
    """An EventPublisher whose events and notifications wait for the batch's flush."""

    sends: HeldSends
    events: _Held
    messages: _Held

    def put_event(self, detail: dict[str, Any]) -> None:
        self.sends.hold(self.events, detail)

    def publish_message(self, detail: dict[str, Any]) -> None:
        self.sends.hold(self.messages, detail)
