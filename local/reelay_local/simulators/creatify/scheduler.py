"""One timer thread for every delayed action of the simulator.

A thread per pending timer (threading.Timer) would mean hundreds of sleeping threads in a test
run that creates many tasks with two-minute stages, and no single place to cancel them at
shutdown. Jobs run on the timer thread itself, so they must be short: anything slow (rendering,
HTTP) is handed to an executor by the job.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, name: str = "creatify-sim-timer") -> None:
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def call_later(self, delay_seconds: float, job: Callable[[], None]) -> None:
        due = time.monotonic() + max(0.0, delay_seconds)
        with self._wake:
            if self._stopped:
                return
            heapq.heappush(self._queue, (due, next(self._order), job))
            self._wake.notify()

    def stop(self) -> None:
        """Forget pending jobs and end the thread; a job already running finishes first."""
        with self._wake:
            self._stopped = True
            self._queue.clear()
            self._wake.notify()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopped and (not self._queue or self._queue[0][0] > time.monotonic()):
                    timeout = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._wake.wait(timeout)
                if self._stopped:
                    return
                _, _, job = heapq.heappop(self._queue)
            try:
                job()
            except Exception:
                # A broken job must not stop every later timer of the simulator.
                log.exception("simulator timer job failed")
