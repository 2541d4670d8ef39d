"""The services logic calls: Creatify, the job queues, the event fan-out and webhook receivers.

`reelay.clients` implements these over HTTP and boto3; the unit tests in memory. Creatify's
failures are typed in `creatify_errors` beside this module, so logic can tell "safe to try
again" from "may have spent credits" without knowing the client.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

# Only in annotations, so these ports cost no model building at a cold start.
if TYPE_CHECKING:
    from reelay.models.creatify_catalog import Persona
    from reelay.models.jobs import QueueMessage
    from reelay.models.upstream import (
        GenImageRequest,
        GenVideoRequest,
        ProductToVideo,
        RegenImageRequest,
    )


class CreatifyApi(Protocol):
    def gen_image(self, body: GenImageRequest) -> ProductToVideo: ...

    def gen_video(self, task_id: str, body: GenVideoRequest | None = None) -> ProductToVideo: ...

    def regen_image(self, task_id: str, body: RegenImageRequest | None = None) -> ProductToVideo:
        """A new preview from task_id's: Creatify answers with a NEW task (1 credit)."""
        ...

    def get(self, task_id: str) -> ProductToVideo: ...

    def list(self, ids: Iterable[str] | None = None) -> list[ProductToVideo]:
        """Tasks by id (unknown ids absent), or every task of the account when ids is None."""
        ...

    def personas(
        self, *, age_range: Sequence[str] | None = None, gender: Sequence[str] | None = None
    ) -> list[Persona]: ...

    def remaining_credits(self) -> float: ...


class JobQueue(Protocol):
    def send(self, job: QueueMessage, delay_seconds: int = 0) -> None: ...


class EventPublisher(Protocol):
    def put_event(self, detail: dict[str, Any]) -> None:
        """One event on the bus; raises when it could not be put, so the stream record is retried."""
        ...

    def publish_message(self, detail: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class WebhookAnswer:
    """What one POST to a receiver got: its status, or the kind of failure when none came."""

    status_code: int | None
    error: str | None = None


class WebhookSender(Protocol):
    def post(self, url: str, addresses: Sequence[str], body: bytes, headers: dict[str, str]) -> WebhookAnswer:
        """POST once to one of `addresses` (checked IPs of url's host, never resolved again).

        Never raises for the receiver's or the network's failures; follows no redirect.
        """
        ...


class SecretBox(Protocol):
    """Seals a secret for storage and opens it again, bound to a context (which item it belongs to)."""

    def seal(self, plaintext: str, context: dict[str, str]) -> str: ...

    def open(self, sealed: str, context: dict[str, str]) -> str:
        """The plaintext; raises SealedSecretUnreadable when it cannot be opened with this context."""
        ...
