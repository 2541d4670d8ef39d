"""The template gives every function each environment variable its code path reads, and no more.

What a function reads comes from its code (tests/environment_scan.py); what it gets comes from
template.yaml as SAM merges it (Globals' variables, then the function's own).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from reelay_local.aws.template import load_template
from tests.environment_scan import REPO, function_reads, settings_variables

# Read by the runtime but never set in the template: the embedded stack's switch that lets
# webhooks and product URLs point at 127.0.0.1, and the local emulator's address for every shop admin
# call. Unset, they are off, as they must be in AWS.
DEV_ONLY = {"REELAY_ALLOW_LOOPBACK_WEBHOOKS", "REELAY_SHOP_ADMIN_BASE_URL"}
# Set by Lambda's runtime itself, never by a template: how reelay.startup knows it runs there.
LAMBDA_RUNTIME = {"AWS_EXECUTION_ENV"}


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def environment(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    """The function's variables as SAM merges them: Globals first, the function's own on top."""
    merged = dict(template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {}))
    merged.update(functions(template)[logical_id].get("Environment", {}).get("Variables", {}))
    return merged


def code_dir(template: dict[str, Any], logical_id: str) -> Path:
    return REPO / functions(template)[logical_id]["CodeUri"]


def missing_variables(template: dict[str, Any]) -> list[str]:
    """`Function: VARIABLE` for every variable a function's path reads and the template does not set."""
    return [
        f"{logical_id}: {variable}"
        for logical_id in sorted(functions(template))
        for variable in sorted(
            function_reads(code_dir(template, logical_id)).variables - DEV_ONLY - LAMBDA_RUNTIME
        )
        if variable not in environment(template, logical_id)
    ]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def reads(template) -> dict[str, set[str]]:
    return {
        logical_id: function_reads(code_dir(template, logical_id)).variables
        for logical_id in functions(template)
    }


def test_every_variable_a_function_reads_is_set_for_it(template):
    assert missing_variables(template) == []


def test_a_variable_removed_from_the_template_is_reported_for_each_function_that_reads_it(template, reads):
    changed = copy.deepcopy(template)
    del changed["Globals"]["Function"]["Environment"]["Variables"]["TOPIC_ARN"]

    readers = sorted(f for f, variables in reads.items() if "TOPIC_ARN" in variables)
    assert readers  # the task stream publishes to the topic
    assert missing_variables(changed) == [f"{f}: TOPIC_ARN" for f in readers]


def test_the_template_sets_no_variable_that_no_function_reads(template, reads):
    read_anywhere = set().union(*reads.values())
    unread = {
        f"{logical_id}: {variable}"
        for logical_id in functions(template)
        for variable in environment(template, logical_id)
        if variable not in read_anywhere
    }

    assert unread == set()


def test_the_dev_only_switch_is_read_but_never_set_by_the_template(template, reads):
    for variable in DEV_ONLY:
        assert variable in settings_variables().values()
        assert any(variable in found for found in reads.values())
        assert all(variable not in environment(template, f) for f in functions(template))


def test_lambdas_own_variable_is_read_by_every_function_and_never_set_by_the_template(template, reads):
    for variable in LAMBDA_RUNTIME:
        assert all(variable in found for found in reads.values())
        assert all(variable not in environment(template, f) for f in functions(template))


def test_each_function_reads_what_its_work_needs(template):
    """Anchors for the scan itself: a scan that found nothing would pass the tests above."""
    found = {f: function_reads(code_dir(template, f)) for f in functions(template)}

    assert {"TABLE_NAME", "POWERTOOLS_SERVICE_NAME"} <= found["AuthorizerFunction"].variables
    assert {"EVENT_BUS_NAME", "TOPIC_ARN", "PROVIDER_QUEUE_URL", "DELIVERY_QUEUE_URL"} <= found[
        "TaskStreamFunction"
    ].variables
    assert {"CREATIFY_SECRET_NAME", "CALLBACK_SECRET_ARN", "CREATIFY_READ_TIMEOUT_SECONDS"} <= found[
        "ProviderWorkerFunction"
    ].variables
    assert "SHOP_SECRETS_KEY_ID" in found["ShopWebhookFunction"].variables
    assert {"RECONCILE_AFTER_SECONDS", "PROVIDER_TIMEOUT_SECONDS"} <= found["ReconcilerFunction"].variables
    assert "POWERTOOLS_METRICS_NAMESPACE" in found["ApiFunction"].variables
    # Dependencies are counted per property: the authorizer reads tenants, never a queue or Creatify.
    assert "creatify" not in found["AuthorizerFunction"].deps
    assert not {"PROVIDER_QUEUE_URL", "CREATIFY_SECRET_NAME"} & found["AuthorizerFunction"].variables


def test_every_function_states_its_memory_size(template):
    """Each size is chosen from the function's measured peak memory (bench/memory_size.py)."""
    unstated = [f for f, props in functions(template).items() if "MemorySize" not in props]

    assert unstated == []
