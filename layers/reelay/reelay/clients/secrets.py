"""Secrets Manager reads through Powertools parameters, on the process's shared boto3 clients.

Powertools' `get_secret` builds its default SecretsProvider on a boto3 Session of its own: a
second session at a cold start (about 35 ms, and its memory) beside the one `aws_client` uses.
`get_secret` here installs a provider built on `aws_client("secretsmanager")` as Powertools'
default first, so Powertools' cache (`max_age`, and `parameters.clear_caches()` forgetting it)
works as before, and the client has the same retries and timeouts as every other.
"""

from __future__ import annotations

from typing import Any

from reelay.clients.aws import aws_client


def secrets_provider() -> Any:
    """Powertools' default SecretsProvider, built on the shared client when there is none yet."""
    from aws_lambda_powertools.utilities.parameters.base import DEFAULT_PROVIDERS
    from aws_lambda_powertools.utilities.parameters.secrets import SecretsProvider

    provider = DEFAULT_PROVIDERS.get("secrets")
    if provider is None:
        # Two threads may both build one (the local stack's); either serves, and both cache alike.
        provider = DEFAULT_PROVIDERS["secrets"] = SecretsProvider(boto3_client=aws_client("secretsmanager"))
    return provider


def get_secret(name: str, **options: Any) -> Any:
    """Powertools' `get_secret(name, **options)` (transform, max_age, ...) on the shared client."""
    from aws_lambda_powertools.utilities.parameters import get_secret as powertools_get_secret

    secrets_provider()
    return powertools_get_secret(name, **options)
