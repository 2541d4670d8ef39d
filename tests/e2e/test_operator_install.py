"""`pip install .` gives an operator a working `reelay` for a deployed stack and none of the emulator.

One fresh virtual environment for the module, with a normal (non-editable) install of this
checkout, dependencies from the package index or pip's cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from reelay_cli.plugins import LOCAL_EXTRA_COMMANDS, LOCAL_EXTRA_INSTALL
from tests.e2e.reelay_process import child_environment
from tests.import_scan import forbidden_imports

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
INSTALL_TIMEOUT_SECONDS = 300.0
COMMAND_TIMEOUT_SECONDS = 60.0
# What a fresh clone holds: none of this checkout's virtual environments, caches or build output.
# pip builds in the source tree, and setuptools packs whatever an old build/ left behind (a module
# since moved would ship twice), so the install runs from a clean copy.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".sam-venv",
    ".aws-sam",
    ".reelay",
    ".pytest_cache",
    ".ruff_cache",
    "__pycache__",
    "build",
    "dist",
    "*.egg-info",
)
SHIPPED_PACKAGES = {"reelay", "reelay_cli", "reelay_local"}
# The top-level modules of the `local` extra's requirements.
LOCAL_EXTRA_MODULES = ("moto", "av", "PIL", "samtranslator", "yaml")


@dataclass(frozen=True)
class OperatorInstall:
    venv: Path
    site_packages: Path
    workdir: Path

    def run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        # The programs are the fresh environment's own `reelay` and `python`.
        return subprocess.run(  # noqa: S603
            [str(self.venv / "bin" / program), *args],
            cwd=self.workdir,
            env=_isolated_environment(),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )


def _isolated_environment() -> dict[str, str]:
    """The e2e child environment, less what could let this checkout's .venv leak into the fresh one."""
    env = child_environment()
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV"):
        env.pop(name, None)
    return env


@pytest.fixture(scope="module")
def operator_install(tmp_path_factory: pytest.TempPathFactory) -> OperatorInstall:
    base = tmp_path_factory.mktemp("operator-install")
    source = base / "reelay"
    shutil.copytree(REPO_ROOT, source, ignore=NOT_IN_A_CLONE)
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)  # noqa: S603
    python = str(venv / "bin" / "python")
    installed = subprocess.run(  # noqa: S603
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(source)],
        env=_isolated_environment(),
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_SECONDS,
        check=False,
    )
    assert installed.returncode == 0, f"pip install failed:\n{installed.stdout}\n{installed.stderr}"
    purelib = subprocess.run(  # noqa: S603
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
    ).stdout.strip()
    workdir = base / "work"
    workdir.mkdir()
    return OperatorInstall(venv, Path(purelib), workdir)


@pytest.mark.parametrize("argv", [["--help"], ["tenant", "create", "--help"], ["submit", "--help"]])
def test_reelay_and_the_operator_commands_answer_help(operator_install: OperatorInstall, argv: list[str]):
    result = operator_install.run("reelay", *argv)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: reelay")


def test_reelay_help_says_in_one_line_how_to_get_the_local_commands(operator_install: OperatorInstall):
    out = operator_install.run("reelay", "--help").stdout
    hint = [line for line in out.splitlines() if LOCAL_EXTRA_INSTALL in line]
    assert len(hint) == 1
    assert all(name in hint[0] for name in LOCAL_EXTRA_COMMANDS)


@pytest.mark.parametrize("module", LOCAL_EXTRA_MODULES)
def test_none_of_the_local_extras_dependencies_is_installed(operator_install: OperatorInstall, module: str):
    result = operator_install.run("python", "-c", f"import {module}")
    assert result.returncode != 0
    assert "ModuleNotFoundError" in result.stderr


@pytest.mark.parametrize("command", LOCAL_EXTRA_COMMANDS)
def test_a_local_command_exits_non_zero_naming_the_install_command_for_the_extra(
    operator_install: OperatorInstall, command: str
):
    result = operator_install.run("reelay", command)
    assert result.returncode == 2
    assert LOCAL_EXTRA_INSTALL in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_the_installed_cli_and_runtime_import_nothing_of_the_local_extra(operator_install: OperatorInstall):
    for package in ("reelay_cli", "reelay"):
        root = operator_install.site_packages / package
        assert (root / "__init__.py").exists()
        assert forbidden_imports(root, ("reelay_local", *LOCAL_EXTRA_MODULES)) == []


def test_the_wheel_holds_the_three_packages_and_nothing_else_of_the_checkout(
    operator_install: OperatorInstall,
):
    (dist_info,) = operator_install.site_packages.glob("reelay-*.dist-info")
    paths = [line.split(",")[0] for line in (dist_info / "RECORD").read_text().splitlines() if line]
    # Entries outside site-packages are the console script (../../../bin/reelay).
    top_level = {path.split("/")[0] for path in paths if not path.startswith("..")}
    assert top_level == {*SHIPPED_PACKAGES, dist_info.name}
    assert [path for path in paths if "/tests/" in path or ".venv" in path] == []
    assert os.access(operator_install.venv / "bin" / "reelay", os.X_OK)
