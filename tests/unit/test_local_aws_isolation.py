"""The local stack points every AWS client of its process at its own moto server, or refuses to start."""

from __future__ import annotations

import os

import boto3
import pytest

from reelay_local.aws.moto_server import SERVICES, UnsafeEndpoint, check_isolated, isolate_from_real_aws

LOCAL = "http://127.0.0.1:45678"


@pytest.fixture(autouse=True)
def private_environment(monkeypatch):
    # botocore reads `os.environ` at call time: a copy keeps these tests from leaking settings.
    monkeypatch.setattr(os, "environ", os.environ.copy())


def test_every_default_client_goes_to_the_local_endpoint_with_fake_credentials():
    os.environ.update(
        {
            "AWS_PROFILE": "production",
            "AWS_ACCESS_KEY_ID": "AKIAREALLOOKINGKEY00",
            "AWS_SECRET_ACCESS_KEY": "real-looking-secret",
            "AWS_SESSION_TOKEN": "real-looking-token",
            "AWS_ENDPOINT_URL_DYNAMODB": "https://dynamodb.eu-west-1.amazonaws.com",
        }
    )
    isolate_from_real_aws(LOCAL)

    assert "AWS_PROFILE" not in os.environ
    assert "AWS_SESSION_TOKEN" not in os.environ
    assert "AWS_ENDPOINT_URL_DYNAMODB" not in os.environ
    session = boto3.session.Session()
    assert session.get_credentials().access_key == "local"
    assert {session.client(s).meta.endpoint_url for s in SERVICES} == {LOCAL}


def test_a_non_loopback_endpoint_is_refused():
    with pytest.raises(UnsafeEndpoint):
        isolate_from_real_aws("https://dynamodb.us-east-1.amazonaws.com")


def test_a_service_endpoint_that_escapes_the_local_server_is_caught():
    isolate_from_real_aws(LOCAL)
    os.environ["AWS_ENDPOINT_URL_SQS"] = "https://sqs.us-east-1.amazonaws.com"
    with pytest.raises(UnsafeEndpoint, match="sqs"):
        check_isolated(LOCAL)
