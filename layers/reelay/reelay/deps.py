"""The dependencies logic works with, built lazily once per cold start.

A handler calls `runtime()`; a test builds `Deps(...)` with moto- or simulator-backed
parts. Nothing is created until a code path asks for it, so a function that only reads
the table never pays for an HTTP client or a secret lookup.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

from reelay.config import Settings, settings

if TYPE_CHECKING:
    from reelay.ports.job_stores import ClaimStore, CreditBudgetStore, JobSlotStore
    from reelay.ports.media import ArchiveStore, MediaCopier, MediaUrls
    from reelay.ports.publications import PublicationStore
    from reelay.ports.services import CreatifyApi, EventPublisher, JobQueue, SecretBox, WebhookSender
    from reelay.ports.shop_publishing import ShopPublisher, VideoSource
    from reelay.ports.stores import (
        ConnectionStore,
        DeliveryLog,
        HistoryLog,
        ProductIntake,
        TaskStore,
        TenantReader,
        TenantStore,
    )
    from reelay.security.callback_tokens import CallbackSigner
    from reelay.security.media_links import MediaLinkSigner


class Deps:
    """Each dependency is typed as the port logic uses and built from its AWS or HTTP client."""

    def __init__(self, config: Settings | None = None, **overrides: Any) -> None:
        self.settings = config or settings()
        # Anything passed here replaces the lazily built default of the same name.
        for name, value in overrides.items():
            if not isinstance(getattr(type(self), name, None), cached_property):
                raise TypeError(f"Deps has no dependency named {name!r}")
            self.__dict__[name] = value

    def replacing(self, **parts: Any) -> Deps:
        """These Deps with some parts replaced; what was built already is shared, not built again.

        A part first built on the copy stays the copy's (a copy made per invocation builds it
        again: only cheap parts, whose secrets and clients are cached per process anyway).
        """
        copy = Deps(self.settings, **parts)
        for name, value in self.__dict__.items():
            copy.__dict__.setdefault(name, value)
        return copy

    @cached_property
    def tasks(self) -> TaskStore:
        from reelay.dal.tasks import TaskRepository

        return TaskRepository(
            self.settings.require("table_name"), retention=timedelta(days=self.settings.retention_days)
        )

    @cached_property
    def claims(self) -> ClaimStore:
        from reelay.dal.claims import ClaimRepository

        return ClaimRepository(self.settings.require("table_name"))

    @cached_property
    def job_slots(self) -> JobSlotStore:
        from reelay.dal.job_slots import JobSlotRepository

        return JobSlotRepository(self.settings.require("table_name"))

    @cached_property
    def budgets(self) -> CreditBudgetStore:
        from reelay.dal.credit_budgets import CreditBudgetRepository

        return CreditBudgetRepository(self.settings.require("table_name"))

    @cached_property
    def deliveries(self) -> DeliveryLog:
        from reelay.dal.deliveries import DeliveryRecords

        return DeliveryRecords(self.settings.require("table_name"))

    @cached_property
    def history(self) -> HistoryLog:
        from reelay.dal.history_writes import TaskHistoryLog

        return TaskHistoryLog(self.settings.require("table_name"))

    @cached_property
    def connections(self) -> ConnectionStore:
        from reelay.dal.connections import ConnectionRepository

        return ConnectionRepository(self.settings.require("table_name"))

    @cached_property
    def product_intake(self) -> ProductIntake:
        from reelay.dal.product_intake import ProductIntakeRepository
        from reelay.dal.tasks import TaskRepository

        tasks = self.tasks
        if not isinstance(tasks, TaskRepository):
            raise TypeError(
                "product_intake writes tasks in its own transaction: give it with the tasks store"
            )
        return ProductIntakeRepository(tasks, self.settings.require("table_name"))

    @cached_property
    def secret_box(self) -> SecretBox:
        from reelay.clients.kms_secret_box import KmsSecretBox

        return KmsSecretBox(self.settings.require("shop_secrets_key_id"))

    @cached_property
    def tenants(self) -> TenantStore:
        from reelay.dal.tenants import TenantRepository

        return TenantRepository(self.settings.require("table_name"))

    @cached_property
    def tenant_profiles(self) -> TenantReader:
        """The tenants read through a cache of a minute: for workers, never for authorization."""
        from reelay.dal.tenant_cache import CachedTenants

        return CachedTenants(self.tenants.profile)

    @cached_property
    def creatify(self) -> CreatifyApi:
        from reelay.clients.creatify import CreatifyClient
        from reelay.clients.creatify_credentials import credentials_from_secret

        return CreatifyClient(
            credentials_from_secret(self.settings.require("creatify_secret_name")),
            base_url=self.settings.creatify_base_url,
            read_timeout=self.settings.creatify_read_timeout_seconds,
        )

    @cached_property
    def provider_queue(self) -> JobQueue:
        from reelay.clients.job_queue import JobQueue

        return JobQueue(self.settings.require("provider_queue_url"))

    @cached_property
    def delivery_queue(self) -> JobQueue:
        from reelay.clients.job_queue import JobQueue

        return JobQueue(self.settings.require("delivery_queue_url"))

    @cached_property
    def media_queue(self) -> JobQueue:
        from reelay.clients.job_queue import JobQueue

        return JobQueue(self.settings.require("media_queue_url"))

    @cached_property
    def archive_records(self) -> ArchiveStore:
        from reelay.dal.archive_records import ArchiveRecords

        return ArchiveRecords(self.settings.require("table_name"))

    @cached_property
    def media_copier(self) -> MediaCopier:
        from reelay.clients.media_copy import StreamedMediaCopier

        return StreamedMediaCopier(self.settings.require("media_bucket"))

    @cached_property
    def media_urls(self) -> MediaUrls:
        from reelay.clients.media_bucket import PresignedMediaUrls

        return PresignedMediaUrls(self.settings.require("media_bucket"))

    @cached_property
    def media_links(self) -> MediaLinkSigner:
        from reelay.clients.secrets import get_secret
        from reelay.security.media_links import MediaLinkSigner

        # The callback signing secret, under the media link's own label (see security/media_links.py).
        secret = get_secret(self.settings.require("callback_secret_arn"), max_age=3600)
        return MediaLinkSigner(secret)

    @cached_property
    def publisher(self) -> EventPublisher:
        from reelay.clients.event_publisher import EventPublisher

        return EventPublisher(self.settings.require("event_bus_name"), self.settings.require("topic_arn"))

    @cached_property
    def callback_signer(self) -> CallbackSigner:
        from reelay.clients.secrets import get_secret
        from reelay.security.callback_tokens import CallbackSigner

        secret = get_secret(self.settings.require("callback_secret_arn"), max_age=3600)
        return CallbackSigner(secret)

    @cached_property
    def publications(self) -> PublicationStore:
        from reelay.dal.publications import PublicationRepository

        return PublicationRepository(self.settings.require("table_name"))

    @cached_property
    def publish_queue(self) -> JobQueue:
        from reelay.clients.job_queue import JobQueue

        return JobQueue(self.settings.require("publish_queue_url"))

    @cached_property
    def shop_publishers(self) -> Callable[[str], ShopPublisher]:
        """The admin API publisher of a platform ("shopify", "woocommerce")."""
        from reelay.clients.shop_publishers import ShopPublishers

        return ShopPublishers(
            base_url_override=self.settings.shop_admin_base_url or None,
            allow_loopback=self.settings.allow_loopback_webhooks,
        )

    @cached_property
    def archived_videos(self) -> Callable[[str, int, str, str], VideoSource]:
        """An archived video by (object key, size, content type, filename), read as a stream."""
        from functools import partial

        from reelay.clients.archived_media import ArchivedVideo

        return partial(ArchivedVideo, self.settings.require("media_bucket"))

    @cached_property
    def webhooks(self) -> WebhookSender:
        from reelay.clients.webhook_sender import HttpWebhookSender

        return HttpWebhookSender()


@cache
def runtime() -> Deps:
    return Deps()
