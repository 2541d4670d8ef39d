"""Reconciler (scheduled): completes tasks whose callbacks were lost or never possible."""

from __future__ import annotations

from dataclasses import asdict

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reelay.deps import runtime
from reelay.logic.reconcile import reconcile_open_tasks

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    report = reconcile_open_tasks(runtime())
    metrics.add_metric(name="ReconciledAdvanced", unit=MetricUnit.Count, value=report.advanced)
    return asdict(report)
