"""template.yaml passes cfn-lint, and what SAM makes of it grants no wildcard permissions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file

from reelay_local.aws.deploy import translate_full
from reelay_local.aws.template import TEMPLATE_PATH, load_template


def test_cfn_lint_finds_nothing_in_the_template():
    matches = lint_file(TEMPLATE_PATH, config=ManualArgs(regions=["us-east-1", "eu-west-1"]))

    assert [str(match) for match in matches] == []


@pytest.fixture(scope="module")
def translated() -> dict[str, Any]:
    return translate_full(load_template(), "us-east-1")


def statements(translated: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every IAM statement the deployed stack would carry: inline role policies and policy resources."""
    for logical_id, resource in translated["Resources"].items():
        props = resource.get("Properties", {})
        documents = []
        if resource["Type"] == "AWS::IAM::Role":
            documents = [policy["PolicyDocument"] for policy in props.get("Policies", [])]
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents = [props["PolicyDocument"]]
        for document in documents:
            found = document["Statement"]
            for statement in found if isinstance(found, list) else [found]:
                yield logical_id, statement


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_every_function_role_has_inline_statements_to_check(translated):
    roles = {logical_id for logical_id, _ in statements(translated)}

    for function in (
        "Api",
        "Authorizer",
        "ProviderWebhook",
        "TaskStream",
        "ProviderWorker",
        "DeliveryWorker",
    ):
        assert f"{function}FunctionRole" in roles
    assert "ReconcilerFunctionRole" in roles


def test_no_statement_allows_every_action(translated):
    wide = [
        (logical_id, statement)
        for logical_id, statement in statements(translated)
        if statement.get("Effect") == "Allow" and "*" in as_list(statement.get("Action", []))
    ]

    assert wide == []


def test_no_statement_allows_a_whole_service_on_every_resource(translated):
    wide = []
    for logical_id, statement in statements(translated):
        if statement.get("Effect") != "Allow" or "*" not in as_list(statement.get("Resource", [])):
            continue
        service_wide = [
            a for a in as_list(statement.get("Action", [])) if isinstance(a, str) and a.endswith(":*")
        ]
        if service_wide:
            wide.append((logical_id, service_wide))

    assert wide == []


def test_no_statement_uses_not_action_or_not_resource(translated):
    inverted = [
        (logical_id, key)
        for logical_id, statement in statements(translated)
        for key in ("NotAction", "NotResource")
        if key in statement
    ]

    assert inverted == []


def test_roles_attach_only_aws_managed_execution_and_tracing_policies(translated):
    allowed = {
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
    }
    attached = {
        arn
        for resource in translated["Resources"].values()
        if resource["Type"] == "AWS::IAM::Role"
        for arn in resource["Properties"].get("ManagedPolicyArns", [])
    }

    assert attached <= allowed, attached - allowed


def test_only_the_workers_the_task_stream_and_the_reconciler_may_send_to_queues(translated):
    senders = {
        logical_id
        for logical_id, statement in statements(translated)
        if any(str(action).startswith("sqs:SendMessage") for action in as_list(statement.get("Action", [])))
    }

    assert senders == {
        "TaskStreamFunctionRole",
        "ProviderWorkerFunctionRole",
        "DeliveryWorkerFunctionRole",
        "PublishWorkerFunctionRole",  # the next step of its own check chain, delayed
        "MediaWorkerFunctionRole",  # its own delayed retries of a failed copy
        "ReconcilerFunctionRole",  # puts lost provider jobs back
        "ApiFunctionRole",  # a replayed webhook delivery, and nothing else (below)
    }


def test_the_api_may_send_to_the_delivery_queue_only(translated):
    resources = [
        resource
        for role, statement in statements(translated)
        if role == "ApiFunctionRole"
        and any(str(action).startswith("sqs:") for action in as_list(statement.get("Action", [])))
        for resource in as_list(statement["Resource"])
    ]

    assert resources
    assert all("DeliveryQueue" in str(resource) for resource in resources), resources


def test_api_keys_are_checked_on_every_request_so_a_revoked_key_stops_at_once():
    authorizer = load_template()["Resources"]["ReelayApi"]["Properties"]["Auth"]["Authorizers"]["TenantKey"]

    assert authorizer["Identity"]["ReauthorizeEvery"] == 0


def test_no_function_may_scan_the_table_that_holds_tenants_webhook_secrets(translated):
    table_actions = {
        str(action)
        for _, statement in statements(translated)
        for action in as_list(statement.get("Action", []))
        if str(action).startswith("dynamodb:")
    }

    assert table_actions
    assert not {"dynamodb:Scan", "dynamodb:DeleteTable"} & table_actions


def test_a_batch_read_of_the_table_reaches_task_and_connection_items_only(translated):
    """Listings read by key what a keys-only index named; never a tenant profile (its secrets)."""
    batch = [
        (role, statement)
        for role, statement in statements(translated)
        if "dynamodb:BatchGetItem" in {str(action) for action in as_list(statement.get("Action", []))}
    ]

    assert {role for role, _ in batch} == {"ApiFunctionRole", "ReconcilerFunctionRole"}
    for role, statement in batch:
        assert as_list(statement.get("Action")) == ["dynamodb:BatchGetItem"], role
        leading = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        assert leading and all(key in ("TASK#*", "CONN#*") for key in as_list(leading)), role


def test_the_authorizer_can_only_read_single_items(translated):
    actions = {
        str(action)
        for role, statement in statements(translated)
        if role == "AuthorizerFunctionRole"
        for action in as_list(statement.get("Action", []))
    }

    assert {a for a in actions if a.startswith("dynamodb:")} == {"dynamodb:GetItem"}
