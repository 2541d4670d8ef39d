"""E2E fixtures: the `reelay` command in a subprocess; tests talk to it over HTTP only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.reelay_process import ReelayProcess, start_reelay, wait_ready


@pytest.fixture
def reelay_up(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[ReelayProcess, dict[str, Any]]]:
    """`reelay up` with fast simulator timings; extra flags via `@pytest.mark.parametrize` indirect."""
    extra = list(getattr(request, "param", []))
    ready_file = tmp_path / "ready.json"
    up = start_reelay(
        tmp_path,
        "up",
        "--ready-file",
        str(ready_file),
        "--image-seconds",
        "0.5",
        "--video-seconds",
        "1",
        *extra,
    )
    try:
        yield up, wait_ready(up, ready_file)
    finally:
        up.kill()
