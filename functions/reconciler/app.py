"""Reconciler (scheduled): completes tasks whose callbacks were lost or never possible."""

from __future__ import annotations

# First: the garbage collector pauses while the instance starts (reelay.startup).
from reelay.startup import resumes_collector

# isort: split

from dataclasses import asdict

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from reelay.deps import runtime
from reelay.logic.reconcile import reconcile_open_tasks
from reelay.stage_metrics import count

logger = Logger()


@resumes_collector
@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> dict:
    report = reconcile_open_tasks(runtime())
    count("Recoveries", value=report.advanced, how="reconciler_advanced")
    count("Recoveries", value=report.jobs_requeued, how="job_requeued")
    count("Recoveries", value=report.timed_out, how="timed_out")
    return asdict(report)
