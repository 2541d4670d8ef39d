"""How fast the pipeline moves tasks on one machine: submit N products, run them to video.

Runs the real handlers on the embedded stack (moto in-process, the Creatify simulator over
HTTP with short stage timings) and prints wall time, tasks per second, Creatify calls per
task and peak memory. The simulator's stage timings are a floor on latency, not on
throughput: tasks overlap.

    .venv/bin/python bench/pipeline_throughput.py [N]
"""

from __future__ import annotations

import json
import logging
import os
import resource
import sys
import time
import warnings
from functools import cache
from typing import Any

os.environ.update(
    AWS_DEFAULT_REGION="us-east-1",
    AWS_ACCESS_KEY_ID="bench",
    AWS_SECRET_ACCESS_KEY="bench",
    AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled",
    POWERTOOLS_METRICS_DISABLED="true",
)

import boto3
from moto import mock_aws

from reelay.deps import Deps
from reelay.logic.tenants import create_tenant
from reelay_local.aws.embedded import EmbeddedStack
from reelay_local.simulators.creatify import CreatifySimulator, SimulatorConfig


def main(count: int) -> None:
    # moto notes each resource type it skips (alarms, schedules, secrets): known, not figures.
    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Tried to parse AWS")
    with CreatifySimulator(SimulatorConfig(image_seconds=0.2, video_seconds=0.3)) as sim, mock_aws():
        sim.add_account("bench-id", "bench-key", credits=10 * count)

        @cache
        def clients(service: str) -> Any:
            return boto3.client(service, region_name="us-east-1")

        # The template's LogLevel, not the environment, sets the functions' log level: keep the
        # figures readable.
        stack = EmbeddedStack.start(
            clients,
            creatify_base_url=sim.base_url,
            creatify_credentials=("bench-id", "bench-key"),
            log_level="WARNING",
        )
        try:
            tenant = create_tenant("bench", Deps())
            auth = {"Authorization": f"Bearer {tenant.api_key}", "Content-Type": "application/json"}
            body = json.dumps({"product_url": sim.sample_product_url("sneaker")}).encode()
            started = time.perf_counter()
            ids = []
            for _ in range(count):
                answer = stack.stack.api_request("POST", "/v1/product-videos", headers=auth, body=body)
                ids.append(answer.json()["id"])
            submitted = time.perf_counter() - started
            tasks = Deps().tasks

            def all_done() -> bool:
                return all(tasks.get(i).status.value in ("video_generated", "failed") for i in ids)

            stack.stack.pump(until=all_done, timeout=600)
            elapsed = time.perf_counter() - started
            failed = sum(tasks.get(i).status.value == "failed" for i in ids)
        finally:
            stack.stop()
        calls = len(sim.calls())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"tasks                 {count}")
    print(f"submit (API handler)  {submitted:.2f} s  ({count / submitted:.1f} requests/s)")
    print(f"submit to all videos  {elapsed:.2f} s  ({count / elapsed:.2f} tasks/s)")
    print(f"failed                {failed}")
    print(f"Creatify calls/task   {calls / count:.2f}")
    print(f"peak RSS              {peak_mb:.0f} MiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
