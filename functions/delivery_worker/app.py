"""Delivery worker: posts each finished task to its webhook_url, signed, with retries."""

from __future__ import annotations

# First: the garbage collector pauses while the instance starts (reelay.startup).
from reelay.startup import resumes_collector

# isort: split

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from reelay.deps import runtime
from reelay.logic.deliver import deliver
from reelay.models.jobs import DeliveryJob
from reelay.sqs_batch import SqsRecord, handle_sqs_batch
from reelay.stage_metrics import count

logger = Logger()


def record_handler(record: SqsRecord) -> None:
    outcome = deliver(DeliveryJob.from_json(record["body"]), runtime())
    count("Deliveries", outcome=outcome.result.value)


@resumes_collector
@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return handle_sqs_batch(event, record_handler, logger)
