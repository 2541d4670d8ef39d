"""Provider worker: calls Creatify for each job, guarded by a claim so nothing is paid twice."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from reelay.deps import runtime
from reelay.logic.provider_history import record_job_outcome
from reelay.logic.provider_jobs import JobResult, run_provider_job
from reelay.models.jobs import ProviderJob
from reelay.stage_metrics import count

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    job = ProviderJob.model_validate_json(record.body)
    outcome = run_provider_job(job, runtime())
    record_job_outcome(job, outcome, runtime())
    count("ProviderCalls", job=job.kind.value, outcome=outcome.result.value)
    if outcome.result is JobResult.RECOVERED:
        count("Recoveries", how="found_at_creatify")


@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
