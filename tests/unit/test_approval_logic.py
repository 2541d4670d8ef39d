"""Approving a preview (`request_video`) against the in-memory task store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reelay.errors import TaskNotFound, WrongStatus
from reelay.logic.apply_update import advance
from reelay.logic.dispatch import dispatch_change
from reelay.logic.request_video import request_video
from reelay.models.api import VideoRequest
from reelay.models.jobs import ProviderJob, ProviderJobKind
from reelay.models.status import TaskStatus
from reelay.models.task import StatusUpdate, Task
from reelay.models.upstream import MotionStyle
from tests.unit.fakes import TENANT, FakeRuntime, MemoryTasks, a_task

S = TaskStatus
NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
PREVIEWED = NOW - timedelta(days=2)
PROVIDER_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


@pytest.fixture
def fakes() -> FakeRuntime:
    return FakeRuntime.at(NOW)


def waiting_for_review(fakes: FakeRuntime, status: TaskStatus = S.IMAGE_GENERATED, **fields: object) -> Task:
    values = {"auto_video": False, "provider_task_id": PROVIDER_ID, "updated_at": PREVIEWED, **fields}
    return fakes.seed(a_task("t", status, **values))


def test_approving_a_preview_asks_for_its_video_once_and_puts_the_task_back_on_the_list(
    fakes: FakeRuntime,
) -> None:
    before = waiting_for_review(fakes)
    assert not fakes.tasks.is_open("t")
    request = VideoRequest(video_prompt="slow pan", motion_style=MotionStyle.DISPLAY)

    answer = request_video(TENANT, "t", request, fakes.deps())

    after = fakes.tasks.get("t")
    assert answer.already_requested is False
    assert answer.task == after
    assert (after.auto_video, after.video_prompt, after.motion_style) == (
        True,
        "slow pan",
        MotionStyle.DISPLAY,
    )
    assert (after.status, after.version, after.updated_at) == (S.IMAGE_GENERATED, before.version + 1, NOW)
    assert fakes.tasks.open_since("t") == NOW  # waits on Creatify again, timed from the approval


def test_approving_twice_answers_already_requested_without_a_second_change(fakes: FakeRuntime) -> None:
    waiting_for_review(fakes)
    first = request_video(TENANT, "t", VideoRequest(), fakes.deps())

    again = request_video(TENANT, "t", VideoRequest(video_prompt="another idea"), fakes.deps())

    assert (first.already_requested, again.already_requested) == (False, True)
    assert fakes.tasks.get("t") == first.task  # same version, prompt unchanged


def test_the_approval_s_change_queues_gen_video_once_and_its_repeat_queues_nothing(
    fakes: FakeRuntime,
) -> None:
    before = waiting_for_review(fakes)
    first = request_video(TENANT, "t", VideoRequest(), fakes.deps())
    again = request_video(TENANT, "t", VideoRequest(), fakes.deps())

    # The task stream sees one change (the approval); a repeated request writes none.
    dispatch_change(before, first.task, fakes.deps())
    dispatch_change(first.task, again.task, fakes.deps())

    assert fakes.provider_queue.jobs == [ProviderJob(kind=ProviderJobKind.GEN_VIDEO, task_id="t")]
    assert fakes.publisher.events == []


@pytest.mark.parametrize(
    "status", [S.INITIALIZING, S.IMAGE_GENERATING, S.VIDEO_GENERATING, S.VIDEO_GENERATED, S.FAILED]
)
def test_a_video_can_be_asked_for_only_at_image_generated_and_the_refusal_names_the_status(
    fakes: FakeRuntime, status: TaskStatus
) -> None:
    before = waiting_for_review(fakes, status)

    with pytest.raises(WrongStatus) as refused:
        request_video(TENANT, "t", VideoRequest(), fakes.deps())

    assert refused.value.status is status
    assert f"the task is {status.value}" in str(refused.value)
    assert "image_generated" in str(refused.value)
    assert fakes.tasks.get("t") == before


def test_a_preview_with_auto_video_already_on_answers_already_requested(fakes: FakeRuntime) -> None:
    before = waiting_for_review(fakes, auto_video=True)

    answer = request_video(TENANT, "t", VideoRequest(), fakes.deps())

    assert answer.already_requested is True
    assert fakes.tasks.get("t") == before


def test_another_tenant_s_task_is_as_good_as_absent(fakes: FakeRuntime) -> None:
    before = waiting_for_review(fakes)

    with pytest.raises(TaskNotFound):
        request_video("someone-else", "t", VideoRequest(), fakes.deps())

    assert fakes.tasks.get("t") == before


def test_a_task_that_does_not_exist_is_not_found(fakes: FakeRuntime) -> None:
    with pytest.raises(TaskNotFound):
        request_video(TENANT, "nope", VideoRequest(), fakes.deps())


class ReadsBefore:
    """The task store, answering `get` with the copy read before a concurrent change landed."""

    def __init__(self, inner: MemoryTasks, read: Task) -> None:
        self._inner = inner
        self._read = read

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def get(self, task_id: str) -> Task | None:
        return self._read


def test_a_preview_that_failed_while_it_was_being_approved_is_refused_with_its_new_status(
    fakes: FakeRuntime,
) -> None:
    read = waiting_for_review(fakes)
    advance(fakes.tasks, read, StatusUpdate(status=S.FAILED, failed_reason="expired"), NOW)

    with pytest.raises(WrongStatus) as refused:
        request_video(TENANT, "t", VideoRequest(), fakes.deps(tasks=ReadsBefore(fakes.tasks, read)))

    assert refused.value.status is S.FAILED


def test_two_approvals_at_once_make_one_change_and_both_are_answered(fakes: FakeRuntime) -> None:
    read = waiting_for_review(fakes)
    first = request_video(TENANT, "t", VideoRequest(), fakes.deps())

    second = request_video(TENANT, "t", VideoRequest(), fakes.deps(tasks=ReadsBefore(fakes.tasks, read)))

    assert (first.already_requested, second.already_requested) == (False, True)
    assert fakes.tasks.get("t").version == read.version + 1
