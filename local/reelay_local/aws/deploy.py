"""Deploy template.yaml into moto, so the local stack cannot drift from what AWS gets.

The SAM template is translated with aws-sam-translator (as `sam deploy` does), then
created with moto's CloudFormation. moto lacks a few resource types (alarms, schedules,
Secrets Manager secrets, SNS subscriptions) and ignores the RestApi body; this module
fills in only what the local stack needs of those, and reads function settings and their
resolved environment back from what moto deployed.

Event source mappings are the one part kept out of moto: moto would try to run the
functions itself in Docker when a record arrives, and on failure it still drops the
stream's records and bumps each message's receive count. Their definitions are read from
the translated template (as CloudFormation would create them) and resolved against the
deployed resources, and the local stack's pollers play Lambda's part.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from reelay_local.aws.template import load_template

STACK_NAME = "reelay"
ARTIFACT_BUCKET = "reelay-local-artifacts"
# An empty zip: moto stores code but never runs it; the local stack runs functions/ itself.
_EMPTY_ZIP = b"PK\x05\x06" + b"\0" * 18


class _NoManagedPolicies:
    """aws-sam-translator asks for the account's managed policies; locally there are none."""

    def load(self) -> dict[str, str]:
        return {}


@dataclass
class FunctionSpec:
    logical_id: str
    name: str
    code_uri: str
    handler: str
    timeout: int
    environment: dict[str, str]
    # API routes from the template's Api events: (method, resource path, uses the authorizer).
    routes: list[tuple[str, str, bool]] = field(default_factory=list)
    schedule: str | None = None


@dataclass
class EventSourceSpec:
    function_logical_id: str
    source_arn: str
    batch_size: int
    report_batch_item_failures: bool
    maximum_retry_attempts: int | None = None
    on_failure_arn: str | None = None
    maximum_concurrency: int | None = None
    # FilterCriteria patterns, parsed; a record must match one to reach the function.
    filter_patterns: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class DeployedStack:
    region: str
    outputs: dict[str, str]
    functions: dict[str, FunctionSpec]
    event_sources: list[EventSourceSpec]
    physical_ids: dict[str, str]
    api_stage: str
    authorizer_function: str | None
    secrets: dict[str, str]

    def queue_url(self, logical_id: str) -> str:
        return self.physical_ids[logical_id]

    @property
    def table_name(self) -> str:
        return self.outputs["TableName"]


def for_moto(full: dict[str, Any]) -> dict[str, Any]:
    """The translated template, less what moto cannot or must not deploy."""
    translated = json.loads(json.dumps(full))
    resources = translated["Resources"]
    for logical_id in [k for k, v in resources.items() if v["Type"] in _NOT_DEPLOYED_TO_MOTO]:
        del resources[logical_id]
    for resource in resources.values():
        if resource["Type"] == "AWS::ApiGateway::RestApi":
            resource["Properties"]["Name"] = STACK_NAME  # moto needs a name; it ignores the body
    return translated


def translate_full(template: dict[str, Any], region: str) -> dict[str, Any]:
    """What `sam deploy` hands CloudFormation: the SAM template translated, nothing removed."""
    import os

    from samtranslator.translator.transform import transform

    document = json.loads(json.dumps(template))
    for resource in document["Resources"].values():
        props = resource.get("Properties", {})
        if "CodeUri" in props:
            props["CodeUri"] = f"s3://{ARTIFACT_BUCKET}/code.zip"
        if "ContentUri" in props:
            props["ContentUri"] = f"s3://{ARTIFACT_BUCKET}/code.zip"
    previous = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region  # the translator reads the region from here
    try:
        translated = transform(document, {}, _NoManagedPolicies())
    finally:
        if previous is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = previous
    return translated


_NOT_DEPLOYED_TO_MOTO = {
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Stage",
    "AWS::Lambda::EventSourceMapping",
    # It names the alarms, which moto's CloudFormation does not create; nothing local reads it.
    "AWS::CloudWatch::Dashboard",
}


def _event_source_mappings(translated: dict[str, Any]) -> list[dict[str, Any]]:
    """The mappings CloudFormation would create, straight from the translated template."""
    return [
        v["Properties"]
        for v in translated["Resources"].values()
        if v["Type"] == "AWS::Lambda::EventSourceMapping"
    ]


def _routes(
    template: dict[str, Any], function_id: str, default_authorized: bool
) -> list[tuple[str, str, bool]]:
    routes = []
    events = template["Resources"][function_id].get("Properties", {}).get("Events", {})
    for event in events.values():
        if event.get("Type") != "Api":
            continue
        props = event["Properties"]
        auth = props.get("Auth", {}).get("Authorizer")
        routes.append((props["Method"].upper(), props["Path"], default_authorized and auth != "NONE"))
    return routes


def _schedule(template: dict[str, Any], function_id: str) -> str | None:
    events = template["Resources"][function_id].get("Properties", {}).get("Events", {})
    for event in events.values():
        if event.get("Type") in ("Schedule", "ScheduleV2"):
            return str(event["Properties"]["ScheduleExpression"])
    return None


