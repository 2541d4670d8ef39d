"""A real headless Chromium for the browser tests: Debian's `chromium` package, driven by Playwright.

Playwright's own browser download cannot be reached from these machines; Playwright drives the
system Chromium through `executable_path` instead.
"""

from __future__ import annotations

import os
from pathlib import Path

# Another Chromium (another distribution's path) can be named here; the default is Debian's.
CHROMIUM = Path(os.environ.get("REELAY_TEST_CHROMIUM", "/usr/bin/chromium"))
# Root needs --no-sandbox; the rest keeps Chromium from calling home (updates, sync, field trials).
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_HINT = "install it with `apt-get install -y chromium` (as root) and run `make test` again"


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM}"
    return None


def must_run_browser_tests() -> bool:
    """In CI a missing browser fails the run: green must mean the console was tested."""
    return os.environ.get("CI", "").lower() == "true"
