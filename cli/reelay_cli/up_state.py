"""`.reelay/up.json`: how to reach the stack a `reelay up` in this directory is running.

Written when the stack is ready and removed when it stops, so `reelay submit`, `status`,
`list` and `sim-faults` find the local API, its key and the simulator without flags.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

STATE_DIR = Path(".reelay")
UP_STATE = STATE_DIR / "up.json"


def write_state(info: dict[str, Any], path: Path = UP_STATE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    # The file holds an API key: readable by this user only.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        json.dump(info, file, indent=2)
    temporary.replace(path)


def read_state(path: Path = UP_STATE) -> dict[str, Any] | None:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def remove_state(pid: int, path: Path = UP_STATE) -> None:
    """Remove the file if the process `pid` wrote it (another `reelay up` may have replaced it)."""
    info = read_state(path)
    if info is not None and info.get("pid") == pid:
        with contextlib.suppress(OSError):
            path.unlink()
