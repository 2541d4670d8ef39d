"""In-memory parts for the publish and connection logic's fast tests: the publication store, a
scripted shop, connections.

`MemoryPublications` keeps dal.publications' conditions (pending or a stale claim to claim;
the claim's number to go on or end; an unclaimed publication only for an end without a claim)
on the tasks of a `MemoryTasks`, so logic sees the same store either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reelay.errors import ConnectionNotFound, ShopAlreadyConnected
from reelay.models.clock import utc_now
from reelay.models.connection import Platform, ShopConnection
from reelay.models.media_states import PublicationState
from reelay.models.records import iso_json
from reelay.models.task import Task
from reelay.ports.shop_publishing import MediaStatus, PublishRequest
from tests.unit.fakes import MemoryTasks

P = PublicationState


class MemoryPublications:
    def __init__(self, tasks: MemoryTasks) -> None:
        self._tasks = tasks
        # The item's `publication.claimed_by`, which the model does not read.
        self._claimed_by: dict[str, str | None] = {}

    def _set(self, task_id: str, **changes: Any) -> Task:
        task = self._tasks.get(task_id)
        assert task is not None and task.publication is not None
        publication = task.publication.replace(**changes)
        return self._tasks._write(task_id, {"publication": publication.as_json()})

    def _under(self, task_id: str, claim: int) -> bool:
        task = self._tasks.get(task_id)
        publication = task.publication if task is not None else None
        return publication is not None and publication.state is P.PUBLISHING and publication.attempts == claim

    def claim(
        self, task_id: str, *, now: datetime, stale_before: datetime, message_id: str | None = None
    ) -> Task | None:
        task = self._tasks.get(task_id)
        publication = task.publication if task is not None else None
        if publication is None:
            return None
        own = message_id is not None and self._claimed_by.get(task_id) == message_id
        taken_over = publication.updated_at < stale_before or own
        if publication.state is not P.PENDING and not (publication.state is P.PUBLISHING and taken_over):
            return None
        self._claimed_by[task_id] = message_id
        return self._set(task_id, state=P.PUBLISHING, updated_at=now, attempts=publication.attempts + 1)

    def hold(self, task_id: str, claim: int, *, now: datetime) -> Task | None:
        return self._set(task_id, updated_at=now) if self._under(task_id, claim) else None

    def record_media(self, task_id: str, claim: int, media_id: str, *, now: datetime) -> bool:
        if not self._under(task_id, claim):
            return False
        self._set(task_id, media_id=media_id, updated_at=now)
        return True

    def finish(
        self,
        task_id: str,
        state: PublicationState,
        *,
        claim: int | None,
        now: datetime,
        reason: str | None = None,
        media_id: str | None = None,
        history: dict[str, Any] | None = None,
    ) -> bool:
        task = self._tasks.get(task_id)
        publication = task.publication if task is not None else None
        if publication is None:
            return False
        if claim is None and publication.state is not P.PENDING:
            return False
        if claim is not None and not self._under(task_id, claim):
            return False
        changes: dict[str, Any] = {"state": state, "updated_at": now}
        if reason is not None:
            changes["reason"] = reason
        if media_id is not None:
            changes["media_id"] = media_id
        self._set(task_id, **changes)
        if history:
            current = self._tasks.get(task_id)
            assert current is not None
            self._tasks._write(task_id, {"history": [*current.history, history]})
        return True


class MemoryConnections:
    """reelay.ports.stores.ConnectionStore in memory, with dal.connections' conditions: a shop
    feeds one connection; a change or removal only of the tenant's own. Every answer is read
    back from what is stored, as the table's would be."""

    def __init__(self, *connections: ShopConnection) -> None:
        self.by_id = {c.id: c for c in connections}

    def create(self, connection: ShopConnection) -> None:
        if self.find_by_shop(connection.platform.value, connection.shop) is not None:
            raise ShopAlreadyConnected(connection.platform.value, connection.shop)
        self.by_id[connection.id] = ShopConnection.from_stored(connection.stored())

    def get(self, connection_id: str) -> ShopConnection | None:
        return self.by_id.get(connection_id)

    def find_by_shop(self, platform: str, shop: str) -> ShopConnection | None:
        return next((c for c in self.by_id.values() if (c.platform.value, c.shop) == (platform, shop)), None)

    def list_by_tenant(self, tenant_id: str) -> list[ShopConnection]:
        # Newest first, as the by-tenant index's key (created_at, id) sorts them backwards.
        mine = [c for c in self.by_id.values() if c.tenant_id == tenant_id]
        return sorted(mine, key=lambda c: (c.created_at, c.id), reverse=True)

    def update(self, tenant_id: str, connection_id: str, changes: dict[str, Any]) -> ShopConnection:
        connection = self.by_id.get(connection_id)
        if connection is None or connection.tenant_id != tenant_id:
            raise ConnectionNotFound(connection_id)
        # SET what has a value, REMOVE what is None, updated_at now: as dal.connections writes it.
        values = {**connection.stored(), **changes, "updated_at": iso_json(utc_now())}
        updated = ShopConnection.from_stored({k: v for k, v in values.items() if v is not None})
        self.by_id[connection_id] = updated
        return updated

    def delete(self, tenant_id: str, connection_id: str) -> bool:
        connection = self.by_id.get(connection_id)
        if connection is None or connection.tenant_id != tenant_id:
            return False
        del self.by_id[connection_id]
        return True


