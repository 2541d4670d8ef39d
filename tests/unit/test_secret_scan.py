"""The suite-wide secret check finds secrets in output, and fails the test that wrote them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from reelay.security.api_keys import new_api_key
from reelay.security.webhook_signing import new_secret
from tests.secret_scan import find_secrets, leaks_in_lines, register_secret

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_secrets_reelay_makes_are_found_by_their_shape_without_registration():
    key, secret = new_api_key(), new_secret()

    assert find_secrets(f"tenant created with {key}") == [key[:6] + "…"]
    assert find_secrets(f'{{"webhook_secret": "{secret}"}}') == [secret[:6] + "…"]
    assert find_secrets("key hash 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08") == []


def test_registered_values_are_found_and_allowed_lines_are_not_reported():
    register_secret("shpss_registered-in-a-test")

    lines = ["starting", "signing with shpss_registered-in-a-test", "  API key  shpss_registered-in-a-test"]
    findings = leaks_in_lines(lines, "out.txt", allowed=lambda line: line.startswith("  API key"))

    assert findings == ["out.txt, line 2: shpss_…"]


INNER_TESTS = """
import logging

from reelay.security.api_keys import new_api_key
from tests.secret_scan import register_secret, watch_output

log = logging.getLogger("inner")


def test_logs_a_registered_secret():
    register_secret("inner-shop-secret-value")
    log.warning("verifying the hook with inner-shop-secret-value")


def test_prints_a_generated_api_key():
    print("tenant key:", new_api_key())


def test_a_subprocess_output_file_with_a_secret(tmp_path):
    out = tmp_path / "stdout.txt"
    watch_output(out, allowed=lambda line: line.startswith("  API key"))
    out.write_text("  API key  " + new_api_key() + "\\nlog: " + new_api_key() + "\\n")


def test_clean_output_passes(tmp_path):
    log.warning("delivered to https://hooks.example.com (key hash 9f86d081)")
    print("nothing secret here")
"""


def test_the_check_fails_a_test_whose_output_holds_a_secret(tmp_path: Path):
    # A pytest of its own, in a subprocess whose output this test keeps to itself: in this
    # process the inner tests' output would reach this test's captured output, and the check
    # would (rightly) fail this test too.
    (tmp_path / "test_inner.py").write_text(INNER_TESTS)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}

    inner = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.secret_scan",
            "-p",
            "no:cacheprovider",
            "-rf",
            "test_inner.py",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    out = inner.stdout
    assert inner.returncode == 1, out + inner.stderr
    assert "3 failed, 1 passed" in out
    failed = {line.split("::")[1].split()[0] for line in out.splitlines() if line.startswith("FAILED ")}
    assert failed == {
        "test_logs_a_registered_secret",
        "test_prints_a_generated_api_key",
        "test_a_subprocess_output_file_with_a_secret",
    }
    assert "Captured log call, line 1: inner-…" in out
    assert "Captured stdout call, line 1: rly_" in out
    assert "stdout.txt, line 2: rly_" in out
    assert "stdout.txt, line 1" not in out  # the line allowed to show a key


EXAMPLE_SHOP_SECRET = "shpss_a-module-constant-of-a-test"


def test_a_test_modules_secret_constants_are_registered_as_it_is_collected():
    assert find_secrets(f"hook signed with {EXAMPLE_SHOP_SECRET}") == ["shpss_…"]
