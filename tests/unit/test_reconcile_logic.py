"""The reconciler against in-memory stores and a scripted Creatify: what it does with each quiet task."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from reelay.logic.apply_update import advance
from reelay.logic.reconcile import ReconcileReport, reconcile_open_tasks
from reelay.models.jobs import ProviderJob
from reelay.models.status import TaskStatus
from reelay.models.task import StatusUpdate, Task
from reelay.ports.creatify_errors import CreatifyRetryable
from reelay.ports.stores import TaskStore
from tests.unit.fakes import FakeRuntime, MemoryTasks, a_task

S = TaskStatus
NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
# Settings of these tests: a task is looked at after 2 quiet minutes and fails after an hour.
RECONCILE_AFTER = 120
PROVIDER_TIMEOUT = 3600
QUIET = NOW - timedelta(minutes=10)
# Queued longer ago than provider_job_lost_after_seconds (900 s) with no run: a lost job.
LOST = NOW - timedelta(minutes=16)
TOO_LONG = NOW - timedelta(seconds=PROVIDER_TIMEOUT + 1)


@pytest.fixture
def fakes() -> FakeRuntime:
    return FakeRuntime.at(NOW)


def reconcile(fakes: FakeRuntime, tasks: TaskStore | None = None) -> ReconcileReport:
    deps = fakes.deps(
        tasks=tasks, reconcile_after_seconds=RECONCILE_AFTER, provider_timeout_seconds=PROVIDER_TIMEOUT
    )
    return reconcile_open_tasks(deps, now=NOW)


def queued(fakes: FakeRuntime) -> list[tuple[str, int, int]]:
    """The jobs the reconciler queued: (kind, retries, delay)."""
    return [(job.kind.value, job.retries, delay) for job, delay in fakes.provider_queue.sent]


def test_a_task_quiet_past_the_provider_timeout_fails_so_its_owner_hears(fakes: FakeRuntime) -> None:
    provider_id = fakes.creatify.add(S.IMAGE_GENERATING)
    fakes.seed(a_task("t", S.IMAGE_GENERATING, provider_task_id=provider_id, updated_at=TOO_LONG))

    report = reconcile(fakes)

    task = fakes.tasks.get("t")
    assert (task.status, task.failed_reason) == (S.FAILED, "timed out waiting for provider")
    assert report.timed_out == 1
    assert not fakes.tasks.is_open("t")
    assert fakes.creatify.calls == []
    assert fakes.provider_queue.sent == []


def test_a_quiet_task_with_no_creatify_task_gets_its_gen_image_job_again(fakes: FakeRuntime) -> None:
    fakes.seed(a_task("t", S.INITIALIZING, updated_at=LOST))

    report = reconcile(fakes)

    assert queued(fakes) == [("gen_image", 0, 0)]
    assert report.jobs_requeued == 1
    assert fakes.creatify.calls == []
    # Touched: the next run waits a full interval before looking at it again.
    assert fakes.tasks.open_since("t") == NOW
    assert fakes.tasks.get("t").updated_at == LOST


def test_a_first_job_no_run_started_is_left_waiting_until_the_lost_time_after_its_queueing(
    fakes: FakeRuntime,
) -> None:
    # Quiet past RECONCILE_AFTER, yet its job may still wait in a backlogged queue: the task
    # stream wrote no slot, so the task's change that queued the job dates it.
    fakes.seed(a_task("t", S.INITIALIZING, updated_at=QUIET))

    report = reconcile(fakes)

    assert queued(fakes) == []
    assert report.jobs_waiting == 1
    assert fakes.job_slots.slots == {}


def test_a_quiet_approved_preview_that_creatify_still_shows_as_a_preview_gets_gen_video_again(
    fakes: FakeRuntime,
) -> None:
    provider_id = fakes.creatify.add(S.IMAGE_GENERATED, generated_photo_url="https://cdn/p.jpg")
    fakes.seed(a_task("t", S.IMAGE_GENERATED, provider_task_id=provider_id, updated_at=LOST))

    report = reconcile(fakes)

    assert queued(fakes) == [("gen_video", 0, 0)]
    assert (report.examined, report.jobs_requeued, report.advanced) == (1, 1, 0)
    assert fakes.tasks.open_since("t") == NOW
    assert fakes.creatify.count("gen_video") == 0  # the worker calls, under its claim


def test_a_task_creatify_moved_forward_is_advanced_to_creatify_s_status(fakes: FakeRuntime) -> None:
    provider_id = fakes.creatify.add(S.IMAGE_GENERATED, generated_photo_url="https://cdn/p.jpg")
    fakes.seed(a_task("t", S.IMAGE_GENERATING, provider_task_id=provider_id, updated_at=QUIET))

    report = reconcile(fakes)

    task = fakes.tasks.get("t")
    assert (task.status, task.generated_photo_url) == (S.IMAGE_GENERATED, "https://cdn/p.jpg")
    assert (report.examined, report.advanced) == (1, 1)
    assert fakes.tasks.is_open("t")  # auto_video: the video comes next
    assert fakes.provider_queue.sent == []  # the task stream queues gen_video, not the reconciler


def test_a_task_creatify_does_not_know_is_counted_missing_and_touched_not_requeued(
    fakes: FakeRuntime,
) -> None:
    unknown = "5d3c2b1a-0000-4000-8000-000000000000"
    fakes.seed(a_task("t", S.IMAGE_GENERATING, provider_task_id=unknown, updated_at=QUIET))

    report = reconcile(fakes)

    assert (report.examined, report.missing_at_provider, report.jobs_requeued) == (1, 1, 0)
    assert fakes.provider_queue.sent == []
    assert fakes.tasks.get("t").status is S.IMAGE_GENERATING
    assert fakes.tasks.open_since("t") == NOW


def test_a_task_creatify_has_not_moved_is_left_as_it_is_and_touched(fakes: FakeRuntime) -> None:
    provider_id = fakes.creatify.add(S.VIDEO_GENERATING)
    stored = fakes.seed(a_task("t", S.VIDEO_GENERATING, provider_task_id=provider_id, updated_at=QUIET))

    report = reconcile(fakes)

    assert (report.examined, report.unchanged, report.advanced) == (1, 1, 0)
    assert fakes.tasks.get("t") == stored
    assert fakes.tasks.open_since("t") == NOW


def test_a_preview_waiting_for_review_is_not_looked_at(fakes: FakeRuntime) -> None:
    provider_id = fakes.creatify.add(S.IMAGE_GENERATED)
    waiting = fakes.seed(
        a_task("t", S.IMAGE_GENERATING, auto_video=False, provider_task_id=provider_id, updated_at=TOO_LONG)
    )
    advance(fakes.tasks, waiting, StatusUpdate(status=S.IMAGE_GENERATED), TOO_LONG)

    report = reconcile(fakes)

    assert report.examined == report.timed_out == report.jobs_requeued == 0
    assert fakes.creatify.calls == []
    assert fakes.tasks.get("t").status is S.IMAGE_GENERATED


def test_a_task_with_recent_news_is_not_looked_at_yet(fakes: FakeRuntime) -> None:
    fakes.seed(a_task("t", S.INITIALIZING, updated_at=NOW - timedelta(seconds=RECONCILE_AFTER - 1)))

    report = reconcile(fakes)

    assert report.examined == report.jobs_requeued == 0
    assert fakes.provider_queue.sent == []


def test_when_creatify_cannot_answer_the_error_is_reported_and_no_task_changes(fakes: FakeRuntime) -> None:
    provider_id = fakes.creatify.add(S.IMAGE_GENERATED)
    stored = fakes.seed(a_task("t", S.IMAGE_GENERATING, provider_task_id=provider_id, updated_at=QUIET))
    fakes.creatify.fail_next("list", CreatifyRetryable("Creatify is busy (429)", status_code=429))

    report = reconcile(fakes)

    assert report.errors == ["Creatify is busy (429)"]
    assert fakes.tasks.get("t") == stored
    assert fakes.provider_queue.sent == []


class NewsAfterListing:
    """The task store, with news landing on each task just after the reconciler listed it.

    The open-tasks index is read a page at a time (and eventually consistent), so the
    reconciler can act on a copy older than the task. The callback the test plays here
    is Creatify's preview arriving for a task that had been quiet for almost an hour.
    """

    def __init__(self, inner: MemoryTasks) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def iter_open(self, stale_before: datetime, limit: int = 100) -> Iterator[Task]:
        listed = list(self._inner.iter_open(stale_before, limit))
        for task in listed:
            fresh = self._inner.get(task.id)
            assert fresh is not None
            advance(self._inner, fresh, StatusUpdate(status=S.IMAGE_GENERATED), NOW)
        yield from listed


def test_a_task_that_had_news_after_it_was_listed_is_not_timed_out(fakes: FakeRuntime) -> None:
    provider_id = fakes.creatify.add(S.IMAGE_GENERATED)
    fakes.seed(a_task("t", S.IMAGE_GENERATING, provider_task_id=provider_id, updated_at=TOO_LONG))

    report = reconcile(fakes, tasks=NewsAfterListing(fakes.tasks))

    assert fakes.tasks.get("t").status is S.IMAGE_GENERATED
    assert report.timed_out == 0


# ---------------------------------------------------------------------------- lost or waiting


LOST_AFTER = 900  # the settings' provider_job_lost_after_seconds


def test_a_job_waiting_in_the_queue_s_backlog_is_left_alone_however_quiet_its_task(
    fakes: FakeRuntime,
) -> None:
    fakes.seed(a_task("t", S.INITIALIZING, updated_at=QUIET))
    fakes.job_slots.first("t", "gen_image", "first", due_at=NOW - timedelta(seconds=LOST_AFTER - 1))

    report = reconcile(fakes)

    assert (report.jobs_requeued, report.jobs_waiting) == (0, 1)
    assert fakes.provider_queue.sent == []
    assert fakes.tasks.open_since("t") == NOW


def test_a_job_due_longer_than_the_bound_is_replaced_once_keeping_its_retries(fakes: FakeRuntime) -> None:
    fakes.seed(a_task("t", S.INITIALIZING, updated_at=QUIET))
    fakes.job_slots.first("t", "gen_image", "first", due_at=NOW - timedelta(hours=1))
    fakes.job_slots.start(
        "t", "gen_image", "first", now=NOW - timedelta(hours=1), lease_until=NOW - timedelta(hours=1)
    )
    fakes.job_slots.put_back(
        "t",
        "gen_image",
        replacing="first",
        job_id="j2",
        due_at=NOW - timedelta(seconds=LOST_AFTER + 1),
        retries=3,
    )

    first = reconcile(fakes)
    later = fakes.deps(reconcile_after_seconds=RECONCILE_AFTER)
    second = reconcile_open_tasks(later, now=NOW + timedelta(seconds=RECONCILE_AFTER + 1))

    assert queued(fakes) == [("gen_image", 3, 0)]
    assert (first.jobs_requeued, second.jobs_requeued, second.jobs_waiting) == (1, 0, 1)
    (replacement,) = fakes.provider_queue.jobs
    assert isinstance(replacement, ProviderJob)
    assert fakes.job_slots.get("t", "gen_image").job_id == replacement.job_id


def test_a_job_a_worker_is_running_is_not_replaced(fakes: FakeRuntime) -> None:
    provider_id = fakes.creatify.add(S.IMAGE_GENERATED, generated_photo_url="https://cdn/p.jpg")
    fakes.seed(a_task("t", S.IMAGE_GENERATED, provider_task_id=provider_id, updated_at=QUIET))
    fakes.job_slots.first("t", "gen_video", "first", due_at=NOW - timedelta(hours=1))
    fakes.job_slots.start("t", "gen_video", "first", now=NOW, lease_until=NOW + timedelta(minutes=2))

    report = reconcile(fakes)

    assert (report.jobs_requeued, report.jobs_waiting) == (0, 1)
    assert fakes.provider_queue.sent == []
