"""Sending work to an SQS queue."""

from __future__ import annotations

from typing import Any

from reelay.clients.aws import aws_client
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
            QueueUrl=self.queue_url,
            MessageBody=job.to_json(),
            DelaySeconds=max(0, min(MAX_DELAY_SECONDS, int(delay_seconds))),
        )
