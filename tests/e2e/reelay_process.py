"""The `reelay` command in a subprocess, started exactly as a user starts it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.secret_scan import register_secret, watch_output

STARTUP_SECONDS = 90.0
# Lines where `reelay up` shows its tenant's key and webhook secret to its user, on purpose.
SHOWN_ON_PURPOSE = ("  API key ", "  Webhook secret ", "  export REELAY_API_URL=", "REELAY_READY ")


def reelay_command() -> list[str]:
    """The installed console script next to this interpreter (what `make demo` runs), else the module."""
    script = Path(sys.executable).parent / "reelay"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "reelay_cli.cli"]


def child_environment() -> dict[str, str]:
    """The user's environment, less anything that would switch Creatify or AWS away from local."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "CREATIFY_", "REELAY_")) and k != "PYTEST_CURRENT_TEST"
    }
    env["PYTHONUNBUFFERED"] = "1"
    return env


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class ReelayProcess:
    process: subprocess.Popen[bytes]
    workdir: Path
    stdout_path: Path
    stderr_path: Path

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def describe(self) -> str:
        return f"--- stdout ---\n{self.stdout[-4000:]}\n--- stderr ---\n{self.stderr[-4000:]}"

    def interrupt(self, timeout: float = 15.0) -> int:
        """Ctrl-C, as a user presses it; the exit code."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def start_reelay(workdir: Path, *args: str) -> ReelayProcess:
    stdout_path, stderr_path = workdir / "stdout.txt", workdir / "stderr.txt"
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        # The command is this repository's own entry point; the arguments come from the tests.
        process = subprocess.Popen(  # noqa: S603
            [*reelay_command(), *args], cwd=workdir, env=child_environment(), stdout=out, stderr=err
        )
    # Checked after every test phase for secrets (tests/secret_scan.py): what it printed and
    # the functions' log file (.reelay/logs/ under its working directory).
    watch_output(stdout_path, allowed=lambda line: line.startswith(SHOWN_ON_PURPOSE))
    watch_output(stderr_path)
    watch_output(workdir / ".reelay" / "logs")
    return ReelayProcess(process, workdir, stdout_path, stderr_path)


def wait_ready(up: ReelayProcess, ready_file: Path) -> dict[str, Any]:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if up.process.poll() is not None:
            pytest.fail(f"reelay up exited with {up.process.returncode} before it was ready\n{up.describe()}")
        if ready_file.exists():
            try:
                ready = dict(json.loads(ready_file.read_text()))
            except ValueError:
                ready = None  # written atomically, but be patient anyway
            if ready is not None:
                for name in ("api_key", "webhook_secret"):
                    register_secret(str(ready.get(name) or ""))
                return ready
        time.sleep(0.2)
    up.kill()
    pytest.fail(f"reelay up was not ready within {STARTUP_SECONDS:g}s\n{up.describe()}")
