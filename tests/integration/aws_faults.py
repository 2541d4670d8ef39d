"""AWS faults moto cannot produce, answered on the runtime's own boto3 clients.

A fault is a botocore `before-send` hook on the client the handlers use (`aws_client(service)`):
for the first `times` calls of one operation it answers what AWS answers when it throttles,
fails or refuses PutEvents entries, and the request never reaches moto. Everything else
(botocore's retries and backoff, the handlers, the event sources) runs for real. The test's own
clients (`embedded.clients(...)`) are other objects and never see a fault.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from reelay.clients.aws import aws_client


class _Body:
    """The raw body botocore reads from an answer (urllib3's `stream`)."""

    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


NOWHERE = "http://aws-fault.invalid/"

Answer = Callable[[AWSPreparedRequest], AWSResponse]


def json_error(code: str, status: int = 400, message: str = "injected fault") -> Answer:
    """An error in the JSON protocol (DynamoDB, EventBridge, SQS); SQS reads its code from a header."""

    def answer(request: AWSPreparedRequest) -> AWSResponse:
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-query-error": f"{code};Sender"}
        return AWSResponse(request.url, status, headers, _Body(body))

    return answer


def query_error(code: str, status: int = 400, message: str = "injected fault") -> Answer:
    """An error in the query protocol (SNS)."""

    def answer(request: AWSPreparedRequest) -> AWSResponse:
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{code}</Code><Message>{message}</Message>"
            "</Error><RequestId>injected</RequestId></ErrorResponse>"
        ).encode()
        return AWSResponse(request.url, status, {"Content-Type": "text/xml"}, _Body(body))

    return answer


def transaction_cancelled(*reasons: str) -> Answer:
    """DynamoDB cancelling a TransactWriteItems, one reason per item ("None" for a fine item)."""

    def answer(request: AWSPreparedRequest) -> AWSResponse:
        body = json.dumps(
            {
                "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                "message": f"Transaction cancelled, reasons {list(reasons)}",
                "CancellationReasons": [{"Code": code} for code in reasons],
            }
        ).encode()
        return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.0"}, _Body(body))

    return answer


def entries_refused(code: str = "ThrottlingException") -> Answer:
    """PutEvents answered 200 with every entry refused, as EventBridge reports a partial failure."""

    def answer(request: AWSPreparedRequest) -> AWSResponse:
        entries = json.loads(request.body)["Entries"]
        body = json.dumps(
            {
                "FailedEntryCount": len(entries),
                "Entries": [{"ErrorCode": code, "ErrorMessage": "injected refusal"} for _ in entries],
            }
        ).encode()
        return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.1"}, _Body(body))

    return answer


@dataclass
class Fault:
    """The first `times` calls of `operation` that `when` picks get `answer`; the counts say what happened."""

    service: str
    operation: str
    times: int
    answer: Answer
    when: Callable[[AWSPreparedRequest], bool] | None = None
    answered: int = 0
    passed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        with self._lock:
            if self.when is not None and not self.when(request):
                return None
            if self.answered < self.times:
                self.answered += 1
                answer = self.answer(request)
                # botocore calls every before-send handler and takes the first answer, so moto's
                # in-process mock would still carry the request out: point it where moto does not
                # look (botocore makes a new request for each attempt, this one is spent).
                request.url = NOWHERE
                return answer
            self.passed += 1
        return None  # on to moto


class AwsFaults:
    """Faults on the runtime's clients, removed again by `clear()` (the fixture does it)."""

    def __init__(self) -> None:
        self._installed: list[tuple[Any, str, Fault]] = []

    def inject(
        self,
        service: str,
        operation: str,
        answer: Answer,
        times: int = 1,
        when: Callable[[AWSPreparedRequest], bool] | None = None,
    ) -> Fault:
        client = aws_client(service)
        event = f"before-send.{client.meta.service_model.service_id.hyphenize()}.{operation}"
        fault = Fault(service, operation, times, answer, when)
        # First: moto answers on before-send too, and the first answer wins.
        client.meta.events.register_first(event, fault)
        self._installed.append((client, event, fault))
        return fault

    def clear(self) -> None:
        for client, event, fault in self._installed:
            client.meta.events.unregister(event, fault)
        self._installed.clear()
