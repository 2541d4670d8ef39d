"""The task lifecycle table, row by row, against a copy written out by hand (not derived from the code)."""

from __future__ import annotations

from typing import Any

import pytest

from reelay.logic.task_lifecycle import (
    Reaction,
    WaitsOn,
    announcement_due,
    archive_to_queue,
    lost_job,
    reaction_to,
    rule_for,
    step_for,
    waits_on_provider,
)
from reelay.models.jobs import ProviderJobKind
from reelay.models.status import TaskStatus, ranks_below
from reelay.models.task import StatusUpdate, Task

S = TaskStatus
CREATIFY, OWNER, NOBODY = WaitsOn.CREATIFY, WaitsOn.OWNER, WaitsOn.NOBODY
GEN_IMAGE, GEN_VIDEO, ANNOUNCE = Reaction.QUEUE_GEN_IMAGE, Reaction.QUEUE_GEN_VIDEO, Reaction.ANNOUNCE
IMAGE_JOB, VIDEO_JOB = ProviderJobKind.GEN_IMAGE, ProviderJobKind.GEN_VIDEO
PROVIDER_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"

# (status, auto_video): (waits on, on entering, the provider job that moves it on)
EXPECTED = {
    (S.INITIALIZING, True):       (CREATIFY, GEN_IMAGE, IMAGE_JOB),
    (S.INITIALIZING, False):      (CREATIFY, GEN_IMAGE, IMAGE_JOB),
    (S.IMAGE_GENERATING, True):   (CREATIFY, None,      None),
    (S.IMAGE_GENERATING, False):  (CREATIFY, None,      None),
    (S.IMAGE_GENERATED, True):    (CREATIFY, GEN_VIDEO, VIDEO_JOB),
    (S.IMAGE_GENERATED, False):   (OWNER,    ANNOUNCE,  None),
    (S.VIDEO_GENERATING, True):   (CREATIFY, None,      None),
    (S.VIDEO_GENERATING, False):  (CREATIFY, None,      None),
    (S.VIDEO_GENERATED, True):    (NOBODY,   ANNOUNCE,  None),
    (S.VIDEO_GENERATED, False):   (NOBODY,   ANNOUNCE,  None),
    (S.FAILED, True):             (NOBODY,   ANNOUNCE,  None),
    (S.FAILED, False):            (NOBODY,   ANNOUNCE,  None),
}  # fmt: skip

ROWS = [pytest.param(status, auto, id=f"{status}-auto_video={auto}") for status, auto in EXPECTED]


def task(status: TaskStatus, *, auto_video: bool = True, **fields: Any) -> Task:
    return Task(
        id="task-1",
        tenant_id="acme",
        status=status,
        product_url="https://cdn.example.com/p.png",
        auto_video=auto_video,
        **fields,
    )


def test_the_expected_table_covers_every_status_with_and_without_auto_video() -> None:
    assert set(EXPECTED) == {(status, auto) for status in TaskStatus for auto in (True, False)}
    assert len(EXPECTED) == 12


@pytest.mark.parametrize(("status", "auto_video"), ROWS)
def test_each_row_says_whom_the_task_waits_on_what_entering_it_does_and_which_job_moves_it_on(
    status: TaskStatus, auto_video: bool
) -> None:
    rule = rule_for(status, auto_video)

    assert (rule.waits_on, rule.on_entering, rule.moved_on_by) == EXPECTED[(status, auto_video)]


def test_rule_for_accepts_a_plain_status_string() -> None:
    assert rule_for("image_generated", False).waits_on is OWNER


@pytest.mark.parametrize(("status", "auto_video"), ROWS)
def test_only_tasks_waiting_on_creatify_are_on_the_reconciler_s_list(
    status: TaskStatus, auto_video: bool
) -> None:
    assert waits_on_provider(status, auto_video) is (EXPECTED[(status, auto_video)][0] is CREATIFY)


def test_a_preview_waiting_for_review_is_off_the_reconciler_s_list_until_approved() -> None:
    assert waits_on_provider(S.IMAGE_GENERATED, auto_video=False) is False
    assert waits_on_provider(S.IMAGE_GENERATED, auto_video=True) is True


# ------------------------------------------------------------------------------ reaction_to

