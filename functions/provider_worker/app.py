"""Provider worker: calls Creatify for each job, guarded by a claim so nothing is paid twice."""

from __future__ import annotations

# First: the garbage collector pauses while the instance starts (reelay.startup).
from reelay.startup import resumes_collector

# isort: split

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from reelay.deps import runtime
from reelay.logic.provider_history import record_job_outcome
from reelay.logic.provider_jobs import JobResult, run_provider_job
from reelay.models.jobs import ProviderJob
from reelay.sqs_batch import SqsRecord, handle_sqs_batch
from reelay.stage_metrics import count

logger = Logger()


def record_handler(record: SqsRecord) -> None:
    job = ProviderJob.from_json(record["body"])
    outcome = run_provider_job(job, runtime())
    record_job_outcome(job, outcome, runtime())
    count("ProviderCalls", job=job.kind.value, outcome=outcome.result.value)
    if outcome.result is JobResult.RECOVERED:
        count("Recoveries", how="found_at_creatify")


@resumes_collector
@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    return handle_sqs_batch(event, record_handler, logger)
