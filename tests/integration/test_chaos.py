"""Chaos, as a test: tasks through the embedded stack while Creatify fails in every way it can.

The same run as `bench/chaos.py` (see `reelay_local.chaos` for the fault mix and the bound),
smaller and with shorter timers so it fits the suite: every task ends terminal within the
stated bound, nothing is paid twice, no event is lost or repeated, every webhook arrives, the
reconciler puts back no job (none is lost here) and no job ever runs twice at once.
"""

from __future__ import annotations

import pytest

from reelay_local.chaos import ChaosConfig, run_chaos

SMALL = ChaosConfig(
    tasks=40,
    concurrency=5,
    image_seconds=0.5,
    video_seconds=1.0,
    read_timeout=1.0,
    grace_seconds=5,
    reconcile_after=3,
    reconcile_every=2.0,
    reorder_hold_seconds=2.0,
    seed=11,
)


@pytest.mark.slow
def test_every_task_ends_within_the_bound_and_nothing_is_paid_twice_lost_or_repeated_under_chaos():
    result = run_chaos(SMALL)

    missed = [f"{name}: {value} (goal {goal})" for name, value, goal, met in result.rows() if not met]
    assert missed == []
    assert result.terminal == SMALL.tasks
