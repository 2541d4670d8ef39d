"""Cold import time of each function's handler module, as a Lambda cold start pays it.

Each measurement is a fresh interpreter importing functions/<name>/app.py once (interpreter
start-up excluded), repeated a few times; prints the median and the fastest, and whether the
import pulled in boto3, httpx or aws-xray-sdk (which should stay off the import path).

    .venv/bin/python bench/cold_import.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FUNCTIONS = sorted(p.parent.name for p in (REPO / "functions").glob("*/app.py"))

_CHILD = """
import importlib.util, json, sys, time
path = sys.argv[1]
sys.path.insert(0, path.rsplit("/", 1)[0])  # as Lambda does: the function's own modules import by name
started = time.perf_counter()
spec = importlib.util.spec_from_file_location("app", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
seconds = time.perf_counter() - started
loaded = set(sys.modules)
print(json.dumps({
    "seconds": seconds,
    "boto3": "boto3" in loaded,
    "httpx": "httpx" in loaded,
    "xray": any(name.startswith("aws_xray_sdk") for name in loaded),
    "modules": len(loaded),
}))
"""


def measure(function: str) -> dict:
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "reelay",
        "POWERTOOLS_METRICS_NAMESPACE": "Reelay",
    }
    path = REPO / "functions" / function / "app.py"
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(out.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    python = sys.version.split()[0]
    print(f"cold import of functions/<name>/app.py, {args.repeat} fresh interpreters each (Python {python})")
    print(f"{'function':<18} {'median':>8} {'fastest':>8}  boto3  httpx  xray  modules")
    worst = 0.0
    xray_seen = False
    for function in FUNCTIONS:
        runs = [measure(function) for _ in range(args.repeat)]
        seconds = [r["seconds"] for r in runs]
        last = runs[-1]
        worst = max(worst, statistics.median(seconds))
        xray_seen = xray_seen or any(r["xray"] for r in runs)
        print(
            f"{function:<18} {statistics.median(seconds) * 1000:6.0f}ms {min(seconds) * 1000:6.0f}ms"
            f"  {'yes' if last['boto3'] else 'no':<5}  {'yes' if last['httpx'] else 'no':<5}"
            f"  {'yes' if last['xray'] else 'no':<4}  {last['modules']}"
        )
    print(f"slowest median: {worst * 1000:.0f}ms; aws-xray-sdk imported: {'YES' if xray_seen else 'no'}")
    return 1 if xray_seen else 0


if __name__ == "__main__":
    raise SystemExit(main())