class PlainBox:
    """A SecretBox that seals nothing (unit tests only): `sealed:<context>:<plaintext>`."""

    def seal(self, plaintext: str, context: dict[str, str]) -> str:
        return f"sealed:{context['connection_id']}:{plaintext}"

    def open(self, sealed: str, context: dict[str, str]) -> str:
        prefix = f"sealed:{context['connection_id']}:"
        assert sealed.startswith(prefix)
        return sealed[len(prefix) :]


@dataclass
class ScriptedShop:
    """A ShopPublisher whose answers a test scripts, one per call: a MediaStatus or an exception."""

    find_answers: list[MediaStatus | Exception | None] = field(default_factory=list)
    attach_answers: list[MediaStatus | Exception] = field(default_factory=list)
    check_answers: list[MediaStatus | Exception] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    requests: list[PublishRequest] = field(default_factory=list)

    def _next(self, name: str, answers: list[Any], default: Callable[[], Any]) -> Any:
        self.calls.append(name)
        answer = answers.pop(0) if answers else default()
        if isinstance(answer, Exception):
            raise answer
        return answer

    def find(self, request: PublishRequest) -> MediaStatus | None:
        self.requests.append(request)
        return self._next("find", self.find_answers, lambda: None)

    def attach(self, request: PublishRequest) -> MediaStatus:
        self.requests.append(request)
        return self._next("attach", self.attach_answers, lambda: AssertionError("attach not scripted"))

    def check(self, request: PublishRequest, media_id: str) -> MediaStatus:
        return self._next("check", self.check_answers, lambda: AssertionError("check not scripted"))


class StoredVideo:
    """A VideoSource of a few bytes (what clients.archived_media streams from S3)."""

    def __init__(self, key: str, size: int, content_type: str, filename: str) -> None:
        self.key, self.size, self.content_type, self.filename = key, size, content_type, filename

    def chunks(self) -> Iterator[bytes]:
        yield b"\0" * self.size


def write_back_connection(tenant_id: str, connection_id: str = "con_1") -> ShopConnection:
    box = PlainBox()
    context = {"tenant_id": tenant_id, "connection_id": connection_id}
    return ShopConnection(
        id=connection_id,
        tenant_id=tenant_id,
        platform=Platform.SHOPIFY,
        shop="acme.myshopify.com",
        sealed_secret=box.seal("hook-secret", context),
        sealed_admin_access_token=box.seal("shpat_1", context),
        write_back=True,
    )
