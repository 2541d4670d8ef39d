"""What one video asks of AWS: calls, DynamoDB units, Lambda time and the bill, beside the goals.

Submits N happy-path products with a webhook_url through the embedded stack (moto in-process,
the Creatify simulator and a webhook receiver on 127.0.0.1), runs each to its video and its
delivery, and counts what Reelay's handlers asked of AWS (`reelay_local.aws.aws_calls`:
botocore hooks that ignore the pollers standing in for Lambda's event sources). DynamoDB units
are computed from item sizes and what each of the table's indexes projects (moto reports fixed
figures): an index is written when the item's entry on it changes, at the entry's size. Lambda
GB-seconds use each function's MemorySize from template.yaml and the handler's time here,
which runs against moto on this machine: an estimate of Lambda's billed duration, not a
measurement of it. The reconciler's schedule is not run (its cost is per minute, not per video).

    .venv/bin/python bench/calls_per_video.py [N] [--check]

With --check, exits 1 if a goal was missed. Without it the figures are printed and the exit
status is 0: the goals are not met yet (issue 10 asks for them), and `make bench` runs every
bench script and stops at the first that fails.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import sys
import warnings
from collections import Counter
from functools import cache
from typing import Any

os.environ.update(
    AWS_DEFAULT_REGION="us-east-1",
    AWS_ACCESS_KEY_ID="bench",
    AWS_SECRET_ACCESS_KEY="bench",
    AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled",
    POWERTOOLS_METRICS_DISABLED="true",
)
for _name in [n for n in os.environ if n.startswith(("AWS_ENDPOINT_URL", "AWS_PROFILE"))]:
    del os.environ[_name]

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from reelay.deps import Deps  # noqa: E402
from reelay.logic.tenants import create_tenant  # noqa: E402
from reelay_local.aws.aws_calls import AwsCallLog  # noqa: E402
from reelay_local.aws.embedded import EmbeddedStack  # noqa: E402
from reelay_local.aws.template import load_template  # noqa: E402
from reelay_local.consumers.webhook_receiver import WebhookReceiver  # noqa: E402
from reelay_local.simulators.creatify import CreatifySimulator, SimulatorConfig  # noqa: E402

# Goals per completed video with a delivery (issue 10).
GOAL_CALLS = 12
GOAL_WRITES = 7
GOAL_WRITE_UNITS = 14
CREATIFY_CREDITS_PER_VIDEO = 4  # what the simulator charges, as Creatify does, for one video

# Public on-demand list prices, us-east-1, as AWS's pricing pages gave them in 2025 (DynamoDB's
# after its November 2024 cut); free tiers left out. Check the pages before relying on them.
PRICE_REGION = "us-east-1"
PRICES_AS_OF = "2025 list prices"
PRICES = {
    "lambda_request": 0.20 / 1e6,  # per invocation
    "lambda_gb_second_arm64": 0.0000133334,  # template: Architectures [arm64]
    "dynamodb_write_unit": 0.625 / 1e6,  # on-demand write request unit
    "dynamodb_read_unit": 0.125 / 1e6,  # on-demand read request unit
    "sqs_request": 0.40 / 1e6,  # standard queue, per 64 KB chunk
    "sns_publish": 0.50 / 1e6,  # per 64 KB chunk; delivery to SQS is free
    "eventbridge_event": 1.00 / 1e6,  # custom event, per 64 KB chunk
    "secretsmanager_call": 0.05 / 1e4,
    "kms_request": 0.03 / 1e4,
    "apigateway_request": 3.50 / 1e6,  # REST API, first 333 million a month
    "xray_trace": 5.00 / 1e6,  # Tracing: Active; one trace per invocation at most
}
# The event source mappings' own calls are not handler calls and are not counted as such:
# their stream reads are free for a Lambda trigger, while their SQS receives and deletes are
# billed, so the cost below counts one receive and one delete beside each message sent.


def memory_sizes() -> dict[str, int]:
    """MemorySize per function logical id, as template.yaml states it."""
    resources = load_template()["Resources"]
    return {
        logical_id: int(resource["Properties"]["MemorySize"])
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def run(count: int) -> tuple[AwsCallLog, dict[str, str], int, float]:
    """The call log, function name -> logical id, deliveries received and credits spent."""
    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Tried to parse AWS")
    warnings.filterwarnings("ignore", message="No application metrics")
    # Before any client is made: a client copies its session's hooks when it is made.
    log = AwsCallLog().install()
    with CreatifySimulator(SimulatorConfig(image_seconds=0.2, video_seconds=0.3)) as sim, mock_aws():
        sim.add_account("bench-id", "bench-key", credits=10 * count)

        @cache
        def clients(service: str) -> Any:
            return boto3.client(service, region_name="us-east-1")

        stack = EmbeddedStack.start(
            clients,
            creatify_base_url=sim.base_url,
            creatify_credentials=("bench-id", "bench-key"),
            log_level="WARNING",
            topic_filter={"status": ["video_generated", "failed"]},
        )
        names = {spec.name: logical_id for logical_id, spec in stack.deployed.functions.items()}
        try:
            tenant = create_tenant("bench", Deps())
            auth = {"Authorization": f"Bearer {tenant.api_key}", "Content-Type": "application/json"}
            with WebhookReceiver(secret=tenant.webhook_secret) as receiver:
                body = json.dumps(
                    {"product_url": sim.sample_product_url("sneaker"), "webhook_url": receiver.url}
                ).encode()
                for _ in range(count):
                    answer = stack.stack.api_request("POST", "/v1/product-videos", headers=auth, body=body)
                    if answer.status != 201:
                        raise SystemExit(f"submit answered {answer.status}: {answer.body!r}")
                stack.stack.pump(until=lambda: len(receiver.received) >= count, timeout=600)
                stack.stack.pump()  # the records the deliveries wrote, until the stack is quiet
                delivered = len(receiver.received)
        finally:
            stack.stop()
            log.uninstall()
        spent = 10 * count - sim.credits("bench-id")
    return log, names, delivered, spent


def report(count: int, log: AwsCallLog, names: dict[str, str], delivered: int, spent: float) -> bool:
    memory = memory_sizes()

    def per(value: float) -> float:
        return value / count

    def line(label: str, value: float, goal: str = "") -> None:
        print(f"  {label:<52} {value:>9.2f}  {goal}")

    machine = f"{platform.machine()}, Python {platform.python_version()}"
    print(f"videos {count}, deliveries received {delivered}; {machine}")
    print("\nAWS calls per video, by function, service and operation")
    by_function: Counter[str] = Counter()
    for (function, service, operation), n in sorted(log.calls.items(), key=lambda kv: names[kv[0][0]]):
        line(f"{names[function]:<22} {service}:{operation}", per(n))
        by_function[names[function]] += n
    by_service: Counter[str] = Counter()
    for (_, service, operation), n in log.calls.items():
        by_service[f"{service}:{operation}"] += n
    print("\nAWS calls per video, by service and operation")
    for name, n in sorted(by_service.items(), key=lambda kv: -kv[1]):
        line(name, per(n))

    total_calls = per(sum(log.calls.values()))
    authorizer_calls = per(by_function["AuthorizerFunction"])
    dynamo_writes = per(sum(n for (_, s, op), n in log.calls.items() if s == "dynamodb" and op in _WRITES))
    item_writes = per(sum(log.item_writes.values()))
    wcu = per(sum(log.write_units.values()))
    rcu = per(sum(log.read_units.values()))
    print("\nDynamoDB items written and write units per video, by function, operation and item")
    print(f"  {'(indexes included; 2x in a transaction)':<44} {'items':>9}  {'units':>6}")
    for key, units in sorted(log.write_units.items(), key=lambda kv: (names[kv[0][0]], -kv[1])):
        function, operation, kind = key
        label = f"{names[function].removesuffix('Function'):<15} {operation:<18} {kind}"
        print(f"  {label:<44} {per(log.item_writes[key]):>9.2f}  {per(units):>6.2f}")
    landed = ", ".join(f"{target} {per(n):.2f}" for target, n in sorted(log.units_by_target.items()))
    print(f"  where they land: {landed}")
    print("\nDynamoDB read units per video, by function, operation and item")
    for (function, operation, kind), units in sorted(log.read_units.items(), key=lambda kv: -kv[1]):
        line(f"{names[function].removesuffix('Function'):<15} {operation:<10} {kind}", per(units))

    print("\nLambda per video (time is this machine's against moto: an estimate)")
    gb_seconds = 0.0
    for function, n in sorted(log.invocations.items(), key=lambda kv: names[kv[0]]):
        logical_id = names[function]
        gbs = log.seconds[function] * memory[logical_id] / 1024
        gb_seconds += gbs
        print(
            f"  {logical_id:<24} {per(n):5.2f} invocations  {memory[logical_id]:>5} MB"
            f"  {1000 * log.seconds[function] / n:7.1f} ms each  {per(gbs):.4f} GB-s"
        )
    invocations = per(sum(log.invocations.values()))

    ok = {
        "calls": total_calls <= GOAL_CALLS,
        "writes": dynamo_writes <= GOAL_WRITES,
        "wcu": wcu <= GOAL_WRITE_UNITS,
        "delivered": delivered >= count,
    }
    print("\nPer completed video with a delivery, beside the goals")
    line("AWS calls (authorizer included)", total_calls, f"goal <= {GOAL_CALLS}  {_mark(ok['calls'])}")
    line("  of which the authorizer (ReauthorizeEvery: 0)", authorizer_calls, "(a cache would save them)")
    line("DynamoDB write calls", dynamo_writes, f"goal <= {GOAL_WRITES}  {_mark(ok['writes'])}")
    line("DynamoDB items written", item_writes)
    line(
        "DynamoDB write units (indexes, 2x in transactions)",
        wcu,
        f"goal <= {GOAL_WRITE_UNITS}  {_mark(ok['wcu'])}",
    )
    line("DynamoDB read units", rcu)
    line("Lambda invocations", invocations)
    line("Lambda GB-seconds (estimate)", per(gb_seconds))
    line("Creatify credits", per(spent), f"({CREATIFY_CREDITS_PER_VIDEO} per video)")

    callbacks = per(sum(n for f, n in log.invocations.items() if names[f] == "ProviderWebhookFunction"))
    # SQS and SNS bill a batch of up to ten (in 64 KB chunks) as one request; EventBridge bills
    # each event, whatever call carried it.
    sqs_sends = per(by_service["sqs:SendMessage"] + by_service["sqs:SendMessageBatch"])
    sqs_messages = per(log.entries[("sqs", "SendMessage")] + log.entries[("sqs", "SendMessageBatch")])
    sns_requests = per(by_service["sns:Publish"] + by_service["sns:PublishBatch"])
    costs = {
        "Lambda requests": invocations * PRICES["lambda_request"],
        "Lambda GB-seconds (arm64)": per(gb_seconds) * PRICES["lambda_gb_second_arm64"],
        "DynamoDB writes": wcu * PRICES["dynamodb_write_unit"],
        "DynamoDB reads": rcu * PRICES["dynamodb_read_unit"],
        # The handlers' sends, and a receive and a delete by the mapping for each message (it
        # batches those too: this counts high).
        "SQS (send, receive, delete)": (sqs_sends + 2 * sqs_messages) * PRICES["sqs_request"],
        "SNS publishes": sns_requests * PRICES["sns_publish"],
        "EventBridge events": per(log.entries[("events", "PutEvents")]) * PRICES["eventbridge_event"],
        "Secrets Manager calls": per(by_service["secretsmanager:GetSecretValue"])
        * PRICES["secretsmanager_call"],
        "KMS requests": per(sum(n for k, n in by_service.items() if k.startswith("kms:")))
        * PRICES["kms_request"],
        # The submit, and Creatify's callbacks (they come through the API too).
        "API Gateway requests": (1 + callbacks) * PRICES["apigateway_request"],
        "X-Ray traces": invocations * PRICES["xray_trace"],
    }
    print(f"\nAWS cost per 1,000 videos, {PRICE_REGION} on-demand ({PRICES_AS_OF}, in the script)")
    for name, cost in costs.items():
        print(f"  {name:<52} ${1000 * cost:9.4f}")
    print(f"  {'total':<52} ${1000 * sum(costs.values()):9.4f}")
    print(f"  beside Creatify: {1000 * per(spent):,.0f} credits per 1,000 videos")
    return all(ok.values())


_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


def _mark(met: bool) -> str:
    return "met" if met else "MISSED"


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("videos", nargs="?", type=int, default=20, help="videos to make (default 20)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a goal was missed")
    args = parser.parse_args(argv)
    if args.videos < 1:
        parser.error("make at least one video")
    log, names, delivered, spent = run(args.videos)
    met = report(args.videos, log, names, delivered, spent)
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
