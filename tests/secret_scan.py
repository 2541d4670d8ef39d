"""Suite-wide check: no secret value appears in any log line or output a test produced.

A pytest plugin (loaded by tests/conftest.py). After every phase of every test it reads what
pytest captured (stdout, stderr, log records: the embedded stack's handlers log to stdout, as
in Lambda) and the output files of `reelay` subprocesses the tests started (`watch_output`),
and fails the test when one holds a secret. Secrets are known two ways:

- by shape, for those Reelay makes: tenant API keys (`rly_` + 43 URL-safe characters) and
  webhook signing secrets (`whsec_` + base64), so a key a test creates is caught unregistered,
  and Shopify Admin API tokens (`shpat_` + 32 hex, as the local shop makes them);
- by value: `KNOWN_SECRETS` below (the local stack's Creatify credentials), every string
  constant of a test module or helper whose name ends in SECRET or API_KEY (registered as the
  module is collected), and values registered at run time with `register_secret` (e.g. what
  `reelay up` answered).

A line that shows a secret on purpose (`reelay up` prints the tenant's key for its user) is
exempted per watched file, by the `allowed` predicate given to `watch_output`.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# The local stack's Creatify simulator account (reelay up, reelay demo and the fixtures).
KNOWN_SECRETS = ("sim-api-key",)
SHAPES = re.compile(r"rly_[A-Za-z0-9_-]{40,}|whsec_[A-Za-z0-9+/]{40,}={0,2}|shpat_[0-9a-fA-F]{32}")
_CONSTANT_NAME = re.compile(r"(SECRET|API_KEY)$")
_MIN_LENGTH = 8  # shorter constants ("x", "wrong") are placeholders, and would match everywhere
_CAPTURED = ("Captured stdout", "Captured stderr", "Captured log")


@dataclass
class _Watched:
    allowed: Callable[[str], bool] | None
    offsets: dict[Path, int]


_lock = threading.Lock()
_secrets: set[str] = set(KNOWN_SECRETS)
_watched: dict[Path, _Watched] = {}


def register_secret(value: str) -> None:
    """From now on, `value` in any output fails the test that produced it."""
    if value and len(value) >= _MIN_LENGTH:
        with _lock:
            _secrets.add(value)


def watch_output(path: Path, allowed: Callable[[str], bool] | None = None) -> None:
    """Scan the file `path` (or every file under the directory) after each test phase, new lines only.

    `allowed(line)` says a line shows a secret on purpose.
    """
    with _lock:
        _watched.setdefault(path, _Watched(allowed, {}))


def find_secrets(text: str) -> list[str]:
    """The secrets in `text`, masked (their first characters), each once, in order of discovery."""
    with _lock:
        known = [secret for secret in _secrets if secret in text]
    found = known + SHAPES.findall(text)
    return list(dict.fromkeys(_mask(secret) for secret in found))


def leaks_in_lines(
    lines: Iterable[str], where: str, allowed: Callable[[str], bool] | None = None
) -> list[str]:
    """One finding per line that holds a secret (and is not allowed to), naming where it was."""
    findings = []
    for number, line in enumerate(lines, 1):
        secrets = find_secrets(line)
        if secrets and not (allowed and allowed(line)):
            findings.append(f"{where}, line {number}: {', '.join(secrets)}")
    return findings


def _mask(secret: str) -> str:
    return secret[:6] + "…" if len(secret) > 8 else secret[:2] + "…"


def _register_module_constants() -> None:
    for name, module in list(sys.modules.items()):
        if name == "tests" or name.startswith("tests."):
            for constant, value in list(vars(module).items()):
                if isinstance(value, str) and _CONSTANT_NAME.search(constant):
                    register_secret(value)


def _files(path: Path) -> Iterator[Path]:
    if path.is_dir():
        yield from sorted(p for p in path.rglob("*") if p.is_file())
    elif path.is_file():
        yield path


def _leaks_in_watched_output() -> list[str]:
    findings = []
    with _lock:
        watched = list(_watched.items())
    for root, spec in watched:
        for path in _files(root):
            start = spec.offsets.get(path, 0)
            try:
                with path.open("rb") as file:
                    file.seek(start)
                    data = file.read()
            except OSError:
                continue
            # Only whole lines: a line still being written is read again next time.
            complete = data[: data.rfind(b"\n") + 1]
            spec.offsets[path] = start + len(complete)
            lines = complete.decode("utf-8", errors="replace").splitlines()
            findings += leaks_in_lines(lines, str(path.name), spec.allowed)
    return findings


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    _register_module_constants()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[Any]:
    report: pytest.TestReport = yield
    findings = []
    for title, content in report.sections:
        if title.startswith(_CAPTURED) and title.endswith(f" {report.when}"):
            findings += leaks_in_lines(content.splitlines(), title)
    findings += _leaks_in_watched_output()
    if findings:
        message = "a secret value appears in the output:\n  " + "\n  ".join(findings)
        report.sections.append(("secret scan", message))
        if not report.failed:
            report.outcome = "failed"
            report.longrepr = message
    return report
