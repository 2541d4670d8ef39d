"""Media worker: copies each task's Creatify photo and video into the media bucket, streamed."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from reelay.deps import runtime
from reelay.logic.archive_media import archive_media
from reelay.models.jobs import ArchiveJob
from reelay.stage_metrics import count

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    redelivered = int(record.attributes.approximate_receive_count or "1") > 1
    outcome = archive_media(ArchiveJob.model_validate_json(record.body), runtime(), redelivered=redelivered)
    count("MediaArchives", outcome=outcome.result.value)


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
