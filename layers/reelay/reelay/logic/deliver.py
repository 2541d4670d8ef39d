"""Delivering a task's outcome to its webhook_url, signed per Standard Webhooks.

Retry schedule after a failed attempt: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
10 h. SQS delays stop at 15 minutes, so a longer wait is a chain of re-enqueues that each
check `not_before`. A 410 Gone means the receiver wants no more: retries stop.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from aws_lambda_powertools import Logger

from reelay.clients.job_queue import MAX_DELAY_SECONDS
from reelay.deps import Deps
from reelay.models.jobs import DeliveryJob
from reelay.models.task import webhook_payload
from reelay.security.url_guard import HostDoesNotResolve, UnsafeUrl, check_outbound_url
from reelay.security.webhook_signing import headers as signature_headers

logger = Logger(child=True)

# Seconds to wait before attempt n (attempt 0 is the first, made at once).
SCHEDULE_SECONDS: tuple[int, ...] = (0, 0, 5, 300, 1800, 7200, 18000, 36000, 36000)


@dataclass(frozen=True)
class DeliveryOutcome:
    result: str  # delivered | retry_scheduled | waiting | gone | gave_up | refused | skipped
    status_code: int | None = None


def deliver(job: DeliveryJob, deps: Deps, now: float | None = None) -> DeliveryOutcome:
    now = time.time() if now is None else now
    if job.not_before > now:
        _requeue(job, deps, job.not_before - now)
        return DeliveryOutcome("waiting")
    task = deps.tasks.get(job.task_id)
    if task is None or not task.webhook_url:
        return DeliveryOutcome("skipped")
    tenant = deps.tenants.get(task.tenant_id)
    if tenant is None:
        return DeliveryOutcome("skipped")
    try:
        check_outbound_url(task.webhook_url, allow_loopback=deps.settings.allow_loopback_webhooks)
    except HostDoesNotResolve as exc:
        # DNS may be down for a while, like the receiver itself: an attempt that failed.
        return _after_failure(job, deps, now, None, str(exc))
    except UnsafeUrl as exc:
        _record(deps, job, {"result": "refused", "error": str(exc)})
        return DeliveryOutcome("refused")

    body = json.dumps(job.payload or webhook_payload(task), separators=(",", ":")).encode()
    sent_headers = {
        "content-type": "application/json",
        "user-agent": "Reelay-Webhooks/1",
        **signature_headers(tenant.webhook_secret.get_secret_value(), job.event_id, body, int(now)),
    }
    status_code: int | None = None
    error: str | None = None
    try:
        # Only the status counts, so the answer's body is never read: a receiver whose body is
        # large or slow can neither hold the worker nor turn its 2xx into a failed attempt.
        with deps.http.stream("POST", task.webhook_url, content=body, headers=sent_headers) as answer:
            status_code = answer.status_code
    except httpx.HTTPError as exc:
        error = type(exc).__name__

    last = {"status_code": status_code, "error": error, "event_id": job.event_id}
    if status_code is not None and 200 <= status_code < 300:
        _record(deps, job, {**last, "result": "delivered"})
        return DeliveryOutcome("delivered", status_code)
    if status_code == 410:
        _record(deps, job, {**last, "result": "gone"})
        return DeliveryOutcome("gone", status_code)
    return _after_failure(job, deps, now, status_code, error)


def _after_failure(
    job: DeliveryJob, deps: Deps, now: float, status_code: int | None, error: str | None
) -> DeliveryOutcome:
    """Schedule the next attempt after a failed one, or give up after the last."""
    last = {"status_code": status_code, "error": error, "event_id": job.event_id}
    next_attempt = job.attempt + 1
    if next_attempt >= len(SCHEDULE_SECONDS):
        _record(deps, job, {**last, "result": "gave_up"})
        logger.warning("webhook delivery gave up", extra={"task_id": job.task_id, "event_id": job.event_id})
        return DeliveryOutcome("gave_up", status_code)
    wait = SCHEDULE_SECONDS[next_attempt]
    _record(deps, job, {**last, "result": "retry_scheduled", "next_in_seconds": wait})
    _requeue(job.model_copy(update={"attempt": next_attempt, "not_before": now + wait}), deps, wait)
    return DeliveryOutcome("retry_scheduled", status_code)


def _requeue(job: DeliveryJob, deps: Deps, wait: float) -> None:
    # Rounded up: a delay rounded down to 0 would bring the job back early, to be put back again.
    deps.delivery_queue.send(job, delay_seconds=min(MAX_DELAY_SECONDS, max(0, math.ceil(wait))))


def _record(deps: Deps, job: DeliveryJob, last: dict[str, object]) -> None:
    last["at"] = datetime.now(UTC).isoformat()
    deps.tasks.record_delivery(job.task_id, attempts=job.attempt + 1, last=last)
