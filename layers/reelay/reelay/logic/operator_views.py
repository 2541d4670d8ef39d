"""What a tenant asks about its tasks when something seems wrong: tasks stuck waiting, and a
finished task's webhook delivered once more.

A replay sends the delivery of the task's outcome again, exactly as the task stream did: the
same body, the same event id (receivers deduplicate on it: `webhook-id`), signed with the
tenant's current secret (both during a roll) and recorded on the task like any delivery, with
its replay number. It is queued, not sent inline, so it gets the delivery worker's URL guard
and retry schedule too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from reelay.deps import Deps
from reelay.errors import NothingToDeliver
from reelay.logic.media_view import webhook_body
from reelay.logic.task_lifecycle import waits_on_provider
from reelay.logic.task_views import get_tenant_task
from reelay.models.events import event_id
from reelay.models.jobs import DeliveryJob
from reelay.models.status import TaskStatus
from reelay.models.task import Task

# Enough for any tenant's view of what is stuck; more means something larger is wrong.
MAX_STUCK = 100


@dataclass(frozen=True)
class ReplayQueued:
    task_id: str
    event_id: str
    replay: int


def replay_delivery(tenant_id: str, task_id: str, deps: Deps) -> ReplayQueued:
    """Queue the task's outcome delivery again; NothingToDeliver unless it has one to send."""
    task = get_tenant_task(tenant_id, task_id, deps)
    if not task.terminal:
        raise NothingToDeliver(
            f"the task is {task.status.value}: only a finished task (video_generated or failed) "
            "has a delivery to replay",
            "status",
        )
    if not task.webhook_url:
        raise NothingToDeliver("the task has no webhook_url to deliver to", "webhook_url")
    number = deps.deliveries.request_replay(task.id)
    job = DeliveryJob(
        task_id=task.id,
        event_id=event_id(task.id, task.status),
        payload=webhook_body(task, deps),
        replay=number,
        webhook_url=task.webhook_url,
        tenant_id=task.tenant_id,
    )
    deps.delivery_queue.send(job)
    return ReplayQueued(task.id, job.event_id, number)


def stuck_tasks(
    tenant_id: str,
    deps: Deps,
    stuck_for: timedelta,
    now: datetime | None = None,
    limit: int = MAX_STUCK,
    status: TaskStatus | None = None,
    external: Mapping[str, str | None] | None = None,
) -> list[Task]:
    """The tenant's tasks waiting on Creatify with no change for `stuck_for`, longest first.

    `status` and each non-None `external` value (an external_ref field) narrow the list further.
    """
    changed_before = (now or datetime.now(UTC)) - stuck_for
    found = deps.tasks.iter_open_unchanged(tenant_id, changed_before, limit=MAX_STUCK)
    wanted = {name: value for name, value in (external or {}).items() if value is not None}
    return [
        task
        for task in found
        # A preview waiting for its owner is on the list only for its review deadline: not stuck.
        if waits_on_provider(task.status, task.auto_video)
        and (status is None or task.status is status)
        and all(getattr(task.external_ref, name) == value for name, value in wanted.items())
    ][:limit]
