"""Metrics per stage, as CloudWatch EMF lines on stdout: the names and dimensions the dashboard shows.

Each count is its own EMF line (Powertools' `single_metric`), since its dimensions differ from
one record of a batch to the next. The namespace and the `service` dimension come from the
template's POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME. Counts made from the task
stream (submitted, terminal) follow its at-least-once delivery: a retried batch counts again.
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit, single_metric

# Every metric Reelay emits, with its dimensions besides `service`; the dashboard in
# template.yaml shows these and nothing else (tests/integration/test_stage_metrics.py).
STAGE_METRICS: dict[str, tuple[str, ...]] = {
    "TasksSubmitted": ("source",),  # api, shopify, woocommerce, regenerate
    "ProviderCalls": ("job", "outcome"),  # outcome: the provider worker's JobResult
    "Recoveries": ("how",),  # found_at_creatify, reconciler_advanced, job_requeued, timed_out
    "Callbacks": ("outcome",),  # applied, no_change, forbidden, unknown_task
    "Deliveries": ("outcome",),  # the delivery worker's DeliveryResult
    "TasksTerminal": ("status",),  # video_generated, failed
    "Publications": ("outcome",),  # the publish worker's PublishResult
    "MediaArchives": ("outcome",),  # the media worker's ArchiveResult
}


def count(name: str, value: float = 1, **dimensions: str) -> None:
    """Emit one EMF line counting `value` under `name` with exactly its declared dimensions."""
    expected = STAGE_METRICS[name]
    if set(dimensions) != set(expected):
        raise ValueError(f"{name} takes dimensions {expected}, not {tuple(dimensions)}")
    with single_metric(name=name, unit=MetricUnit.Count, value=value) as metric:
        for dimension in expected:
            metric.add_dimension(name=dimension, value=str(dimensions[dimension]))