def deploy(
    clients: Any,
    parameters: dict[str, str] | None = None,
    *,
    region: str = "us-east-1",
    creatify_credentials: tuple[str, str] | None = None,
) -> DeployedStack:
    """Create the stack in moto. `clients(service)` returns a boto3 client pointed at moto."""
    from reelay_local.aws import moto_dynamodb

    # Atomic requests and transactions that write nothing when cancelled, as DynamoDB's are.
    moto_dynamodb.install()
    template = load_template()
    full = translate_full(template, region)
    translated = for_moto(full)

    s3 = clients("s3")
    s3.create_bucket(Bucket=ARTIFACT_BUCKET)
    s3.put_object(Bucket=ARTIFACT_BUCKET, Key="code.zip", Body=_EMPTY_ZIP)

    params = dict(parameters or {})
    cloudformation = clients("cloudformation")
    cloudformation.create_stack(
        StackName=STACK_NAME,
        TemplateBody=json.dumps(translated),
        Parameters=[{"ParameterKey": k, "ParameterValue": str(v)} for k, v in params.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = cloudformation.describe_stacks(StackName=STACK_NAME)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"local stack failed: {stack['StackStatus']} {stack.get('StackStatusReason')}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cloudformation.list_stack_resources(StackName=STACK_NAME)["StackResourceSummaries"]
    }

    # Secrets Manager secrets are not deployed by moto's CloudFormation: make them here.
    secretsmanager = clients("secretsmanager")
    callback_secret = secretsmanager.create_secret(
        Name=f"{STACK_NAME}/callback-signing", SecretString=secrets.token_urlsafe(36)
    )["ARN"]
    creatify_secret_name = params.get("CreatifySecretName", "reelay/creatify")
    if creatify_credentials:
        api_id, api_key = creatify_credentials
        secretsmanager.create_secret(
            Name=creatify_secret_name, SecretString=json.dumps({"api_id": api_id, "api_key": api_key})
        )

    authorized_api = "Auth" in template["Resources"].get("ReelayApi", {}).get("Properties", {})
    lambda_client = clients("lambda")
    functions: dict[str, FunctionSpec] = {}
    authorizer_function = None
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function" or logical_id not in physical:
            continue  # not a function, or one whose Condition left it out of this stack
        deployed = lambda_client.get_function_configuration(FunctionName=physical[logical_id])
        environment = {k: str(v) for k, v in deployed.get("Environment", {}).get("Variables", {}).items()}
        environment["CALLBACK_SECRET_ARN"] = callback_secret
        props = resource["Properties"]
        functions[logical_id] = FunctionSpec(
            logical_id=logical_id,
            name=deployed["FunctionName"],
            code_uri=props["CodeUri"],
            handler=props["Handler"],
            timeout=int(deployed.get("Timeout", 30)),
            environment=environment,
            routes=_routes(template, logical_id, authorized_api),
            schedule=_schedule(template, logical_id),
        )
    api_props = template["Resources"].get("ReelayApi", {}).get("Properties", {})
    for authorizer in api_props.get("Auth", {}).get("Authorizers", {}).values():
        arn = authorizer.get("FunctionArn", {})
        if isinstance(arn, dict) and "Fn::GetAtt" in arn:
            authorizer_function = arn["Fn::GetAtt"][0]

    resolve = _Resolver(clients, physical, params, template)
    sources = []
    for props in _event_source_mappings(full):
        on_failure = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        concurrency = props.get("ScalingConfig", {}).get("MaximumConcurrency")
        sources.append(
            EventSourceSpec(
                function_logical_id=props["FunctionName"]["Ref"],
                source_arn=resolve(props["EventSourceArn"]),
                batch_size=int(props.get("BatchSize") or 10),
                report_batch_item_failures="ReportBatchItemFailures"
                in props.get("FunctionResponseTypes", []),
                maximum_retry_attempts=props.get("MaximumRetryAttempts"),
                on_failure_arn=resolve(on_failure) if on_failure else None,
                maximum_concurrency=int(resolve(concurrency)) if concurrency is not None else None,
                filter_patterns=[
                    json.loads(f["Pattern"]) for f in props.get("FilterCriteria", {}).get("Filters", [])
                ],
            )
        )
    return DeployedStack(
        region=region,
        outputs=outputs,
        functions=functions,
        event_sources=sources,
        physical_ids=physical,
        api_stage=params.get("Stage", "dev"),
        authorizer_function=authorizer_function,
        secrets={"callback": callback_secret, "creatify": creatify_secret_name},
    )


class _Resolver:
    """Resolves the few intrinsics event source mappings use against the deployed stack."""

    def __init__(
        self, clients: Any, physical: dict[str, str], params: dict[str, str], template: dict[str, Any]
    ) -> None:
        self.clients = clients
        self.physical = physical
        self.params = params
        self.template = template

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            name = value["Ref"]
            if name in self.params:
                return self.params[name]
            if name in self.template.get("Parameters", {}):
                return self.template["Parameters"][name].get("Default")
            return self.physical[name]
        if "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            resource_type = self.template["Resources"][logical_id]["Type"]
            if resource_type == "AWS::SQS::Queue" and attribute == "Arn":
                url = self.physical[logical_id]
                attributes = self.clients("sqs").get_queue_attributes(
                    QueueUrl=url, AttributeNames=["QueueArn"]
                )
                return attributes["Attributes"]["QueueArn"]
            if resource_type == "AWS::DynamoDB::Table" and attribute == "StreamArn":
                table = self.clients("dynamodb").describe_table(TableName=self.physical[logical_id])["Table"]
                return table["LatestStreamArn"]
        raise ValueError(f"the local stack cannot resolve {value!r} for an event source mapping")
