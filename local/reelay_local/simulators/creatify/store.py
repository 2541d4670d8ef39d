"""The simulator's state: accounts and credits, tasks and their status moves, rendered media.

One lock guards accounts and tasks together because paying and creating must be one step: a
request that is refused for lack of credits must leave nothing behind, and two racing requests
must not both spend the last credit.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

STATUSES: tuple[str, ...] = (
    "initializing",
    "image_generating",
    "image_generated",
    "video_generating",
    "video_generated",
    "failed",
)

# Statuses after which a task has a preview image to animate.
HAS_IMAGE: frozenset[str] = frozenset({"image_generated", "video_generating", "video_generated"})


def _webhook_zone() -> tzinfo:
    # Creatify's webhook examples carry -07:00: a US Pacific server clock.
    try:
        return ZoneInfo("America/Los_Angeles")
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=-7))


WEBHOOK_ZONE = _webhook_zone()


def api_time(moment: datetime) -> str:
    """The API's timestamp form, e.g. 2023-11-07T05:31:56Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def webhook_time(moment: datetime) -> str:
    """The webhook's timestamp form, e.g. 2025-05-30T04:11:05.449603-07:00."""
    return moment.astimezone(WEBHOOK_ZONE).isoformat(timespec="microseconds")


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Task:
    """A ProductToVideo task plus what the simulator needs privately (owner, rendering hints)."""

    id: str
    account: str
    product_url: str
    type: str
    aspect_ratio: str
    created_at: datetime
    updated_at: datetime
    override_avatar: str | None = None
    product_showcase_url: str | None = None
    image_prompt: str | None = None
    video_prompt: str | None = None
    motion_style: str | None = None
    webhook_url: str | None = None
    status: str = "initializing"
    generated_video_url: str | None = None
    generated_photo_url: str | None = None
    failed_reason: str | None = None
    regen_type: str | None = None
    regen_source_id: str | None = None
    # Private: the avatar drawn into the preview, and the order tasks were created in.
    avatar_name: str | None = None
    sequence: int = 0

    def to_api(self) -> dict[str, Any]:
        """The object every product_to_videos endpoint answers, in the documented field order."""
        return {
            "id": self.id,
            "product_url": self.product_url,
            "status": self.status,
            "generated_video_url": self.generated_video_url,
            "generated_photo_url": self.generated_photo_url,
            "created_at": api_time(self.created_at),
            "updated_at": api_time(self.updated_at),
            "failed_reason": self.failed_reason,
            "regen_type": self.regen_type,
            "regen_source_id": self.regen_source_id,
            "type": self.type,
            "aspect_ratio": self.aspect_ratio,
            "override_avatar": self.override_avatar,
            "motion_style": self.motion_style,
            "product_showcase_url": self.product_showcase_url,
            "image_prompt": self.image_prompt,
            "video_prompt": self.video_prompt,
            "webhook_url": self.webhook_url,
        }

    def to_webhook(self) -> dict[str, Any]:
        """The webhook body: the documented subset, regen fields only on regenerated tasks."""
        body: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "product_url": self.product_url,
            "aspect_ratio": self.aspect_ratio,
            "override_avatar": self.override_avatar,
            "motion_style": self.motion_style,
            "product_showcase_url": self.product_showcase_url,
            "image_prompt": self.image_prompt,
            "video_prompt": self.video_prompt,
            "status": self.status,
            "generated_video_url": self.generated_video_url,
            "generated_photo_url": self.generated_photo_url,
            "failed_reason": self.failed_reason,
            "created_at": webhook_time(self.created_at),
            "updated_at": webhook_time(self.updated_at),
            "webhook_url": self.webhook_url,
        }
        if self.regen_type:
            body["regen_source_id"] = self.regen_source_id
            body["regen_type"] = self.regen_type
        return body


class TaskNotFound(Exception):
    pass


class InsufficientCredits(Exception):
    def __init__(self, cost: float, balance: float) -> None:
        super().__init__(f"Insufficient credits: {_amount(cost)} required, {_amount(balance)} remaining.")
        self.cost = cost
        self.balance = balance


class WrongStatus(Exception):
    """The task exists but is not in a status the action accepts."""


