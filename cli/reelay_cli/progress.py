"""A live view of one task's status: the path it took, with the time each status was first seen.

On a terminal it is one line, redrawn in place (plain ANSI); into a pipe or a file it is
one line per change, so logs and tests read it easily. Only statuses the API reported are
shown: Creatify calls back at the end of a stage, so a task may go from initializing
straight to image_generated.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

_SPINNER = "|/-\\"
_CLEAR_LINE = "\r\x1b[2K"


@dataclass
class Step:
    status: str
    seconds: float  # since the display started, when this status was first seen


@dataclass
class StatusProgress:
    out: TextIO
    live: bool
    started: float = field(default_factory=time.monotonic)
    steps: list[Step] = field(default_factory=list)
    _ticks: int = 0

    @classmethod
    def for_stream(cls, out: TextIO) -> StatusProgress:
        return cls(out=out, live=bool(getattr(out, "isatty", lambda: False)()))

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def current(self) -> str | None:
        return self.steps[-1].status if self.steps else None

    def update(self, status: str) -> None:
        changed = status != self.current
        if changed:
            self._record(status)
        if self.live:
            self._ticks += 1
            self._redraw(f"  {_SPINNER[self._ticks % 4]} {self.elapsed:5.1f}s  ")
        elif changed:
            self.out.write(f"  [{self.elapsed:5.1f}s] {status}\n")
            self.out.flush()

    def _record(self, status: str) -> None:
        self.steps.append(Step(status, round(self.elapsed, 1)))

    def path(self) -> str:
        return " -> ".join(f"{step.status} ({step.seconds:.1f}s)" for step in self.steps)

    def _redraw(self, prefix: str) -> None:
        # One screen line, or the clear-line code cannot erase what wrapped: keep the newest part.
        width = shutil.get_terminal_size().columns - 1
        path = self.path()
        if len(prefix) + len(path) > width:
            path = "..." + path[len(prefix) + len(path) - width + 3 :]
        self.out.write(f"{_CLEAR_LINE}{prefix}{path}")
        self.out.flush()

    def finish(self) -> None:
        if self.live:  # the last word may wrap: nothing redraws it
            self.out.write(f"{_CLEAR_LINE}  {self.elapsed:5.1f}s  {self.path()}\n")
            self.out.flush()


def follow_task(
    fetch: Callable[[], dict[str, Any]],
    progress: StatusProgress,
    *,
    until: tuple[str, ...],
    timeout: float,
    interval: float = 0.1,
) -> dict[str, Any] | None:
    """Poll `fetch()` until the task's status is in `until`; the last task seen, or None on timeout."""
    deadline = time.monotonic() + timeout
    task: dict[str, Any] | None = None
    try:
        while True:
            task = fetch()
            progress.update(str(task["status"]))
            if task["status"] in until:
                return task
            if time.monotonic() >= deadline:
                return None
            time.sleep(interval)
    finally:
        progress.finish()
