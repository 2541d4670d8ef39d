"""Stage metrics as the handlers print them: EMF lines in the template's namespace, with their dimensions."""

from __future__ import annotations

import json
from typing import Any

from reelay.stage_metrics import STAGE_METRICS
from reelay_local.aws.template import load_template
from reelay_local.consumers.webhook_receiver import WebhookReceiver
from tests.integration.pipeline import TenantApi


def emf_lines(captured: str) -> list[dict[str, Any]]:
    """The EMF documents among the functions' output lines (logs are JSON too, without `_aws`)."""
    lines = []
    for line in captured.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            lines.append(json.loads(line))
    return lines


def counted(lines: list[dict[str, Any]]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Totals per (metric, its dimension values), from the EMF documents."""
    totals: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for line in lines:
        for directive in line["_aws"]["CloudWatchMetrics"]:
            (dimensions,) = directive["Dimensions"]
            for metric in directive["Metrics"]:
                key = (metric["Name"], tuple(sorted((d, line[d]) for d in dimensions)))
                totals[key] = totals.get(key, 0) + sum(line[metric["Name"]])
    return totals


def test_one_delivered_video_emits_each_stage_s_count_with_its_dimensions(embedded, simulator, capsys):
    namespace = load_template()["Globals"]["Function"]["Environment"]["Variables"][
        "POWERTOOLS_METRICS_NAMESPACE"
    ]
    api = TenantApi.create(embedded)
    with WebhookReceiver(secret=api.tenant.webhook_secret) as receiver:
        task_id = api.submit(simulator.sample_product_url(), webhook_url=receiver.url)["id"]
        api.run_until(task_id)
        receiver.wait_for(1)
        embedded.stack.pump()
    embedded.stack.run_schedule("ReconcilerFunction")

    lines = emf_lines(capsys.readouterr().out)
    stage_lines = [
        line
        for line in lines
        for d in line["_aws"]["CloudWatchMetrics"]
        for m in d["Metrics"]
        if m["Name"] in STAGE_METRICS
    ]
    assert {d["Namespace"] for line in stage_lines for d in line["_aws"]["CloudWatchMetrics"]} == {namespace}
    for line in stage_lines:
        for directive in line["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                assert set(directive["Dimensions"][0]) == {*STAGE_METRICS[metric["Name"]], "service"}
                assert metric["Unit"] == "Count"

    totals = counted(stage_lines)
    service = ("service", "reelay")
    assert totals[("TasksSubmitted", (service, ("source", "api")))] == 1
    assert totals[("ProviderCalls", (("job", "gen_image"), ("outcome", "submitted"), service))] == 1
    assert totals[("ProviderCalls", (("job", "gen_video"), ("outcome", "submitted"), service))] == 1
    assert totals[("Callbacks", (("outcome", "applied"), service))] >= 1
    assert totals[("Deliveries", (("outcome", "delivered"), service))] == 1
    assert totals[("TasksTerminal", (service, ("status", "video_generated")))] == 1
    # The reconciler reports what it recovered each run, zero included, so its graph has no gaps.
    assert totals[("Recoveries", (("how", "reconciler_advanced"), service))] == 0
    # Every metric the dashboard shows is one the code emits; Publications only for a shop task
    # with write-back (tests/integration/test_publish_shopify.py counts it).
    assert {name for name, _ in totals} == set(STAGE_METRICS) - {"Publications"}