def _amount(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass
class _Account:
    api_key: str
    credits: float


@dataclass
class Store:
    """Accounts, credits and tasks behind one lock. Methods return copies, never live tasks."""

    _accounts: dict[str, _Account] = field(default_factory=dict)
    _tasks: dict[str, Task] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _sequence: itertools.count[int] = field(default_factory=itertools.count)

    # ---- accounts

    def add_account(self, api_id: str, api_key: str, credits: float) -> None:
        with self._lock:
            self._accounts[api_id] = _Account(api_key, float(credits))

    def authenticate(self, api_id: str, api_key: str) -> bool:
        with self._lock:
            account = self._accounts.get(api_id)
            return account is not None and account.api_key == api_key

    def credits(self, api_id: str) -> float:
        with self._lock:
            return self._accounts[api_id].credits

    # ---- tasks

    def create(self, api_id: str, cost: float, task: Task) -> Task:
        """Charge `cost` and store `task`, or do neither."""
        with self._lock:
            self._charge(api_id, cost)
            task.sequence = next(self._sequence)
            self._tasks[task.id] = task
            return replace(task)

    def create_from(
        self,
        api_id: str,
        source_id: str,
        cost: float,
        build: Callable[[Task], Task],
        require: Callable[[Task], bool] | None = None,
    ) -> Task:
        """Charge and store the task `build` derives from a source task (regenerations)."""
        with self._lock:
            source = self._owned(api_id, source_id)
            if require is not None and not require(source):
                raise WrongStatus(source.status)
            task = build(replace(source))
            return self.create(api_id, cost, task)

    def start_video(self, api_id: str, task_id: str, cost: float, changes: dict[str, Any]) -> Task:
        """gen_video: only from image_generated; the same task moves to video_generating."""
        with self._lock:
            task = self._owned(api_id, task_id)
            if task.status != "image_generated":
                raise WrongStatus(task.status)
            self._charge(api_id, cost)
            for name, value in changes.items():
                setattr(task, name, value)
            task.status = "video_generating"
            task.updated_at = now()
            return replace(task)

    def get(self, api_id: str, task_id: str) -> Task:
        with self._lock:
            return replace(self._owned(api_id, task_id))

    def find(self, task_id: str) -> Task | None:
        """Any account's task, for the simulator's own use (media, tests)."""
        with self._lock:
            task = self._tasks.get(task_id)
            return replace(task) if task else None

    def list(self, api_id: str, ids: list[str] | None) -> list[Task]:
        """Newest first, like the provider's default ordering; unknown ids are simply absent."""
        with self._lock:
            if ids is None:
                found = [task for task in self._tasks.values() if task.account == api_id]
            else:
                unique = dict.fromkeys(ids)
                found = [
                    task
                    for task_id in unique
                    if (task := self._tasks.get(task_id)) and task.account == api_id
                ]
            return [replace(task) for task in sorted(found, key=lambda t: t.sequence, reverse=True)]

    def advance(self, task_id: str, expected: frozenset[str], status: str, **fields: Any) -> Task | None:
        """Move a task to `status` if it is still in one of `expected`; None when it has moved on."""
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None or task.status not in expected:
                return None
            task.status = status
            for name, value in fields.items():
                setattr(task, name, value)
            task.updated_at = now()
            return replace(task)

    def _owned(self, api_id: str, task_id: str) -> Task:
        task = self._tasks.get(task_id)
        # Another account's task is reported exactly like a missing one, so ids leak nothing.
        if task is None or task.account != api_id:
            raise TaskNotFound(task_id)
        return task

    def _charge(self, api_id: str, cost: float) -> None:
        account = self._accounts[api_id]
        if account.credits < cost:
            raise InsufficientCredits(cost, account.credits)
        account.credits -= cost


@dataclass
class MediaStore:
    """Rendered files by name ("<task id>.jpg"), kept in memory for the simulator's lifetime."""

    _files: dict[str, bytes] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, name: str, data: bytes) -> None:
        with self._lock:
            self._files[name] = data

    def get(self, name: str) -> bytes | None:
        with self._lock:
            return self._files.get(name)
