"""Read template.yaml as data, so local tooling and tests build resources from its real definitions.

CloudFormation's short-form tags (`!Ref`, `!GetAtt`, `!Sub`, ...) are not YAML that a plain
loader accepts; here each becomes the long form CloudFormation itself uses
(`{"Ref": ...}`, `{"Fn::GetAtt": [...]}`), which is also what aws-sam-translator and moto's
CloudFormation take.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from reelay_local.aws.checkout import checkout_root

TEMPLATE_PATH = checkout_root() / "template.yaml"

# Short tag -> long-form key. `!Ref` and `!Condition` are not `Fn::` functions.
_INTRINSICS: dict[str, str] = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "And",
            "Base64",
            "Cidr",
            "Equals",
            "FindInMap",
            "GetAtt",
            "GetAZs",
            "If",
            "ImportValue",
            "Join",
            "Not",
            "Or",
            "Select",
            "Split",
            "Sub",
            "Transform",
            "Length",
            "ToJsonString",
        )
    },
}


class _TemplateLoader(yaml.SafeLoader):
    """SafeLoader plus CloudFormation's intrinsic-function tags."""


def _construct_intrinsic(long_name: str) -> Any:
    def construct(loader: _TemplateLoader, node: yaml.Node) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if long_name == "Fn::GetAtt":
                # "Resource.Attribute" (the attribute itself may contain dots, e.g. Endpoint.Address).
                resource, _, attribute = str(value).partition(".")
                value = [resource, attribute]
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {long_name: value}

    return construct


for _short, _long in _INTRINSICS.items():
    _TemplateLoader.add_constructor(f"!{_short}", _construct_intrinsic(_long))


def parse_template(text: str) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template given as YAML (or JSON, which is YAML) text."""
    document = yaml.load(text, Loader=_TemplateLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(document, dict):
        raise ValueError("a template must be a mapping at the top level")
    return document


def load_template(path: Path | str | None = None) -> dict[str, Any]:
    """The repository's template.yaml (or the template at `path`) as plain data."""
    return parse_template(Path(path or TEMPLATE_PATH).read_text(encoding="utf-8"))


def _table_properties(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    resource = template.get("Resources", {}).get(logical_id)
    if resource is None:
        raise KeyError(f"no resource {logical_id!r} in the template")
    if resource.get("Type") != "AWS::DynamoDB::Table":
        raise ValueError(f"{logical_id} is a {resource.get('Type')}, not an AWS::DynamoDB::Table")
    return resource.get("Properties", {})


def _literal(value: Any, where: str) -> Any:
    """Refuse intrinsics where a create_table call needs a literal (they cannot be resolved here)."""
    if isinstance(value, dict) and len(value) == 1:
        (key,) = value
        if key == "Ref" or key.startswith("Fn::"):
            raise ValueError(f"{where} uses {key}; only literal values can become create_table arguments")
    return value


def _throughput(spec: dict[str, Any], where: str) -> dict[str, int]:
    return {
        "ReadCapacityUnits": int(_literal(spec["ReadCapacityUnits"], where)),
        "WriteCapacityUnits": int(_literal(spec["WriteCapacityUnits"], where)),
    }


def _index(spec: dict[str, Any], where: str) -> dict[str, Any]:
    index: dict[str, Any] = {
        "IndexName": _literal(spec["IndexName"], where),
        "KeySchema": [dict(key) for key in spec["KeySchema"]],
        "Projection": dict(spec["Projection"]),
    }
    if "ProvisionedThroughput" in spec:
        index["ProvisionedThroughput"] = _throughput(spec["ProvisionedThroughput"], where)
    return index


def table_create_kwargs(
    template: dict[str, Any], logical_id: str = "TasksTable", *, table_name: str
) -> dict[str, Any]:
    """boto3 `create_table` arguments for the template's table `logical_id`, under `table_name`.

    Covers keys, indexes, billing, stream and encryption. Time to live is a separate call in
    the DynamoDB API: see `table_ttl_spec`.
    """
    props = _table_properties(template, logical_id)
    where = f"{logical_id}.Properties"
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": [dict(_literal(a, where)) for a in props["AttributeDefinitions"]],
        "KeySchema": [dict(_literal(k, where)) for k in props["KeySchema"]],
        # CloudFormation's default when BillingMode is absent.
        "BillingMode": _literal(props.get("BillingMode", "PROVISIONED"), where),
    }
    if "ProvisionedThroughput" in props:
        kwargs["ProvisionedThroughput"] = _throughput(props["ProvisionedThroughput"], where)
    if props.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = [
            _index(gsi, f"{where}.GlobalSecondaryIndexes") for gsi in props["GlobalSecondaryIndexes"]
        ]
    if props.get("LocalSecondaryIndexes"):
        kwargs["LocalSecondaryIndexes"] = [
            _index(lsi, f"{where}.LocalSecondaryIndexes") for lsi in props["LocalSecondaryIndexes"]
        ]
    stream = props.get("StreamSpecification")
    if stream:
        # CloudFormation implies "enabled" by the presence of the spec; the API wants it said.
        kwargs["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": _literal(stream["StreamViewType"], where),
        }
    sse = props.get("SSESpecification")
    if sse and "SSEEnabled" in sse:
        kwargs["SSESpecification"] = {"Enabled": bool(_literal(sse["SSEEnabled"], where))}
        if "SSEType" in sse:
            kwargs["SSESpecification"]["SSEType"] = _literal(sse["SSEType"], where)
    return kwargs


def table_ttl_spec(template: dict[str, Any], logical_id: str = "TasksTable") -> dict[str, Any] | None:
    """The `TimeToLiveSpecification` for boto3 `update_time_to_live`, or None when the table has none."""
    spec = _table_properties(template, logical_id).get("TimeToLiveSpecification")
    if not spec:
        return None
    where = f"{logical_id}.Properties.TimeToLiveSpecification"
    return {
        "AttributeName": _literal(spec["AttributeName"], where),
        "Enabled": bool(_literal(spec.get("Enabled", True), where)),
    }
