"""The forward-only rule, checked against a table written out by hand (not derived from the code)."""

from __future__ import annotations

import pytest

from reelay.models.status import TaskStatus, is_terminal, ranks_below, should_apply

INIT = TaskStatus.INITIALIZING
IMG_ING = TaskStatus.IMAGE_GENERATING
IMG = TaskStatus.IMAGE_GENERATED
VID_ING = TaskStatus.VIDEO_GENERATING
VID = TaskStatus.VIDEO_GENERATED
FAILED = TaskStatus.FAILED

# Rows: the task's current status. Columns (same order): the incoming status. 1 = applied.
ORDER = (INIT, IMG_ING, IMG, VID_ING, VID, FAILED)
EXPECTED = {
    #           INIT IMG_ING IMG VID_ING VID FAILED
    INIT:      (0,   1,      1,  1,      1,  1),
    IMG_ING:   (0,   0,      1,  1,      1,  1),
    IMG:       (0,   0,      0,  1,      1,  1),
    VID_ING:   (0,   0,      0,  0,      1,  1),
    VID:       (0,   0,      0,  0,      0,  0),
    FAILED:    (0,   0,      0,  0,      0,  0),
}  # fmt: skip

PAIRS = [
    pytest.param(current, incoming, bool(EXPECTED[current][column]), id=f"{current}->{incoming}")
    for current in ORDER
    for column, incoming in enumerate(ORDER)
]


def test_the_expected_table_covers_all_six_statuses() -> None:
    assert set(ORDER) == set(TaskStatus)
    assert len(PAIRS) == 36


@pytest.mark.parametrize(("current", "incoming", "applies"), PAIRS)
def test_news_applies_only_forward_and_never_after_a_terminal_status(
    current: TaskStatus, incoming: TaskStatus, applies: bool
) -> None:
    assert should_apply(current, incoming) is applies


def test_should_apply_accepts_plain_status_strings() -> None:
    assert should_apply("image_generating", "image_generated") is True
    assert should_apply("video_generated", "failed") is False


@pytest.mark.parametrize(
    ("incoming", "from_statuses"),
    [
        (INIT, []),
        (IMG_ING, [INIT]),
        (IMG, [INIT, IMG_ING]),
        (VID_ING, [INIT, IMG_ING, IMG]),
        (VID, [INIT, IMG_ING, IMG, VID_ING]),
        (FAILED, [INIT, IMG_ING, IMG, VID_ING]),
    ],
)
def test_ranks_below_lists_every_status_an_update_may_move_forward_from(
    incoming: TaskStatus, from_statuses: list[TaskStatus]
) -> None:
    assert sorted(ranks_below(incoming)) == sorted(from_statuses)


@pytest.mark.parametrize(
    ("status", "terminal"),
    [(INIT, False), (IMG_ING, False), (IMG, False), (VID_ING, False), (VID, True), (FAILED, True)],
)
def test_only_video_generated_and_failed_are_terminal(status: TaskStatus, terminal: bool) -> None:
    assert is_terminal(status) is terminal


def test_an_unknown_status_is_rejected() -> None:
    with pytest.raises(ValueError, match="done"):
        should_apply(INIT, "done")
