"""The template's dashboard: valid JSON once deployed, every stage metric the code emits, and the alarms."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from reelay.stage_metrics import STAGE_METRICS, count
from reelay_local.aws.template import load_template

# SEARCH('{Namespace,dim,dim} MetricName="Name"', 'Sum', 300)
_SEARCH = re.compile(r"""SEARCH\('\{(?P<schema>[^}]*)\} MetricName="(?P<name>[^"]+)"'""")


def _deployed_body(template: dict[str, Any]) -> dict[str, Any]:
    """The dashboard body as CloudFormation would write it: each ${...} resolved, then parsed."""
    resources = template["Resources"]
    body = resources["PipelineDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]

    def resolve(match: re.Match[str]) -> str:
        reference = match.group(1)
        if reference == "AWS::Region":
            return "eu-west-1"
        logical_id, _, attribute = reference.partition(".")
        assert attribute == "Arn" and resources[logical_id]["Type"] == "AWS::CloudWatch::Alarm", reference
        return f"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:{logical_id}"

    return json.loads(re.sub(r"\$\{([^}]+)\}", resolve, body))


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def test_the_dashboard_shows_each_stage_metric_with_exactly_the_dimensions_it_is_emitted_with(template):
    namespace = template["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
    shown: dict[str, set[str]] = {}
    for widget in _deployed_body(template)["widgets"]:
        if widget["type"] != "metric":
            continue
        for metric in widget["properties"]["metrics"]:
            found = _SEARCH.search(metric[0]["expression"])
            assert found, metric
            schema_namespace, *dimensions = found.group("schema").split(",")
            assert schema_namespace == namespace
            shown[found.group("name")] = set(dimensions)

    assert shown == {name: {*dims, "service"} for name, dims in STAGE_METRICS.items()}


def test_the_dashboard_shows_every_alarm_of_the_template(template):
    alarms = {
        logical_id for logical_id, r in template["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"
    }
    shown = {
        arn.rsplit(":", 1)[1]
        for widget in _deployed_body(template)["widgets"]
        if widget["type"] == "alarm"
        for arn in widget["properties"]["alarms"]
    }
    assert alarms and shown == alarms


def test_a_stage_metric_with_other_dimensions_than_declared_is_refused():
    with pytest.raises(ValueError, match="ProviderCalls takes dimensions"):
        count("ProviderCalls", job="gen_image")
    with pytest.raises(KeyError):
        count("NotAStageMetric", outcome="x")