REACTIONS = [
    pytest.param(None, task(S.INITIALIZING), GEN_IMAGE, id="insert queues gen_image"),
    pytest.param(None, task(S.INITIALIZING, auto_video=False), GEN_IMAGE, id="insert for review too"),
    pytest.param(task(S.INITIALIZING), task(S.IMAGE_GENERATING), None, id="image under way: nothing"),
    pytest.param(task(S.IMAGE_GENERATING), task(S.IMAGE_GENERATED), GEN_VIDEO, id="preview, auto video"),
    pytest.param(
        task(S.IMAGE_GENERATING, auto_video=False),
        task(S.IMAGE_GENERATED, auto_video=False),
        ANNOUNCE,
        id="preview for review is announced",
    ),
    pytest.param(task(S.IMAGE_GENERATED), task(S.VIDEO_GENERATING), None, id="video under way: nothing"),
    pytest.param(task(S.VIDEO_GENERATING), task(S.VIDEO_GENERATED), ANNOUNCE, id="video done"),
    pytest.param(task(S.INITIALIZING), task(S.FAILED), ANNOUNCE, id="early failure"),
    pytest.param(task(S.VIDEO_GENERATING), task(S.FAILED), ANNOUNCE, id="late failure"),
    pytest.param(
        task(S.IMAGE_GENERATED, auto_video=False),
        task(S.IMAGE_GENERATED, auto_video=True),
        GEN_VIDEO,
        id="approval queues gen_video",
    ),
    pytest.param(
        task(S.IMAGE_GENERATED),
        task(S.IMAGE_GENERATED, credits_spent=4),
        None,
        id="change within a row: nothing",
    ),
    pytest.param(
        task(S.VIDEO_GENERATED),
        task(S.VIDEO_GENERATED, delivery_attempts=1),
        None,
        id="a recorded delivery: nothing",
    ),
    pytest.param(
        task(S.INITIALIZING),
        task(S.INITIALIZING, provider_task_id=PROVIDER_ID),
        None,
        id="a provider id recorded: nothing",
    ),
    pytest.param(task(S.FAILED), task(S.FAILED), None, id="a repeated record: nothing"),
    pytest.param(
        task(S.IMAGE_GENERATED, auto_video=False),
        task(S.IMAGE_GENERATED, auto_video=False),
        None,
        id="a repeated preview record: no second announcement",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), REACTIONS)
def test_only_entering_a_row_sets_something_in_motion(
    old: Task | None, new: Task, expected: Reaction | None
) -> None:
    assert reaction_to(old, new) is expected


# ------------------------------------------------------------------------------ lost_job

LOST = [
    pytest.param(task(S.INITIALIZING), None, IMAGE_JOB, id="no Creatify task yet: gen_image"),
    pytest.param(
        task(S.INITIALIZING, provider_task_id=PROVIDER_ID),
        S.INITIALIZING,
        None,
        id="gen_image made its Creatify task",
    ),
    pytest.param(
        task(S.IMAGE_GENERATED, provider_task_id=PROVIDER_ID),
        S.IMAGE_GENERATED,
        VIDEO_JOB,
        id="Creatify still at the preview: gen_video",
    ),
    pytest.param(
        task(S.IMAGE_GENERATED, provider_task_id=PROVIDER_ID),
        S.VIDEO_GENERATING,
        None,
        id="Creatify is making the video",
    ),
    pytest.param(
        task(S.IMAGE_GENERATED, provider_task_id=PROVIDER_ID),
        None,
        None,
        id="Creatify's status unknown: no guess",
    ),
    pytest.param(
        task(S.IMAGE_GENERATED, auto_video=False, provider_task_id=PROVIDER_ID),
        S.IMAGE_GENERATED,
        None,
        id="waiting for review: no video without approval",
    ),
    pytest.param(
        task(S.IMAGE_GENERATING, provider_task_id=PROVIDER_ID),
        S.IMAGE_GENERATING,
        None,
        id="image under way",
    ),
    pytest.param(
        task(S.VIDEO_GENERATING, provider_task_id=PROVIDER_ID),
        S.IMAGE_GENERATED,
        None,
        id="video under way",
    ),
]


@pytest.mark.parametrize(("quiet_task", "creatify_status", "expected"), LOST)
def test_a_quiet_task_gets_its_job_again_only_when_nothing_shows_it_was_made(
    quiet_task: Task, creatify_status: TaskStatus | None, expected: ProviderJobKind | None
) -> None:
    assert lost_job(quiet_task, creatify_status) is expected


# ------------------------------------------------------------------------------ step_for


@pytest.mark.parametrize(("status", "auto_video"), ROWS)
def test_a_step_applies_from_the_status_machine_s_statuses_and_keeps_a_waiting_task_open(
    status: TaskStatus, auto_video: bool
) -> None:
    update = StatusUpdate(status=status, provider_task_id=PROVIDER_ID)

    step = step_for(update, auto_video)

    assert step.update == update
    assert step.allowed_from == frozenset(ranks_below(status))
    assert step.stays_open is (EXPECTED[(status, auto_video)][0] is CREATIFY)


