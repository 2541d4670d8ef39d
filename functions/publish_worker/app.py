"""Publish worker: puts each finished video on its shop product, one step of the chain per message."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from reelay.deps import runtime
from reelay.logic.publish import publish
from reelay.models.jobs import PublishJob
from reelay.stage_metrics import count

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    outcome = publish(PublishJob.model_validate_json(record.body), runtime())
    count("Publications", outcome=outcome.result.value)


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
