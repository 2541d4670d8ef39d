"""Applying news forward only (`apply_update.advance`) against the in-memory task store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reelay.errors import TaskNotFound
from reelay.logic.apply_update import advance
from reelay.models.status import TaskStatus
from reelay.models.task import StatusUpdate
from tests.unit.fakes import FakeRuntime, a_task

S = TaskStatus
CREATED = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
NOW = CREATED + timedelta(minutes=5)
PROVIDER_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
INIT, IMG_ING, IMG, VID_ING, VID, FAILED = (
    S.INITIALIZING,
    S.IMAGE_GENERATING,
    S.IMAGE_GENERATED,
    S.VIDEO_GENERATING,
    S.VIDEO_GENERATED,
    S.FAILED,
)

# Every (current, incoming) pair that moves a task; all others are repeats, regressions or
# news after a final status, and change nothing.
FORWARD = {
    (INIT, IMG_ING), (INIT, IMG), (INIT, VID_ING), (INIT, VID), (INIT, FAILED),
    (IMG_ING, IMG), (IMG_ING, VID_ING), (IMG_ING, VID), (IMG_ING, FAILED),
    (IMG, VID_ING), (IMG, VID), (IMG, FAILED),
    (VID_ING, VID), (VID_ING, FAILED),
}  # fmt: skip
PAIRS = [
    pytest.param(current, incoming, (current, incoming) in FORWARD, id=f"{current}->{incoming}")
    for current in TaskStatus
    for incoming in TaskStatus
]


@pytest.fixture
def fakes() -> FakeRuntime:
    return FakeRuntime.at(NOW)


@pytest.mark.parametrize(("current", "incoming", "moves"), PAIRS)
def test_news_moves_a_task_only_forward_and_never_after_a_final_status(
    fakes: FakeRuntime, current: TaskStatus, incoming: TaskStatus, moves: bool
) -> None:
    stored = fakes.seed(a_task(status=current, updated_at=CREATED))

    result = advance(fakes.tasks, stored, StatusUpdate(status=incoming, provider_task_id=PROVIDER_ID), NOW)

    after = fakes.tasks.get(stored.id)
    assert result.applied is moves
    assert result.task == after
    if moves:
        assert (after.status, after.version, after.updated_at) == (incoming, 2, NOW)
        assert after.provider_task_id == PROVIDER_ID
    else:
        assert after == stored


@pytest.mark.parametrize("current", [INIT, IMG_ING, IMG, VID_ING])
def test_a_task_can_fail_from_every_status_that_is_not_final_and_then_leaves_the_list(
    fakes: FakeRuntime, current: TaskStatus
) -> None:
    stored = fakes.seed(a_task(status=current, updated_at=CREATED))
    assert fakes.tasks.is_open(stored.id)

    result = advance(fakes.tasks, stored, StatusUpdate(status=FAILED, failed_reason="no product found"), NOW)

    assert result.applied
    assert (result.task.status, result.task.failed_reason) == (FAILED, "no product found")
    assert not fakes.tasks.is_open(stored.id)


def test_a_repeated_update_changes_nothing_the_second_time(fakes: FakeRuntime) -> None:
    stored = fakes.seed(a_task(status=IMG_ING, updated_at=CREATED))
    update = StatusUpdate(status=IMG, generated_photo_url="https://cdn.creatify/p.jpg")

    first = advance(fakes.tasks, stored, update, NOW)
    again = advance(fakes.tasks, first.task, update, NOW + timedelta(seconds=1))

    assert (first.applied, again.applied) == (True, False)
    assert again.task == first.task
    assert fakes.tasks.get(stored.id).version == 2


def test_an_update_writes_only_the_results_it_carries(fakes: FakeRuntime) -> None:
    stored = fakes.seed(
        a_task(status=IMG, provider_task_id=PROVIDER_ID, generated_photo_url="https://cdn/p.jpg")
    )

    result = advance(
        fakes.tasks, stored, StatusUpdate(status=VID, generated_video_url="https://cdn/v.mp4"), NOW
    )

    assert result.task.generated_photo_url == "https://cdn/p.jpg"  # not wiped by the null in the update
    assert result.task.generated_video_url == "https://cdn/v.mp4"
    assert result.task.provider_task_id == PROVIDER_ID


@pytest.mark.parametrize(("auto_video", "stays_open"), [(True, True), (False, False)])
def test_a_preview_keeps_the_task_on_the_list_only_when_its_video_comes_next(
    fakes: FakeRuntime, auto_video: bool, stays_open: bool
) -> None:
    stored = fakes.seed(a_task(status=IMG_ING, auto_video=auto_video, updated_at=CREATED))

    advance(fakes.tasks, stored, StatusUpdate(status=IMG), NOW)

    assert fakes.tasks.is_open(stored.id) is stays_open
    assert fakes.tasks.open_since(stored.id) == (NOW if stays_open else None)


def test_a_stale_copy_without_auto_video_still_applies_the_preview_and_keeps_the_approved_task_open(
    fakes: FakeRuntime,
) -> None:
    # The store already has auto_video on (an approval committed after the caller read the task).
    fakes.seed(a_task(status=IMG_ING, auto_video=True, updated_at=CREATED))
    stale = a_task(status=IMG_ING, auto_video=False, updated_at=CREATED)

    result = advance(fakes.tasks, stale, StatusUpdate(status=IMG), NOW)

    assert result.applied
    assert (result.task.status, result.task.auto_video) == (IMG, True)
    assert fakes.tasks.is_open(stale.id)


def test_a_stale_copy_with_auto_video_never_keeps_a_task_for_review_open(fakes: FakeRuntime) -> None:
    fakes.seed(a_task(status=IMG_ING, auto_video=False, updated_at=CREATED))
    stale = a_task(status=IMG_ING, auto_video=True, updated_at=CREATED)

    result = advance(fakes.tasks, stale, StatusUpdate(status=IMG), NOW)

    assert result.applied and result.task.status is IMG
    assert not fakes.tasks.is_open(stale.id)


def test_advancing_a_task_that_does_not_exist_raises_task_not_found(fakes: FakeRuntime) -> None:
    with pytest.raises(TaskNotFound):
        advance(fakes.tasks, a_task("gone"), StatusUpdate(status=IMG_ING), NOW)
