"""Recording the provider worker's unhappy outcomes in the task's history: the ones no other write carries.

A submitted or recovered call is recorded by the write of Creatify's task id, and a skipped job
did nothing; a retry, a check or a refusal writes nothing else, so each is noted in an
UpdateItem of its own (off the happy path). A note is best effort: a failure to write it is
logged and never fails the job, whose message would otherwise come back and run again.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools import Logger

from reelay.deps import Deps
from reelay.errors import TaskNotFound
from reelay.logic.provider_jobs import JobOutcome, JobResult
from reelay.models.jobs import ProviderJob
from reelay.models.task_history import CallOutcome, call_entry

logger = Logger(child=True)

# Outcomes whose only record is this module's write; submitted and recovered are recorded by the
# write of the provider id, and a skipped job did nothing.
_NOTED = {
    JobResult.RETRY_SCHEDULED: CallOutcome.RETRY_SCHEDULED,
    JobResult.CHECK_SCHEDULED: CallOutcome.CHECK_SCHEDULED,
    JobResult.FAILED: CallOutcome.FAILED,
}


def record_job_outcome(job: ProviderJob, outcome: JobOutcome, deps: Deps) -> bool:
    """Note an unhappy provider outcome in the task's history; True when an entry was appended."""
    noted = _NOTED.get(outcome.result)
    if noted is None:
        return False
    retry = job.retries + 1 if noted is CallOutcome.RETRY_SCHEDULED else None
    entry = call_entry(job.kind.value, noted, datetime.now(UTC), reason=outcome.detail, retry=retry)
    try:
        return deps.history.note(job.task_id, entry)
    except TaskNotFound:
        return False
    except Exception:
        # A record of the job, never a reason for its message to come back and run it again.
        logger.warning("could not note the provider outcome", extra={"task_id": job.task_id}, exc_info=True)
        return False
