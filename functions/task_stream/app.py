"""Task-stream: each committed task change becomes provider jobs, events and deliveries."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from reelay.dal.stream_images import task_images
from reelay.deps import runtime
from reelay.logic.dispatch import dispatch_change
from reelay.stage_metrics import count

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    images = task_images(record)
    if images is None:
        return  # not a task item (claims, tenants) or a malformed image: nothing to dispatch
    done = dispatch_change(images.old, images.new, runtime())
    if done.submitted_from:
        count("TasksSubmitted", source=done.submitted_from)
    if done.finished_as:
        count("TasksTerminal", status=done.finished_as)


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    # A failing record is reported alone; Lambda retries from it, bisects, and finally sends
    # it to the on-failure queue, so one poison record never blocks the shard.
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
