"""Publish worker: puts each finished video on its shop product, one step of the chain per message."""

from __future__ import annotations

# First: the garbage collector pauses while the instance starts (reelay.startup).
from reelay.startup import resumes_collector

# isort: split

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from reelay.deps import runtime
from reelay.logic.publish import publish
from reelay.models.jobs import PublishJob
from reelay.sqs_batch import SqsRecord, handle_sqs_batch, last_receive
from reelay.stage_metrics import count

logger = Logger()


def record_handler(record: SqsRecord) -> None:
    deps = runtime()
    # A failure now would send the message to the dead-letter queue and leave it publishing.
    last = last_receive(record, deps.settings.publish_max_receive_count)
    job = PublishJob.from_json(record["body"])
    outcome = publish(job, deps, message_id=record.get("messageId"), last_receive=last)
    count("Publications", outcome=outcome.result.value)


@resumes_collector
@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return handle_sqs_batch(event, record_handler, logger)
