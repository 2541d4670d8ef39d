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
from enum import StrEnum
from typing import Any

from aws_lambda_powertools import Logger

from reelay.deps import Deps
from reelay.errors import TaskNotFound
from reelay.models.jobs import MAX_DELAY_SECONDS, DeliveryJob
from reelay.models.task_history import delivery_entry
from reelay.security.url_guard import HostDoesNotResolve, UnsafeUrl, check_outbound_url
from reelay.security.webhook_signing import headers as signature_headers

logger = Logger(child=True)

# Seconds to wait before attempt n (attempt 0 is the first, made at once).
SCHEDULE_SECONDS: tuple[int, ...] = (0, 0, 5, 300, 1800, 7200, 18000, 36000, 36000)


class DeliveryResult(StrEnum):
    DELIVERED = "delivered"  # the receiver answered 2xx
    RETRY_SCHEDULED = "retry_scheduled"  # it failed; the next attempt is queued
    WAITING = "waiting"  # the attempt is not due yet; put back until it is
    GONE = "gone"  # the receiver answered 410: no more attempts
    GAVE_UP = "gave_up"  # the last attempt of the schedule failed
    REFUSED = "refused"  # the URL points somewhere Reelay never sends to
    SKIPPED = "skipped"  # the task or its tenant is gone, or it has no webhook_url


@dataclass(frozen=True)
class DeliveryOutcome:
    result: DeliveryResult
    status_code: int | None = None


@dataclass(frozen=True)
class _Target:
    """What an attempt needs of its task: from the job, or read for a job that predates that."""

    webhook_url: str
    tenant_id: str
    body: dict[str, Any]


def _target(job: DeliveryJob, deps: Deps) -> _Target | None:
    if job.webhook_url and job.tenant_id and job.payload is not None:
        return _Target(job.webhook_url, job.tenant_id, job.payload)
    from reelay.models.task import webhook_payload  # the task model only for such old jobs

    task = deps.tasks.get(job.task_id)
    if task is None or not task.webhook_url:
        return None
    return _Target(task.webhook_url, task.tenant_id, job.payload or webhook_payload(task))


def deliver(job: DeliveryJob, deps: Deps, now: float | None = None) -> DeliveryOutcome:
    now = time.time() if now is None else now
    if job.not_before > now:
        _requeue(job, deps, job.not_before - now)
        return DeliveryOutcome(DeliveryResult.WAITING)
    target = _target(job, deps)
    if target is None:
        return DeliveryOutcome(DeliveryResult.SKIPPED)
    # Read through a minute's cache: the secrets overlap a day during a roll (dal/tenant_cache.py).
    tenant = deps.tenant_profiles.get(target.tenant_id)
    if tenant is None:
        return DeliveryOutcome(DeliveryResult.SKIPPED)
    try:
        # The addresses checked here are the ones the POST connects to: no second look-up.
        addresses = check_outbound_url(
            target.webhook_url, allow_loopback=deps.settings.allow_loopback_webhooks
        )
    except HostDoesNotResolve as exc:
        # DNS may be down for a while, like the receiver itself: an attempt that failed.
        return _after_failure(target, job, deps, now, None, str(exc))
    except UnsafeUrl as exc:
        _record(deps, target, job, {"result": DeliveryResult.REFUSED.value, "error": str(exc)})
        return DeliveryOutcome(DeliveryResult.REFUSED)

    body = json.dumps(target.body, separators=(",", ":")).encode()
    sent_headers = {
        "content-type": "application/json",
        "user-agent": "Reelay-Webhooks/1",
        # During a secret roll, signed with the old secret too: receivers switch at their own pace.
        **signature_headers(
            tenant.signing_secrets(datetime.fromtimestamp(now, UTC)), job.event_id, body, int(now)
        ),
    }
    started = time.monotonic()
    answer = deps.webhooks.post(target.webhook_url, addresses, body, sent_headers)
    latency_ms = round((time.monotonic() - started) * 1000)
    status_code = answer.status_code
    error = answer.error

    last = {"status_code": status_code, "error": error, "event_id": job.event_id}
    if status_code is not None and 200 <= status_code < 300:
        _record(deps, target, job, {**last, "result": DeliveryResult.DELIVERED.value}, latency_ms)
        return DeliveryOutcome(DeliveryResult.DELIVERED, status_code)
    if status_code == 410:
        _record(deps, target, job, {**last, "result": DeliveryResult.GONE.value}, latency_ms)
        return DeliveryOutcome(DeliveryResult.GONE, status_code)
    return _after_failure(target, job, deps, now, status_code, error, latency_ms)


def _after_failure(
    target: _Target,
    job: DeliveryJob,
    deps: Deps,
    now: float,
    status_code: int | None,
    error: str | None,
    latency_ms: int | None = None,
) -> DeliveryOutcome:
    """Schedule the next attempt after a failed one, or give up after the last."""
    last = {"status_code": status_code, "error": error, "event_id": job.event_id}
    next_attempt = job.attempt + 1
    if next_attempt >= len(SCHEDULE_SECONDS):
        _record(deps, target, job, {**last, "result": DeliveryResult.GAVE_UP.value}, latency_ms)
        logger.warning("webhook delivery gave up", extra={"task_id": job.task_id, "event_id": job.event_id})
        return DeliveryOutcome(DeliveryResult.GAVE_UP, status_code)
    wait = SCHEDULE_SECONDS[next_attempt]
    last = {**last, "result": DeliveryResult.RETRY_SCHEDULED.value, "next_in_seconds": wait}
    _record(deps, target, job, last, latency_ms)
    _requeue(job.replace(attempt=next_attempt, not_before=now + wait), deps, wait)
    return DeliveryOutcome(DeliveryResult.RETRY_SCHEDULED, status_code)


def _requeue(job: DeliveryJob, deps: Deps, wait: float) -> None:
    # Rounded up: a delay rounded down to 0 would bring the job back early, to be put back again.
    deps.delivery_queue.send(job, delay_seconds=min(MAX_DELAY_SECONDS, max(0, math.ceil(wait))))


def _record(
    deps: Deps, target: _Target, job: DeliveryJob, last: dict[str, Any], latency_ms: int | None = None
) -> None:
    at = datetime.now(UTC)
    last["at"] = at.isoformat()
    if job.replay:
        last["replay"] = job.replay
    entry = delivery_entry(
        job.attempt + 1,
        str(last["result"]),
        at,
        status_code=last.get("status_code"),
        error=last.get("error"),
        latency_ms=latency_ms,
        event_status=target.body.get("status"),
        replay=job.replay or None,
    )
    try:
        deps.deliveries.record(
            job.task_id, attempts=job.attempt + 1, last=last, replay=job.replay, history=entry
        )
    except TaskNotFound:
        # Removed (its retention ended) while the attempt was made: nothing to record it on, and
        # raising would only make the queue repeat an attempt that was made.
        logger.info("delivery made for a task no longer stored", extra={"task_id": job.task_id})
