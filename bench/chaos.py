"""Chaos: N tasks through the embedded stack while Creatify fails in every way it can.

The fault mix, the timers and the bound every task must end within are described in
`reelay_local.chaos` (shared with the slow test `tests/integration/test_chaos.py`). Printed,
each beside its goal: tasks terminal (all), the longest time any task stayed open (within the
stated bound), double-paid calls (from the simulator's own call records), duplicate and lost
events (both consumer queues, by event_id), lost deliveries (the webhook receiver, by
webhook-id), put-backs by the reconciler (0: no job is lost in this run, so every one would be
a job put back while it waited in the queue), and the most runs of one job at once (1).

    .venv/bin/python bench/chaos.py [--tasks N] [--concurrency C] [--grace S] [--seed K]

Exits 1 if a goal was missed. Function logs go to .reelay/logs/chaos.log.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import platform
import sys
import warnings
from pathlib import Path

os.environ.update(
    AWS_DEFAULT_REGION="us-east-1",
    AWS_ACCESS_KEY_ID="bench",
    AWS_SECRET_ACCESS_KEY="bench",
    AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled",
    POWERTOOLS_METRICS_DISABLED="true",
)
for _name in [n for n in os.environ if n.startswith(("AWS_ENDPOINT_URL", "AWS_PROFILE"))]:
    del os.environ[_name]

from reelay_local.aws.function_logs import FunctionLogs  # noqa: E402
from reelay_local.chaos import ChaosConfig, run_chaos  # noqa: E402


def parse_args(argv: list[str]) -> ChaosConfig:
    defaults = ChaosConfig()
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tasks", type=int, default=defaults.tasks, help="tasks to submit (default 200)")
    parser.add_argument(
        "--concurrency", type=int, default=defaults.concurrency, help="ProviderConcurrency (default 5)"
    )
    parser.add_argument(
        "--grace",
        type=int,
        default=defaults.grace_seconds,
        help=f"UNKNOWN_OUTCOME_GRACE_SECONDS (default {defaults.grace_seconds}; the template's is 180)",
    )
    parser.add_argument("--seed", type=int, default=defaults.seed, help="the simulator's seed (default 7)")
    args = parser.parse_args(argv)
    if args.tasks < 1 or args.concurrency < 2 or args.grace < 1:
        parser.error("--tasks must be at least 1, --concurrency at least 2, --grace at least 1")
    return dataclasses.replace(
        defaults, tasks=args.tasks, concurrency=args.concurrency, grace_seconds=args.grace, seed=args.seed
    )


def main(argv: list[str]) -> int:
    config = parse_args(argv)
    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Tried to parse AWS")
    logs = FunctionLogs(Path(".reelay/logs/chaos.log")).open()
    out = logs.console
    out.write(
        f"chaos: {config.tasks} tasks, ProviderConcurrency {config.concurrency}; Creatify answers "
        f"{config.rate_5xx:.0%} 5xx, {config.rate_429:.0%} 429, hangs {config.hang_rate:.0%} of POSTs past "
        f"the {config.read_timeout:g} s read timeout, drops {config.drop_rate:.0%} and repeats "
        f"{config.duplicate_rate:.0%} of callbacks, reorders them, fails {config.fail_rate:.0%} of stages; "
        f"grace {config.grace_seconds} s, reconciler after {config.reconcile_after} s quiet every "
        f"{config.reconcile_every:g} s; on {os.cpu_count()} cores, Python {platform.python_version()}\n"
    )
    out.flush()
    try:
        result = run_chaos(config)
    finally:
        logs.close()
    out.write(f"\nall tasks submitted and followed in {result.elapsed:.0f} s\n\n")
    for name, value, goal, met in result.rows():
        out.write(f"  {name:<22} {value:<78} goal: {goal:<22} {'ok' if met else 'MISSED'}\n")
    for reason, count in result.failed_reasons.most_common():
        out.write(f"  failed x{count}: {reason}\n")
    out.flush()
    return 0 if result.met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
