"""The review rows of the task lifecycle: who may still review, which job regenerates, deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reelay.logic.task_lifecycle import (
    REVIEW_STATUS,
    awaits_review,
    image_job,
    lost_job,
    review_decision,
    review_hold,
    step_for,
)
from reelay.models.jobs import ProviderJobKind
from reelay.models.status import TaskStatus
from reelay.models.task import ReviewDeadlineAction, StatusUpdate
from tests.unit.fakes import a_task

S = TaskStatus
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_only_a_preview_waiting_for_its_owner_and_not_yet_regenerated_awaits_review() -> None:
    assert awaits_review(a_task(status=S.IMAGE_GENERATED, auto_video=False))
    assert not awaits_review(a_task(status=S.IMAGE_GENERATED, auto_video=True))
    assert not awaits_review(a_task(status=S.IMAGE_GENERATED, auto_video=False, regenerated_as="t2"))
    for status in (S.INITIALIZING, S.IMAGE_GENERATING, S.VIDEO_GENERATING, S.VIDEO_GENERATED, S.FAILED):
        assert not awaits_review(a_task(status=status, auto_video=False))


def test_a_regenerating_task_makes_its_preview_with_regen_image_also_when_its_job_was_lost() -> None:
    first = a_task()
    regen = a_task(regen_source_id="old")
    assert image_job(first) is ProviderJobKind.GEN_IMAGE
    assert image_job(regen) is ProviderJobKind.REGEN_IMAGE
    assert lost_job(regen, None) is ProviderJobKind.REGEN_IMAGE


def test_a_review_decision_holds_only_while_the_preview_waits() -> None:
    step = review_decision(StatusUpdate(status=S.FAILED, failed_reason="rejected: no"))
    assert step.allowed_from == {REVIEW_STATUS}
    assert step.assumes_auto_video is False
    assert step.stays_open is False


def test_a_review_deadline_puts_the_preview_on_the_list_for_when_it_passes() -> None:
    task = a_task(
        status=S.IMAGE_GENERATING,
        auto_video=False,
        review_deadline_hours=2,
        review_deadline_action=ReviewDeadlineAction.REJECT,
    )
    hold = review_hold(task, recheck_after=timedelta(minutes=2))
    assert hold == timedelta(hours=2) - timedelta(minutes=2)

    step = step_for(StatusUpdate(status=S.IMAGE_GENERATED), False, review_hold=hold, now=NOW)

    assert step.stays_open is True
    assert step.open_since == NOW + hold


def test_without_a_deadline_action_a_waiting_preview_leaves_the_list() -> None:
    task = a_task(auto_video=False, review_deadline_hours=2, review_deadline_action=ReviewDeadlineAction.NONE)
    assert review_hold(task, recheck_after=timedelta(minutes=2)) is None
    step = step_for(StatusUpdate(status=S.IMAGE_GENERATED), False, review_hold=None, now=NOW)
    assert step.stays_open is False and step.open_since is None


def test_a_deadline_never_keeps_a_task_that_waits_on_creatify_off_its_usual_clock() -> None:
    step = step_for(StatusUpdate(status=S.IMAGE_GENERATED), True, review_hold=timedelta(hours=5), now=NOW)
    assert step.stays_open is True
    assert step.open_since is None
