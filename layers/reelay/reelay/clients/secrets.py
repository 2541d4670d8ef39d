"""Secrets Manager reads on the process's shared client, each value cached for a while.

A function reads two secrets at most (Creatify's credentials, the callback signing key), by
name, as a string or a JSON object. Powertools' parameters package did this before, but
importing it imports boto3 and every provider it has (SSM, AppConfig, DynamoDB), about 20 ms of
a cold start for one GetSecretValue. The cache here keeps what Powertools' did: a value is read
again once it is older than `max_age` seconds, so a rotated secret is picked up within that
time, and `clear_secret_cache()` forgets everything (a test's or the local stack's cold start).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from reelay.clients.aws import aws_client

DEFAULT_MAX_AGE = 300


class SecretUnavailable(RuntimeError):
    """Secrets Manager did not give the secret (missing, denied, unreachable); the cause is chained."""


class SecretNotJson(ValueError):
    """The secret's text is not JSON. It carries no part of the value, and nothing is chained."""


# name -> (monotonic time read, SecretString or SecretBinary). The local stack reads from
# several threads.
_cache: dict[str, tuple[float, str | bytes]] = {}
_lock = threading.Lock()


def secrets_client() -> Any:
    """The shared Secrets Manager client (what a first read builds)."""
    return aws_client("secretsmanager")


def get_secret(name: str, *, max_age: float = DEFAULT_MAX_AGE, transform: str | None = None) -> Any:
    """The secret's SecretString, or with `transform="json"` the JSON it holds, cached `max_age` s."""
    if transform not in (None, "json"):
        raise ValueError(f"unknown transform {transform!r}")
    with _lock:
        cached = _cache.get(name)
    now = time.monotonic()
    if cached is not None and now - cached[0] < max_age:
        text = cached[1]
    else:
        try:
            answer = secrets_client().get_secret_value(SecretId=name)
            text = answer["SecretString"] if "SecretString" in answer else answer["SecretBinary"]
        except Exception as exc:
            raise SecretUnavailable(f"cannot read secret {name!r}: {exc}") from exc
        with _lock:
            _cache[name] = (now, text)
    if transform is None:
        return text
    try:
        return json.loads(text)
    except ValueError:
        raise SecretNotJson(f"secret {name!r} is not JSON") from None


def clear_secret_cache() -> None:
    with _lock:
        _cache.clear()
