"""Creatify credentials come from Secrets Manager or SSM through a cache, and the key
never shows in a repr or an error."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from reelay.clients.creatify_credentials import (
    CreatifyCredentials,
    credentials_from_secret,
)
from reelay.clients.secrets import clear_secret_cache
from reelay.ports.creatify_errors import CreatifyConfigurationError

SECRET_NAME = "reelay/creatify"
API_KEY = "ck_live_4f1d9c0a7e2b"


@pytest.fixture
def aws() -> Iterator[None]:
    # The secret cache is module-level: start every test from cold.
    clear_secret_cache()
    with mock_aws():
        yield
    clear_secret_cache()


@pytest.fixture
def secrets(aws: None) -> object:
    return boto3.client("secretsmanager", region_name="us-east-1")


def test_credentials_repr_and_str_mask_the_key() -> None:
    credentials = CreatifyCredentials(api_id="acct-1", api_key=API_KEY)
    assert "acct-1" in repr(credentials)
    assert API_KEY not in repr(credentials)
    assert API_KEY not in str(credentials)
    assert API_KEY not in f"{credentials}"
    assert credentials.headers() == {"X-API-ID": "acct-1", "X-API-KEY": API_KEY}


def test_credentials_refuse_an_empty_key_without_echoing_anything() -> None:
    with pytest.raises(CreatifyConfigurationError, match="api_key"):
        CreatifyCredentials(api_id="acct-1", api_key="  ")


def test_secret_loader_reads_the_json_secret(secrets) -> None:
    secrets.create_secret(Name=SECRET_NAME, SecretString=json.dumps({"api_id": "acct-1", "api_key": API_KEY}))
    credentials = credentials_from_secret(SECRET_NAME)()
    assert credentials == CreatifyCredentials(api_id="acct-1", api_key=API_KEY)


def test_secret_loader_serves_the_cached_value_within_max_age(secrets) -> None:
    secrets.create_secret(Name=SECRET_NAME, SecretString=json.dumps({"api_id": "acct-1", "api_key": API_KEY}))
    provider = credentials_from_secret(SECRET_NAME, max_age=300)
    assert provider().api_key == API_KEY
    secrets.put_secret_value(
        SecretId=SECRET_NAME, SecretString=json.dumps({"api_id": "acct-1", "api_key": "new"})
    )
    assert provider().api_key == API_KEY


def test_secret_loader_picks_up_a_rotated_key_once_the_cache_expires(secrets) -> None:
    secrets.create_secret(Name=SECRET_NAME, SecretString=json.dumps({"api_id": "acct-1", "api_key": API_KEY}))
    provider = credentials_from_secret(SECRET_NAME, max_age=0)
    assert provider().api_key == API_KEY
    secrets.put_secret_value(
        SecretId=SECRET_NAME, SecretString=json.dumps({"api_id": "acct-1", "api_key": "new"})
    )
    assert provider().api_key == "new"


def test_missing_secret_is_a_configuration_error_naming_the_secret(secrets) -> None:
    with pytest.raises(CreatifyConfigurationError) as caught:
        credentials_from_secret("reelay/absent")()
    assert "reelay/absent" in str(caught.value)


def test_a_secret_that_is_not_json_is_named_but_its_value_is_not_shown(secrets) -> None:
    secrets.create_secret(Name=SECRET_NAME, SecretString=API_KEY)
    with pytest.raises(CreatifyConfigurationError) as caught:
        credentials_from_secret(SECRET_NAME)()
    assert SECRET_NAME in str(caught.value)
    assert API_KEY not in str(caught.value)
    assert API_KEY not in repr(caught.value.args)
    # Nothing in the chain a traceback would print carries the value either.
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_a_secret_without_api_key_says_which_field_is_missing(secrets) -> None:
    secrets.create_secret(Name=SECRET_NAME, SecretString=json.dumps({"api_id": "acct-1", "key": API_KEY}))
    with pytest.raises(CreatifyConfigurationError, match="api_key") as caught:
        credentials_from_secret(SECRET_NAME)()
    assert SECRET_NAME in str(caught.value)
    assert API_KEY not in str(caught.value)


def test_importing_the_client_loads_neither_boto3_nor_powertools() -> None:
    code = (
        "import sys, reelay.clients.creatify, reelay.clients.creatify_credentials;"
        "print(sorted(m for m in ('boto3', 'botocore', 'aws_lambda_powertools') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    assert result.stdout.strip() == "[]"
