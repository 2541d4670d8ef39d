"""Wall time of `reelay demo` with the default simulator timings, as `make demo` runs it once installed.

Runs the installed `reelay demo` a few times in a scratch directory and prints, per run, the
whole wall time, the stack's start-up ("ready in") and the task's time from submit to the
final status; exits non-zero if a run fails or takes longer than a minute.

    .venv/bin/python bench/demo_time.py [--runs 3]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT_SECONDS = 60.0


def reelay() -> list[str]:
    script = Path(sys.executable).parent / "reelay"
    return [str(script)] if script.exists() else [sys.executable, "-m", "reelay_cli.cli"]


def one_run(extra: list[str]) -> tuple[float, float | None, float | None, int, str]:
    with tempfile.TemporaryDirectory(prefix="reelay-demo-bench-") as scratch:
        started = time.monotonic()
        done = subprocess.run([*reelay(), "demo", *extra], cwd=scratch, capture_output=True, text=True)
        wall = time.monotonic() - started
    ready = re.search(r"ready in ([\d.]+)s", done.stdout)
    finished = re.search(r"finished as \w+ after ([\d.]+)s", done.stdout)
    return (
        wall,
        float(ready.group(1)) if ready else None,
        float(finished.group(1)) if finished else None,
        done.returncode,
        done.stderr[-2000:],
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("extra", nargs="*", help="more `reelay demo` flags, after --")
    args = parser.parse_args()
    print(f"reelay demo {' '.join(args.extra)}".rstrip() + f", {args.runs} runs")
    print(f"{'run':>3} {'wall':>7} {'start-up':>9} {'task':>7}  exit")
    walls = []
    failed = False
    for run in range(1, args.runs + 1):
        wall, ready, task, code, stderr = one_run(args.extra)
        walls.append(wall)
        shown_ready = f"{ready:.1f}s" if ready is not None else "-"
        shown_task = f"{task:.1f}s" if task is not None else "-"
        print(f"{run:>3} {wall:6.1f}s {shown_ready:>9} {shown_task:>7}  {code}")
        if code != 0:
            failed = True
            print(stderr, file=sys.stderr)
    print(f"median wall {statistics.median(walls):.1f}s, worst {max(walls):.1f}s (limit {LIMIT_SECONDS:g}s)")
    return 1 if failed or max(walls) > LIMIT_SECONDS else 0


if __name__ == "__main__":
    raise SystemExit(main())
