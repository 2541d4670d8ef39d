"""E2E fixtures: the `reelay` command in a subprocess; tests talk to it over HTTP only.

The browser tests also get one headless Chromium per module (`chromium`). Without one they are
skipped and the terminal summary says so in one line; in CI (`CI=true`) they fail instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.browser import (
    CHROMIUM,
    INSTALL_HINT,
    LAUNCH_ARGS,
    browser_missing,
    must_run_browser_tests,
)
from tests.e2e.reelay_process import ReelayProcess, start_reelay, wait_ready

if TYPE_CHECKING:
    from playwright.sync_api import Browser

BROWSER_SKIPPED = pytest.StashKey[str]()


@contextmanager
def running_up(workdir: Path, *extra: str) -> Iterator[tuple[ReelayProcess, dict[str, Any]]]:
    """`reelay up` with fast simulator timings, killed on the way out."""
    ready_file = workdir / "ready.json"
    up = start_reelay(
        workdir,
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


@pytest.fixture
def reelay_up(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[ReelayProcess, dict[str, Any]]]:
    """`reelay up` with fast simulator timings; extra flags via `@pytest.mark.parametrize` indirect."""
    with running_up(tmp_path, *getattr(request, "param", [])) as started:
        yield started


@pytest.fixture(scope="module")
def shared_reelay_up(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ReelayProcess, dict[str, Any]]]:
    """One `reelay up` for every test of a module (each test makes its own tasks)."""
    with running_up(tmp_path_factory.mktemp("reelay-up")) as started:
        yield started


@pytest.fixture(scope="module")
def chromium(request: pytest.FixtureRequest) -> Iterator[Browser]:
    """One headless Chromium per module; skipped (or failed, in CI) when there is none."""
    missing = browser_missing()
    if missing is not None:
        if must_run_browser_tests():
            pytest.fail(f"browser tests cannot run in CI: {missing}; {INSTALL_HINT}", pytrace=False)
        request.config.stash[BROWSER_SKIPPED] = missing
        pytest.skip(f"browser tests need Chromium: {missing}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    missing = config.stash.get(BROWSER_SKIPPED, None)
    if missing is not None:
        # A section line of its own, just above pytest's short summary, so it is not missed.
        terminalreporter.write_sep(
            "=", f"BROWSER TESTS DID NOT RUN: {missing}; {INSTALL_HINT}", yellow=True, bold=True
        )
