"""Settings from the environment, validated once per cold start.

Every function reads the same variables (the template's Globals); a function only touches
the settings its path needs, so a missing optional value fails where it is used, with
the variable's name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


class ConfigError(RuntimeError):
    """A required setting is missing or malformed; names the environment variable."""


def _bool(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    table_name: str
    provider_queue_url: str
    delivery_queue_url: str
    event_bus_name: str
    topic_arn: str
    creatify_base_url: str
    creatify_secret_name: str
    callback_secret_arn: str
    # The KMS key that seals shop connections' webhook secrets in the table.
    shop_secrets_key_id: str
    public_base_url: str
    reconcile_after_seconds: int
    # A task with no status change for this long has been lost by Creatify or by us: it fails,
    # so its owner hears about it instead of waiting forever.
    provider_timeout_seconds: int
    retention_days: int
    # How long to wait for Creatify's answer once a request went out. A POST that outlives it
    # has an unknown outcome (it may have spent credits) and is looked up, never repeated.
    creatify_read_timeout_seconds: float
    # Dev-only switch, set by the embedded stack; never set in the template.
    allow_loopback_webhooks: bool
    # How long after a paid POST went unanswered it may still take effect at Creatify (a slow
    # backend finishing after our client or a gateway gave up). Only a look-up that finds
    # nothing waits for it; see reelay.logic.provider_jobs.
    unknown_outcome_grace_seconds: int = 180
    # How long a queued provider job may stay due without a run before the reconciler counts it
    # lost and queues another (see reelay.logic.reconcile for why this long).
    provider_job_lost_after_seconds: int = 900
    # Credits a tenant may reserve per UTC day unless its own profile says otherwise; 0 is unlimited.
    daily_credit_budget: int = 0
    # The private bucket holding Reelay's copies of Creatify's files, and the queue of copies to make.
    media_bucket: str = ""
    media_queue_url: str = ""
    # Receives of an archive job before SQS moves it to the dead-letter queue (the media queue's
    # maxReceiveCount): the last one settles the asset failed instead of raising. 0: not known.
    media_max_receive_count: int = 0
    # Publishing videos to shops (write-back): its queue, and its maxReceiveCount (the last
    # receive ends the publication failed instead of raising; 0: not known).
    publish_queue_url: str = ""
    publish_max_receive_count: int = 0
    # Dev-only, set by the local emulator (never in the template): send every shop admin call here
    # instead of to the connection's shop, so a connection naming acme.myshopify.com reaches the
    # local shop.
    shop_admin_base_url: str = ""

    def require(self, name: str) -> str:
        value = getattr(self, name)
        if not value:
            raise ConfigError(f"environment variable {name.upper()} is not set")
        return value

    @property
    def callbacks_disabled(self) -> bool:
        return self.public_base_url.strip().lower() == "none"


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"environment variable {name} must be a number, got {raw!r}") from exc
    if not value > 0:
        raise ConfigError(f"environment variable {name} must be greater than 0, got {raw!r}")
    return value


def _int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"environment variable {name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise ConfigError(f"environment variable {name} must be at least {minimum}, got {raw!r}")
    return value


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ.get
    return Settings(
        table_name=env("TABLE_NAME", ""),
        provider_queue_url=env("PROVIDER_QUEUE_URL", ""),
        delivery_queue_url=env("DELIVERY_QUEUE_URL", ""),
        event_bus_name=env("EVENT_BUS_NAME", ""),
        topic_arn=env("TOPIC_ARN", ""),
        creatify_base_url=env("CREATIFY_BASE_URL", "https://api.creatify.ai"),
        creatify_secret_name=env("CREATIFY_SECRET_NAME", ""),
        callback_secret_arn=env("CALLBACK_SECRET_ARN", ""),
        shop_secrets_key_id=env("SHOP_SECRETS_KEY_ID", ""),
        public_base_url=env("PUBLIC_BASE_URL", ""),
        reconcile_after_seconds=_int("RECONCILE_AFTER_SECONDS", 120),
        provider_timeout_seconds=_int("PROVIDER_TIMEOUT_SECONDS", 3600, minimum=60),
        # At least a day: with 0, TTL would remove a task as soon as it finished.
        retention_days=_int("RETENTION_DAYS", 90, minimum=1),
        creatify_read_timeout_seconds=_float("CREATIFY_READ_TIMEOUT_SECONDS", 20.0),
        allow_loopback_webhooks=_bool(env("REELAY_ALLOW_LOOPBACK_WEBHOOKS")),
        unknown_outcome_grace_seconds=_int("UNKNOWN_OUTCOME_GRACE_SECONDS", 180, minimum=1),
        provider_job_lost_after_seconds=_int("PROVIDER_JOB_LOST_AFTER_SECONDS", 900, minimum=1),
        daily_credit_budget=_int("DAILY_CREDIT_BUDGET", 0),
        media_bucket=env("MEDIA_BUCKET", ""),
        media_queue_url=env("MEDIA_QUEUE_URL", ""),
        media_max_receive_count=_int("MEDIA_MAX_RECEIVE_COUNT", 0),
        publish_queue_url=env("PUBLISH_QUEUE_URL", ""),
        publish_max_receive_count=_int("PUBLISH_MAX_RECEIVE_COUNT", 0),
        shop_admin_base_url=env("REELAY_SHOP_ADMIN_BASE_URL", ""),
    )