@pytest.mark.parametrize(("status", "auto_video"), ROWS)
def test_only_an_image_generated_step_is_conditioned_on_auto_video(
    status: TaskStatus, auto_video: bool
) -> None:
    expected = auto_video if status is S.IMAGE_GENERATED else None

    assert step_for(StatusUpdate(status=status), auto_video).assumes_auto_video is expected


def test_image_generated_applies_only_from_before_the_preview() -> None:
    step = step_for(StatusUpdate(status=S.IMAGE_GENERATED), auto_video=False)

    assert step.allowed_from == {S.INITIALIZING, S.IMAGE_GENERATING}
    assert step.stays_open is False


def test_failed_applies_from_every_status_that_is_not_final() -> None:
    step = step_for(StatusUpdate(status=S.FAILED, failed_reason="x"), auto_video=True)

    assert step.allowed_from == {S.INITIALIZING, S.IMAGE_GENERATING, S.IMAGE_GENERATED, S.VIDEO_GENERATING}
    assert step.stays_open is False


def test_initializing_is_never_a_step_forward() -> None:
    assert step_for(StatusUpdate(status=S.INITIALIZING), auto_video=True).allowed_from == frozenset()


# ------------------------------------------------------------------------------ archives


def _archived(asset: str, state: str = "archived") -> dict[str, Any]:
    return {asset: {"state": state}}


@pytest.mark.parametrize(
    ("old", "new", "asset"),
    [
        pytest.param(task(S.IMAGE_GENERATING), task(S.IMAGE_GENERATED), "photo", id="preview, auto video"),
        pytest.param(
            task(S.IMAGE_GENERATING, auto_video=False),
            task(S.IMAGE_GENERATED, auto_video=False),
            "photo",
            id="preview for review",
        ),
        pytest.param(
            task(S.IMAGE_GENERATED, auto_video=False),
            task(S.IMAGE_GENERATED, auto_video=True),
            None,
            id="approval: the photo was queued already",
        ),
        pytest.param(task(S.VIDEO_GENERATING), task(S.VIDEO_GENERATED), "video", id="video done"),
        pytest.param(task(S.VIDEO_GENERATING), task(S.FAILED), None, id="failure archives nothing"),
        pytest.param(task(S.VIDEO_GENERATED), task(S.VIDEO_GENERATED), None, id="a repeat"),
    ],
)
def test_entering_a_status_with_media_queues_its_archive(old: Task, new: Task, asset: str | None) -> None:
    assert archive_to_queue(old, new) == asset


@pytest.mark.parametrize(
    ("old", "new", "due"),
    [
        pytest.param(task(S.VIDEO_GENERATING), task(S.VIDEO_GENERATED), False, id="video, not archived yet"),
        pytest.param(
            task(S.VIDEO_GENERATED),
            task(S.VIDEO_GENERATED, archive=_archived("video")),
            True,
            id="video archived",
        ),
        pytest.param(
            task(S.VIDEO_GENERATED),
            task(S.VIDEO_GENERATED, archive=_archived("video", "failed")),
            True,
            id="video archive failed",
        ),
        pytest.param(
            task(S.VIDEO_GENERATED),
            task(S.VIDEO_GENERATED, archive=_archived("video", "pending")),
            False,
            id="a claim or a retry",
        ),
        pytest.param(
            task(S.VIDEO_GENERATED, archive=_archived("video")),
            task(S.VIDEO_GENERATED, archive=_archived("video"), delivery_attempts=1),
            False,
            id="after the announcement",
        ),
        pytest.param(
            task(S.IMAGE_GENERATED, auto_video=False),
            task(S.IMAGE_GENERATED, auto_video=False, archive=_archived("photo")),
            True,
            id="preview's photo archived",
        ),
        pytest.param(
            task(S.IMAGE_GENERATED),
            task(S.IMAGE_GENERATED, archive=_archived("photo")),
            False,
            id="auto video: no preview announcement",
        ),
        pytest.param(task(S.VIDEO_GENERATING), task(S.FAILED), True, id="failure: at once"),
        pytest.param(task(S.FAILED), task(S.FAILED), False, id="failure repeated"),
    ],
)
def test_an_announcement_waits_for_its_archive_to_settle(old: Task, new: Task, due: bool) -> None:
    assert announcement_due(old, new) is due
