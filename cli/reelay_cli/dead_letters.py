"""`reelay dlq list|redrive`: what sits in a stack's dead-letter queues, and moving it back.

The queues are found from the CloudFormation stack by their logical ids, so the command needs
only the stack's name and the operator's AWS credentials:

| --queue    | logical id              | what a message is                         | redrive to          |
| ---------- | ----------------------- | ----------------------------------------- | ------------------- |
| provider   | ProviderDeadLetterQueue | a provider job (gen_image, gen_video, ...) | ProviderQueue       |
| delivery   | DeliveryDeadLetterQueue | a webhook delivery (task, event id)        | DeliveryQueue       |
| publish    | PublishDeadLetterQueue  | a publish job (put a video on its product) | PublishQueue        |
| media      | MediaDeadLetterQueue    | an archive job (task, photo or video)      | MediaQueue          |
| stream     | StreamFailureQueue      | where a task-stream batch given up on lies | - (see below)       |

Redrive receives a message, sends its body to the queue the dead-letter queue serves (read
from SQS itself: ListDeadLetterSourceQueues), and only then deletes it. A crash between the
send and the delete leaves the message in the dead-letter queue, visible again after the hold
below, so a second redrive sends it once more: at worst a repeat, never a loss. A repeat is
harmless by design: a provider job is claimed before Creatify is paid (a second copy finds
the claim and pays nothing), an archive job copies the same bytes to the same key again and
its conditional settle finds the asset settled (or another attempt current) and changes
nothing, a delivery carries the same event id (`webhook-id`), on which receivers
deduplicate, and a publish job claims the publication and asks the shop for the video
before attaching it. SQS's
StartMessageMoveTask would do the move server-side, but it cannot pick messages by task, and
moto (the local stack and the tests) does not implement it.

A stream-failure message names a range of stream records (shard, sequence numbers), not work
to send anywhere: those records cannot be put back on the stream. The reconciler queues the
lost provider job of any task that sits quiet, and `reelay replay <id>` sends a finished
task's webhook again; `list` shows the range so the tasks can be found.

Listing receives messages too (SQS has no peek): each is held for HOLD_SECONDS while the list
is read, then made visible again at once. It raises each message's receive count by one;
dead-letter queues have no redrive policy of their own, so that count decides nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from reelay_cli.errors import UserError

QUEUES: dict[str, str] = {
    "provider": "ProviderDeadLetterQueue",
    "delivery": "DeliveryDeadLetterQueue",
    "publish": "PublishDeadLetterQueue",
    "media": "MediaDeadLetterQueue",
    "stream": "StreamFailureQueue",
}
# How long a received message stays hidden while a listing or a redrive works on it.
HOLD_SECONDS = 60


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    receipt_handle: str
    body: str
    kind: str
    task_id: str | None
    detail: str
    age_seconds: float
    receive_count: int

    def summary(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "kind": self.kind,
            "task_id": self.task_id,
            "detail": self.detail,
            "age_seconds": round(self.age_seconds),
            "receive_count": self.receive_count,
        }


def stack_queues(clients: Any, stack_name: str) -> dict[str, str]:
    """The dead-letter queues' URLs by --queue name, from the stack's resources."""
    wanted = {logical: name for name, logical in QUEUES.items()}
    found: dict[str, str] = {}
    paginator = clients("cloudformation").get_paginator("list_stack_resources")
    for page in paginator.paginate(StackName=stack_name):
        for resource in page["StackResourceSummaries"]:
            if resource["LogicalResourceId"] in wanted:
                found[wanted[resource["LogicalResourceId"]]] = resource["PhysicalResourceId"]
    missing = sorted(set(QUEUES) - set(found))
    if missing:
        raise LookupError(f"stack {stack_name} has no queue for: {', '.join(missing)}")
    return found


def describe(body: str) -> tuple[str, str | None, str]:
    """(kind, task id, detail) of a message body, whatever queue it came from."""
    try:
        data = json.loads(body)
    except ValueError:
        return "unreadable", None, body[:80]
    if not isinstance(data, dict):
        return "unreadable", None, body[:80]
    if "kind" in data and "task_id" in data:
        return str(data["kind"]), str(data["task_id"]), f"put back {data.get('retries', 0)} times"
    if "stage" in data and "task_id" in data:
        return f"publish {data['stage']}", str(data["task_id"]), f"claim {data.get('claim')}"
    if "asset" in data and "task_id" in data:
        return "archive", str(data["task_id"]), f"{data['asset']} attempt {int(data.get('attempt', 0)) + 1}"
    if "event_id" in data and "task_id" in data:
        detail = f"{data['event_id']} attempt {int(data.get('attempt', 0)) + 1}"
        if data.get("replay"):
            detail += f" (replay {data['replay']})"
        return "delivery", str(data["task_id"]), detail
    batch = data.get("DDBStreamBatchInfo")
    if isinstance(batch, dict):
        condition = (data.get("requestContext") or {}).get("condition", "")
        detail = (
            f"shard {batch.get('shardId')} records {batch.get('startSequenceNumber')}.."
            f"{batch.get('endSequenceNumber')} ({batch.get('batchSize')}) {condition}"
        )
        return "stream batch", None, detail.strip()
    return "unknown", None, body[:80]


def _receive(sqs: Any, url: str) -> list[dict[str, Any]]:
    answer = sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=10,
        VisibilityTimeout=HOLD_SECONDS,
        # Long polling asks every SQS server, so a short queue is not reported empty by chance.
        WaitTimeSeconds=1,
        AttributeNames=["SentTimestamp", "ApproximateReceiveCount"],
    )
    return list(answer.get("Messages", []))


def _letter(message: dict[str, Any], now: float) -> DeadLetter:
    attributes = message.get("Attributes", {})
    sent = int(attributes.get("SentTimestamp", now * 1000)) / 1000
    kind, task_id, detail = describe(message["Body"])
    return DeadLetter(
        message_id=message["MessageId"],
        receipt_handle=message["ReceiptHandle"],
        body=message["Body"],
        kind=kind,
        task_id=task_id,
        detail=detail,
        age_seconds=max(0.0, now - sent),
        # Without the receive this listing made.
        receive_count=max(0, int(attributes.get("ApproximateReceiveCount", 1)) - 1),
    )


def _each_once(sqs: Any, url: str, limit: int) -> Iterator[DeadLetter]:
    """Every message of the queue at most once (each stays hidden for HOLD_SECONDS), up to `limit`."""
    seen: set[str] = set()
    while len(seen) < limit:
        fresh = [m for m in _receive(sqs, url) if m["MessageId"] not in seen]
        if not fresh:
            return
        for message in fresh:
            if len(seen) >= limit:
                return
            seen.add(message["MessageId"])
            yield _letter(message, time.time())


def _release(sqs: Any, url: str, letters: list[DeadLetter]) -> None:
    """Make held messages visible again at once."""
    for start in range(0, len(letters), 10):
        sqs.change_message_visibility_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": letter.receipt_handle, "VisibilityTimeout": 0}
                for i, letter in enumerate(letters[start : start + 10])
            ],
        )


def list_dead_letters(sqs: Any, url: str, limit: int = 1000) -> list[DeadLetter]:
    letters = list(_each_once(sqs, url, limit))
    _release(sqs, url, letters)
    return letters


@dataclass(frozen=True)
class Redriven:
    moved: list[DeadLetter]
    left: list[DeadLetter]
    source_url: str


def source_queue(sqs: Any, dead_letter_url: str) -> str:
    sources = sqs.list_dead_letter_source_queues(QueueUrl=dead_letter_url).get("queueUrls", [])
    if len(sources) != 1:
        raise UserError(
            "this queue is no queue's dead-letter queue, so there is nowhere to move its messages "
            "back to (stream failures name stream records: the reconciler queues a quiet task's "
            "lost job again, and `reelay replay <id>` sends a finished task's webhook again)"
        )
    return str(sources[0])


def redrive(sqs: Any, dead_letter_url: str, task_ids: set[str] | None = None, limit: int = 1000) -> Redriven:
    """Move messages back to the queue they died in (only those of `task_ids`, when given)."""
    source = source_queue(sqs, dead_letter_url)
    moved: list[DeadLetter] = []
    left: list[DeadLetter] = []
    for letter in _each_once(sqs, dead_letter_url, limit):
        if task_ids is not None and letter.task_id not in task_ids:
            left.append(letter)
            continue
        # Send first, delete second: a crash in between repeats the message, never loses it.
        sqs.send_message(QueueUrl=source, MessageBody=letter.body)
        sqs.delete_message(QueueUrl=dead_letter_url, ReceiptHandle=letter.receipt_handle)
        moved.append(letter)
    _release(sqs, dead_letter_url, left)
    return Redriven(moved, left, source)


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def _table(letters: list[DeadLetter], out: TextIO) -> None:
    for letter in letters:
        out.write(
            f"  {letter.message_id}  {letter.kind:<12}  {letter.task_id or '-':<36}  "
            f"age {_age(letter.age_seconds):>4}  received {letter.receive_count}x  {letter.detail}\n"
        )


def list_command(clients: Any, stack_name: str, queue: str | None, as_json: bool, out: TextIO) -> int:
    urls = stack_queues(clients, stack_name)
    sqs = clients("sqs")
    found = {name: list_dead_letters(sqs, urls[name]) for name in ([queue] if queue else QUEUES)}
    if as_json:
        out.write(json.dumps({name: [x.summary() for x in xs] for name, xs in found.items()}) + "\n")
        return 0
    for name, letters in found.items():
        out.write(f"{name} ({QUEUES[name]}): {len(letters)} message(s)\n")
        _table(letters, out)
    return 0


def redrive_command(
    clients: Any, stack_name: str, queue: str, task_ids: list[str] | None, as_json: bool, out: TextIO
) -> int:
    sqs = clients("sqs")
    result = redrive(sqs, stack_queues(clients, stack_name)[queue], set(task_ids) if task_ids else None)
    if as_json:
        out.write(
            json.dumps(
                {
                    "moved": [x.summary() for x in result.moved],
                    "left": len(result.left),
                    "to": result.source_url,
                }
            )
            + "\n"
        )
        return 0
    out.write(f"moved {len(result.moved)} message(s) back to {result.source_url}\n")
    _table(result.moved, out)
    if result.left:
        out.write(f"{len(result.left)} message(s) of other tasks left in {queue}\n")
    return 0
