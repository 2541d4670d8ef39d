"""Which AWS errors are worth another attempt, and which are AWS's "no"."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from reelay.clients.aws import is_aws_outage
from reelay.dal.transactions import is_passing_cancellation, is_refused_transaction


def error(code: str, status: int = 400, reasons: list[str] | None = None) -> ClientError:
    response: dict = {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    if reasons is not None:
        response["CancellationReasons"] = [{"Code": reason} for reason in reasons]
    return ClientError(response, "TransactWriteItems")


@pytest.mark.parametrize(
    ("reasons", "passing"),
    [
        (["None", "TransactionConflict"], True),
        (["ThrottlingError", "ProvisionedThroughputExceeded"], True),
        (["ConditionalCheckFailed", "TransactionConflict"], False),  # a "no" is a "no"
        (["ConditionalCheckFailed", "None"], False),
        ([], False),  # said nothing: read as a refusal, as before
    ],
)
def test_a_cancellation_is_tried_again_only_when_every_reason_passes(reasons, passing):
    cancelled = error("TransactionCanceledException", reasons=reasons)

    assert is_passing_cancellation(cancelled) is passing
    assert is_refused_transaction(cancelled) is not passing


def test_an_error_that_is_no_cancellation_is_neither():
    throttled = error("ProvisionedThroughputExceededException")

    assert not is_passing_cancellation(throttled)
    assert not is_refused_transaction(throttled)


@pytest.mark.parametrize(
    ("exc", "outage"),
    [
        (error("ProvisionedThroughputExceededException"), True),
        (error("KmsThrottled"), True),
        (error("Throttled", status=429), True),
        (error("InternalError", status=500), True),
        (ReadTimeoutError(endpoint_url="https://sqs"), True),
        (EndpointConnectionError(endpoint_url="https://sqs"), True),
        (error("ConditionalCheckFailedException"), False),
        (error("ValidationException"), False),
        (error("AccessDeniedException", status=403), False),
        (ValueError("not AWS"), False),
    ],
)
def test_an_outage_is_aws_busy_failing_or_unreachable_never_a_refusal(exc, outage):
    assert is_aws_outage(exc) is outage
