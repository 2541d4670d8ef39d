"""template.yaml is read as CloudFormation reads it: short tags become long-form intrinsics."""

from __future__ import annotations

import pytest

from reelay_local.aws.template import load_template, parse_template, table_create_kwargs, table_ttl_spec


def test_short_form_tags_become_long_form_intrinsics() -> None:
    doc = parse_template(
        """
        ref: !Ref Bucket
        att: !GetAtt Bus.Name
        att_nested: !GetAtt Db.Endpoint.Address
        att_list: !GetAtt [Queue, Arn]
        sub: !Sub "arn:${AWS::Partition}:s3:::${Bucket}"
        sub_vars: !Sub ["${x}-y", {x: !Ref Stage}]
        choice: !If [IsProd, !Join [",", [a, b]], !Select [0, !Split [",", "a,b"]]]
        cond: !And [!Equals [!Ref Stage, prod], !Not [!Condition IsDev], !Or [!Condition A, !Condition B]]
        misc: [!Base64 text, !Cidr [10.0.0.0/16, 4, 8], !ImportValue shared, !GetAZs "", !FindInMap [M, k, v]]
        """
    )
    assert doc["ref"] == {"Ref": "Bucket"}
    assert doc["att"] == {"Fn::GetAtt": ["Bus", "Name"]}
    assert doc["att_nested"] == {"Fn::GetAtt": ["Db", "Endpoint.Address"]}
    assert doc["att_list"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert doc["sub"] == {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}"}
    assert doc["sub_vars"] == {"Fn::Sub": ["${x}-y", {"x": {"Ref": "Stage"}}]}
    assert doc["choice"] == {
        "Fn::If": [
            "IsProd",
            {"Fn::Join": [",", ["a", "b"]]},
            {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]},
        ]
    }
    assert doc["cond"] == {
        "Fn::And": [
            {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
            {"Fn::Not": [{"Condition": "IsDev"}]},
            {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]},
        ]
    }
    assert doc["misc"] == [
        {"Fn::Base64": "text"},
        {"Fn::Cidr": ["10.0.0.0/16", 4, 8]},
        {"Fn::ImportValue": "shared"},
        {"Fn::GetAZs": ""},
        {"Fn::FindInMap": ["M", "k", "v"]},
    ]


def test_unknown_tags_and_python_objects_are_refused() -> None:
    with pytest.raises(Exception, match="python"):
        parse_template("x: !!python/object/apply:os.system [echo]")
    with pytest.raises(Exception, match="NotATag"):
        parse_template("x: !NotATag y")


def test_the_task_table_becomes_create_table_arguments() -> None:
    kwargs = table_create_kwargs(load_template(), table_name="tasks-test")
    assert kwargs["TableName"] == "tasks-test"
    assert kwargs["BillingMode"] == "PAY_PER_REQUEST"
    assert kwargs["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert {gsi["IndexName"] for gsi in kwargs["GlobalSecondaryIndexes"]} == {"by-tenant", "open-tasks"}
    assert kwargs["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table_ttl_spec(load_template()) == {"AttributeName": "expires_at", "Enabled": True}


def test_a_table_property_that_needs_resolving_is_refused_by_name() -> None:
    template = parse_template(
        """
        Resources:
          T:
            Type: AWS::DynamoDB::Table
            Properties:
              BillingMode: !If [IsProd, PROVISIONED, PAY_PER_REQUEST]
              AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
              KeySchema: [{AttributeName: pk, KeyType: HASH}]
          Q:
            Type: AWS::SQS::Queue
        """
    )
    with pytest.raises(ValueError, match=r"T\.Properties uses Fn::If"):
        table_create_kwargs(template, "T", table_name="t")
    with pytest.raises(ValueError, match="not an AWS::DynamoDB::Table"):
        table_create_kwargs(template, "Q", table_name="t")
    with pytest.raises(KeyError, match="Missing"):
        table_create_kwargs(template, "Missing", table_name="t")
