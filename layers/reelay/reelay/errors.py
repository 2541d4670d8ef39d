"""What can go wrong for a caller of Reelay's logic, one class per meaning.

Repositories raise some of these (a write that needs a task found none), logic raises the
rest (a request that does not fit the task's state); the API maps each to one answer in
`reelay.http.errors`, so a route never translates errors itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reelay.models.status import TaskStatus


class TaskNotFound(LookupError):
    """No such task, or not one of the caller's: another tenant's task is as good as absent."""

    def __init__(self, task_id: str) -> None:
        super().__init__(f"task {task_id} not found")
        self.task_id = task_id


class InvalidCursor(ValueError):
    """A pagination cursor that was not issued for this tenant's listing."""


class WrongStatus(Exception):
    """The task is not at the status the request needs; carries the status it is at."""

    def __init__(self, status: TaskStatus, needed: TaskStatus, action: str, why: str | None = None) -> None:
        # e.g. "a video can only be generated from status image_generated; the task is failed"
        message = f"{action} from status {needed.value}; the task is {status.value}"
        super().__init__(f"{message} ({why})" if why else message)
        self.status = status
        self.needed = needed


class UnsafeRequestUrl(ValueError):
    """A URL in a request leads somewhere Reelay never sends to or fetches from."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before with a different body."""

    def __init__(self, task_id: str) -> None:
        super().__init__("this Idempotency-Key was already used with a different request body")
        self.task_id = task_id


class MediaLinkInvalid(PermissionError):
    """A media link whose signature does not match its task and asset (or has none)."""


class MediaNotArchived(LookupError):
    """A media link with a good signature, for an asset with no archived copy (yet, or any more)."""


class ProviderUnavailable(RuntimeError):
    """Creatify could not answer a read the caller asked for (avatars, credits)."""


class TenantConflict(Exception):
    """A tenant could not be created because something it needs is taken."""


class TenantExists(TenantConflict):
    def __init__(self, tenant_id: str) -> None:
        super().__init__(f"tenant {tenant_id} already exists")
        self.tenant_id = tenant_id


class TenantNotFound(LookupError):
    def __init__(self, tenant_id: str) -> None:
        super().__init__(f"tenant {tenant_id} not found")
        self.tenant_id = tenant_id


class ApiKeyInUse(TenantConflict):
    def __init__(self) -> None:
        super().__init__("this API key is already registered")


class TenantChangedMeanwhile(TenantConflict):
    """Another rotation, roll or revocation changed the tenant between its read and this write."""

    def __init__(self, tenant_id: str) -> None:
        super().__init__(f"tenant {tenant_id} was changed meanwhile; try again")
        self.tenant_id = tenant_id


class NothingToDeliver(Exception):
    """A delivery replay was asked for a task that has no finished outcome or no webhook_url."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class ConnectionNotFound(LookupError):
    """No such shop connection, or not one of the caller's."""

    def __init__(self, connection_id: str) -> None:
        super().__init__(f"shop connection {connection_id} not found")
        self.connection_id = connection_id


class ShopAlreadyConnected(Exception):
    """A shop can feed one connection only, so a product never becomes two tenants' videos."""

    def __init__(self, platform: str, shop: str) -> None:
        super().__init__(f"{platform} shop {shop} is already connected")
        self.platform = platform
        self.shop = shop


class CredentialNotForPlatform(ValueError):
    """A PATCH sent an admin credential the connection's platform does not take."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field


class SealedSecretUnreadable(RuntimeError):
    """A stored secret could not be opened (wrong key or context, or the key is unreachable)."""
