"""boto3 clients, created lazily and once per process.

boto3 costs about a quarter of a second to import, so nothing imports it until a code
path needs AWS. The endpoint comes from the standard AWS_ENDPOINT_URL variables, which
is how the embedded stack points everything at moto.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

# A client is safe to share between threads, but making one from boto3's default session is
# not: the local stack runs several invocations at once in one process (Lambda never does).
_creating = threading.Lock()


@cache
def aws_client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    with _creating:
        return boto3.client(service, config=Config(retries={"mode": "standard", "max_attempts": 4}))
