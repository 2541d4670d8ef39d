"""The layer's lock pins every package with hashes, within the ranges it was compiled from.

`make lock` writes layers/reelay/requirements.txt from requirements.in; `sam build` installs the
lock, so pip refuses a file whose hash it does not list. These checks catch a lock edited by
hand, or a range changed without running `make lock`.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
LAYER = REPO / "layers" / "reelay"
# In the Lambda runtime already: the project needs it, the layer does not ship it.
RUNTIME_PROVIDED = {"boto3"}
# For the operator's `reelay` command, which `pip install .` brings; no function imports it
# (tests/unit/test_cold_start_imports.py), so the layer does not ship it.
COMMAND_ONLY = {"httpx"}


def ranges() -> dict[str, Requirement]:
    lines = (LAYER / "requirements.in").read_text().splitlines()
    found = [Requirement(line) for line in (raw.split("#", 1)[0].strip() for raw in lines) if line]
    return {canonicalize_name(r.name): r for r in found}


def lock() -> dict[str, tuple[str, list[str]]]:
    """name -> (pinned version, its sha256 hashes), read from the lock's entries."""
    text = (LAYER / "requirements.txt").read_text()
    entries: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=\S)", text):
        first = block.split("\n", 1)[0]
        if first.startswith("#") or not first.strip():
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s\\;]+)\s*\\?", first)
        assert match, f"not a pinned entry: {first!r}"
        entries[canonicalize_name(match[1])] = (match[2], re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return entries


def test_every_locked_package_is_pinned_with_hashes():
    entries = lock()

    assert entries
    assert {name: hashes for name, (_, hashes) in entries.items() if not hashes} == {}


def test_every_range_is_locked_at_a_version_inside_it():
    entries = lock()

    outside = {
        name: entries.get(name, ("missing", []))[0]
        for name, requirement in ranges().items()
        if name not in entries or not requirement.specifier.contains(entries[name][0], prereleases=True)
    }
    assert outside == {}


def test_the_lock_says_how_to_refresh_it():
    header = (LAYER / "requirements.txt").read_text().splitlines()[:3]
    assert any(line.startswith("#") and "make lock" in line for line in header)


def test_the_project_asks_for_the_layers_ranges():
    """pyproject's runtime dependencies mirror requirements.in (boto3 comes with Lambda; the
    operator's command needs httpx besides)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = {canonicalize_name(Requirement(d).name): Requirement(d) for d in project["dependencies"]}

    shipped = {
        name: str(r.specifier) for name, r in declared.items() if name not in RUNTIME_PROVIDED | COMMAND_ONLY
    }
    assert shipped == {name: str(r.specifier) for name, r in ranges().items()}
