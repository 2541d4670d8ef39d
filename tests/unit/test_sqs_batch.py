"""An SQS batch: each record on its own, failed ones handed back alone, the batch failed when all did."""

from __future__ import annotations

import logging

import pytest

from reelay.sqs_batch import EveryRecordFailed, handle_sqs_batch

logger = logging.getLogger("test_sqs_batch")


def _batch(*bodies: str) -> dict:
    return {"Records": [{"messageId": f"m-{i}", "body": body} for i, body in enumerate(bodies)]}


def _handler(seen: list[str]):
    def handle(record) -> None:
        seen.append(record["body"])
        if record["body"] == "bad":
            raise ValueError("cannot handle this one")

    return handle


def test_every_record_is_handled_and_only_the_failed_ones_are_handed_back(caplog) -> None:
    seen: list[str] = []
    with caplog.at_level(logging.WARNING, logger="test_sqs_batch"):
        answer = handle_sqs_batch(_batch("a", "bad", "c"), _handler(seen), logger)
    assert seen == ["a", "bad", "c"]  # a failure does not stop the records after it
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert "cannot handle this one" in caplog.text  # the failure is logged with its traceback


def test_a_batch_that_went_through_hands_nothing_back() -> None:
    assert handle_sqs_batch(_batch("a", "b"), _handler([]), logger) == {"batchItemFailures": []}


def test_a_batch_whose_every_record_failed_fails_itself() -> None:
    with pytest.raises(EveryRecordFailed) as caught:
        handle_sqs_batch(_batch("bad", "bad"), _handler([]), logger)
    assert isinstance(caught.value.__cause__, ValueError)


@pytest.mark.parametrize("event", [{}, {"Records": []}, {"Records": "x"}])
def test_an_event_without_records_is_refused(event: dict) -> None:
    with pytest.raises(ValueError, match="Records"):
        handle_sqs_batch(event, _handler([]), logger)
