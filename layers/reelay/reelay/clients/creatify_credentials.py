"""Creatify API credentials and where they come from.

The client takes either fixed credentials or a zero-argument provider that it calls on every
request; the provider below reads Secrets Manager through `reelay.clients.secrets`, whose
cache (``max_age``) keeps that cheap while still picking up a rotated key within ``max_age``
seconds. botocore is imported on first use, not at import: a cold start that never talks to
Creatify does not pay for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reelay.ports.creatify_errors import CreatifyConfigurationError

DEFAULT_MAX_AGE = 300

CredentialsProvider = Callable[[], "CreatifyCredentials"]


@dataclass(frozen=True, slots=True)
class CreatifyCredentials:
    """The X-API-ID / X-API-KEY pair. The key never shows in repr or str."""

    api_id: str
    api_key: str = field(repr=False)

    def __post_init__(self) -> None:
        for name in ("api_id", "api_key"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise CreatifyConfigurationError(f"Creatify credentials need a non-empty {name}")

    def __repr__(self) -> str:
        return f"CreatifyCredentials(api_id={self.api_id!r}, api_key='***')"

    __str__ = __repr__

    def headers(self) -> dict[str, str]:
        return {"X-API-ID": self.api_id, "X-API-KEY": self.api_key}


@dataclass(frozen=True, slots=True)
class SecretsManagerCredentials:
    """Provider: a Secrets Manager secret whose SecretString is {"api_id": ..., "api_key": ...}."""

    secret_name: str
    max_age: int = DEFAULT_MAX_AGE

    def __call__(self) -> CreatifyCredentials:
        from reelay.clients.secrets import SecretNotJson, SecretUnavailable, get_secret

        try:
            value = get_secret(self.secret_name, transform="json", max_age=self.max_age)
        except SecretNotJson:
            # `from None`: the JSON error's context holds the raw secret text.
            raise CreatifyConfigurationError(
                f"Creatify credentials secret {self.secret_name!r} is not a JSON object "
                '{"api_id": ..., "api_key": ...}'
            ) from None
        except SecretUnavailable as exc:
            raise CreatifyConfigurationError(
                f"cannot read Creatify credentials secret {self.secret_name!r}: {exc}"
            ) from exc
        return _from_mapping(value, f"secret {self.secret_name!r}")


def credentials_from_secret(secret_name: str, max_age: int = DEFAULT_MAX_AGE) -> CredentialsProvider:
    """A provider reading the JSON secret `secret_name`, cached for `max_age` seconds."""
    return SecretsManagerCredentials(secret_name, max_age)


def _from_mapping(value: Any, where: str) -> CreatifyCredentials:
    if not isinstance(value, Mapping):
        raise CreatifyConfigurationError(
            f"Creatify credentials in {where} must be a JSON object with api_id and api_key"
        )
    missing = [
        name
        for name in ("api_id", "api_key")
        if not isinstance(value.get(name), str) or not value[name].strip()
    ]
    if missing:
        raise CreatifyConfigurationError(
            f"Creatify credentials in {where} lack a non-empty string for: {', '.join(missing)}"
        )
    return CreatifyCredentials(api_id=value["api_id"].strip(), api_key=value["api_key"].strip())
