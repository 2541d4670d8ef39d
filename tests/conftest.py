"""Shared fixtures: real parts (moto, the Creatify simulator over HTTP), never mocks of our code."""

from __future__ import annotations

import os

# Set before boto3 is imported anywhere: fake credentials so nothing can reach real AWS,
# and the endpoint mode moto's in-process DynamoDB streams need.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_SESSION_TOKEN"] = "testing"
os.environ["AWS_ACCOUNT_ID_ENDPOINT_MODE"] = "disabled"
os.environ.pop("AWS_PROFILE", None)

# The suite-wide check that no secret appears in any output (tests/secret_scan.py).
pytest_plugins = ["tests.secret_scan"]
