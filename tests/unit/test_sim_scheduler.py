"""The simulator's single timer thread: jobs run in due order, and stopping never waits for the future."""

from __future__ import annotations

import threading
import time

from reelay_local.simulators.creatify.scheduler import Scheduler


def test_jobs_run_in_due_order_not_submission_order() -> None:
    scheduler = Scheduler()
    scheduler.start()
    ran: list[str] = []
    done = threading.Event()
    scheduler.call_later(0.06, lambda: (ran.append("late"), done.set()))
    scheduler.call_later(0.0, lambda: ran.append("now"))
    scheduler.call_later(0.03, lambda: ran.append("soon"))
    try:
        assert done.wait(2)
    finally:
        scheduler.stop()
    assert ran == ["now", "soon", "late"]


def test_a_failing_job_does_not_stop_later_ones() -> None:
    scheduler = Scheduler()
    scheduler.start()
    done = threading.Event()
    scheduler.call_later(0.0, lambda: 1 / 0)
    scheduler.call_later(0.01, done.set)
    try:
        assert done.wait(2)
    finally:
        scheduler.stop()


def test_stop_drops_pending_jobs_and_returns_at_once() -> None:
    scheduler = Scheduler()
    scheduler.start()
    ran: list[str] = []
    scheduler.call_later(0.5, lambda: ran.append("pending"))
    started = time.monotonic()
    scheduler.stop()
    # Well before the pending job was due, with room for a busy machine's thread switches.
    assert time.monotonic() - started < 0.4
    scheduler.call_later(0.0, lambda: ran.append("after stop"))
    time.sleep(0.7)  # past the pending job's due time: it must not have run
    assert ran == []
