"""Sending work to an SQS queue: one message, or many in as few SendMessageBatch calls as they fit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reelay.clients.aws import aws_client
from reelay.clients.batch_limits import refused_in, send_in_batches
from reelay.models.jobs import MAX_DELAY_SECONDS, QueueMessage


class JobQueue:
    def __init__(self, queue_url: str, sqs: Any = None) -> None:
        self.queue_url = queue_url
        self._sqs = sqs

    @property
    def sqs(self) -> Any:
        if self._sqs is None:
            self._sqs = aws_client("sqs")
        return self._sqs

    def send(self, job: QueueMessage, delay_seconds: int = 0) -> None:
        self.sqs.send_message(
            QueueUrl=self.queue_url, MessageBody=job.to_json(), DelaySeconds=_delay(delay_seconds)
        )

    def send_many(self, jobs: Sequence[tuple[QueueMessage, int]]) -> int | None:
        """Send (job, delay) pairs in order, ten to a call; the first one not sent, or None.

        Entries SQS refused for its own fault (throttling, KMS) are sent again; sending stops at
        the first batch that could not be sent whole (reelay.clients.batch_limits).
        """
        bodies = [job.to_json() for job, _ in jobs]

        def call(indexes: list[int]) -> dict[int, bool]:
            answer = self.sqs.send_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "MessageBody": bodies[i], "DelaySeconds": _delay(jobs[i][1])}
                    for i in indexes
                ],
            )
            return refused_in(answer)

        return send_in_batches([len(body.encode()) for body in bodies], call)


def _delay(seconds: int) -> int:
    return max(0, min(MAX_DELAY_SECONDS, int(seconds)))
