"""Peak memory of each function, measured the way its MemorySize in template.yaml was chosen.

For every function: a fresh interpreter imports functions/<name>/app.py as Lambda does, then
invokes its handler with each of its sample events under events/ in turn (a warm instance
serving its routes), and reports its peak resident set size (the kernel's VmHWM) after the
import and after the invocations. The invocations take their real paths: the template is
deployed into a moto server on 127.0.0.1, the Creatify simulator answers, and the samples'
tenant, task and shop connections exist (as in tests/integration/test_sample_events.py).
The baseline is a fresh interpreter that runs `import boto3; boto3.client("dynamodb")`.

Prints each figure beside the function's MemorySize and the headroom it leaves; exits 1 if a
function's MemorySize is below twice its peak plus Lambda's runtime allowance (the rule the
template's sizes follow; README, "Memory per function").

    .venv/bin/python bench/memory_size.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

EVENTS_DIR = REPO / "events"
SAMPLE_API_KEY = "rly_sample-api-key-for-local-invokes-only"
SAMPLE_TENANT = "acme-shoes"
SAMPLE_TASK = "3f1c2b7e-8a4d-5c6f-9e0b-1a2b3c4d5e6f"
SIM_API_ID, SIM_API_KEY = "sim-api-id", "sim-api-key"
# Function directory -> the template's function (sample files are named after the directory).
FUNCTIONS = {
    "api": "ApiFunction",
    "authorizer": "AuthorizerFunction",
    "delivery_worker": "DeliveryWorkerFunction",
    "media_worker": "MediaWorkerFunction",
    "provider_webhook": "ProviderWebhookFunction",
    "provider_worker": "ProviderWorkerFunction",
    "publish_worker": "PublishWorkerFunction",
    "reconciler": "ReconcilerFunction",
    "shop_events": "ShopEventsFunction",
    "shop_webhook": "ShopWebhookFunction",
    "task_stream": "TaskStreamFunction",
}
SAMPLE_CONNECTIONS = (
    (
        "con_5a3f0c2e9b1d4e7a",
        "shopify",
        "acme-shoes.myshopify.com",
        "shpss_sample-secret-for-local-invokes-only",
    ),
    (
        "con_8c1e6b2d0f4a9e3b",
        "woocommerce",
        "https://shop.acme-shoes.example",
        "wc_sample-secret-for-local-invokes-only",
    ),
)
# What Lambda's python3.12 runtime holds beside the handler (its bootstrap and runtime client): a
# hello-world function commonly reports 30-40 MB "Max Memory Used"; a bare interpreter peaks at 9 MiB.
RUNTIME_ALLOWANCE_MB = 30
HEADROOM = 2.0
PARENT_ONLY_ENV = {"POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true"}

# Runs in a fresh interpreter: import the handler as Lambda does, invoke it with each event.
_CHILD = r"""
import importlib.util, json, sys, uuid

def peak_mb():
    # VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over from the forked parent
    # through exec, so a child of a large process would report the parent's peak.
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024

class Context:
    function_name = sys.argv[2]
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    aws_request_id = str(uuid.uuid4())
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + function_name
    log_group_name = "/aws/lambda/" + function_name
    log_stream_name = "bench"
    def get_remaining_time_in_millis(self):
        return 30000

started = peak_mb()
code = sys.argv[1]
sys.path.insert(0, code)
spec = importlib.util.spec_from_file_location("app", code + "/app.py")
app = importlib.util.module_from_spec(spec)
spec.loader.exec_module(app)
imported = peak_mb()
answers = []
for path in sys.argv[3:]:
    with open(path) as f:
        event = json.load(f)
    try:
        answer = app.handler(event, Context())
    except Exception as exc:  # the authorizer answers "no" by raising
        answer = {"raised": type(exc).__name__}
    if isinstance(answer, dict):
        for key in ("statusCode", "batchItemFailures", "principalId", "result"):
            if key in answer:
                answer = answer[key]
                break
        else:  # the reconciler's report: its counts
            answer = {k: v for k, v in answer.items() if isinstance(v, int)}
    answers.append(answer)
print(json.dumps({"start": started, "imported": imported, "invoked": peak_mb(), "answers": answers}))
"""

_BASELINE = r"""
import json
import boto3
boto3.client("dynamodb", region_name="us-east-1")
with open("/proc/self/status") as f:
    peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
print(json.dumps({"invoked": peak}))
"""


def child(python: str, code: str, args: list[str], env: dict[str, str]) -> dict:
    done = subprocess.run([python, "-c", code, *args], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"measurement failed: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def template_memory() -> dict[str, int]:
    from reelay_local.aws.template import load_template

    template = load_template()
    default = template.get("Globals", {}).get("Function", {}).get("MemorySize", 128)
    return {
        logical_id: resource["Properties"].get("MemorySize", default)
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def samples_for(function: str) -> list[Path]:
    others = [name for name in FUNCTIONS if name != function and name.startswith(function)]
    return [
        path
        for path in sorted(EVENTS_DIR.glob(f"{function}*.json"))
        if not any(path.stem.startswith(other) for other in others)
    ]


def create_sample_world(simulator, receiver_url: str, receiver_secret: str) -> None:
    """The samples' tenant, task (its image generated at the simulator) and shop connections."""
    import time

    from reelay.clients.creatify import CreatifyClient
    from reelay.clients.creatify_credentials import CreatifyCredentials
    from reelay.deps import runtime
    from reelay.logic.connection_secrets import secret_context
    from reelay.models.connection import Platform, ShopConnection
    from reelay.models.task import Task
    from reelay.models.tenant import Tenant
    from reelay.models.upstream import GenImageRequest
    from reelay.security.api_keys import hash_api_key

    deps = runtime()
    deps.tenants.create(
        Tenant(
            tenant_id=SAMPLE_TENANT,
            name="Acme Shoes",
            api_key_hash=hash_api_key(SAMPLE_API_KEY),
            webhook_secret=receiver_secret,
        )
    )
    with CreatifyClient(CreatifyCredentials(SIM_API_ID, SIM_API_KEY), base_url=simulator.base_url) as api:
        remote = api.gen_image(GenImageRequest(product_url=simulator.sample_product_url()))
    deadline = time.monotonic() + 10
    while simulator.task(str(remote.id))["status"] != "image_generated":
        if time.monotonic() > deadline:
            raise SystemExit("the simulator never generated the sample's image")
        time.sleep(0.05)
    deps.tasks.create(
        Task(
            id=SAMPLE_TASK,
            tenant_id=SAMPLE_TENANT,
            status="image_generated",
            product_url=simulator.sample_product_url(),
            webhook_url=receiver_url,
            auto_video=False,
            provider_task_id=str(remote.id),
        ),
        stays_open=False,
    )
    for connection_id, kind, shop, shop_secret in SAMPLE_CONNECTIONS:
        deps.connections.create(
            ShopConnection(
                id=connection_id,
                tenant_id=SAMPLE_TENANT,
                platform=Platform(kind),
                shop=shop,
                sealed_secret=deps.secret_box.seal(shop_secret, secret_context(SAMPLE_TENANT, connection_id)),
            )
        )


def provider_job_samples(directory: Path, product_url: str, count: int) -> list[Path]:
    """The provider_worker sample, each copy for a new task of its own: every process pays Creatify.

    (The sample's own task already has its image, so its job would be skipped as done.)
    """
    import uuid

    from reelay.deps import runtime
    from reelay.models.task import Task

    event = json.loads((EVENTS_DIR / "provider_worker.json").read_text())
    paths = []
    for number in range(count):
        task = Task(id=str(uuid.uuid4()), tenant_id=SAMPLE_TENANT, product_url=product_url, auto_video=False)
        runtime().tasks.create(task, stays_open=True)
        body = json.loads(event["Records"][0]["body"])
        event["Records"][0]["body"] = json.dumps({**body, "task_id": task.id})
        path = directory / f"provider_worker_{number}.json"
        path.write_text(json.dumps(event))
        paths.append(path)
    return paths


def signed_webhook_sample(directory: Path) -> Path:
    """The provider_webhook sample, signed with this deployment's key (the file's is another's)."""
    from reelay.deps import runtime

    event = json.loads((EVENTS_DIR / "provider_webhook.json").read_text())
    sig = runtime().callback_signer.sign(SAMPLE_TASK)
    event["queryStringParameters"]["sig"] = sig
    event["multiValueQueryStringParameters"]["sig"] = [sig]
    path = directory / "provider_webhook.json"
    path.write_text(json.dumps(event))
    return path


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per function (peak kept)")
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter for the measured processes, e.g. a python3.12 venv with the layer's lock "
        "and boto3 installed (default: this one)",
    )
    args = parser.parse_args()

    from reelay.security.webhook_signing import new_secret
    from reelay_local.aws.embedded import EmbeddedStack
    from reelay_local.aws.moto_server import MotoServer
    from reelay_local.consumers.webhook_receiver import WebhookReceiver
    from reelay_local.simulators.creatify import CreatifySimulator, SimulatorConfig

    sizes = template_memory()
    # moto's request log and its notes on resources its CloudFormation skips.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Tried to parse AWS")
    with contextlib.ExitStack() as running:
        moto = running.enter_context(MotoServer())
        simulator = running.enter_context(
            CreatifySimulator(SimulatorConfig(image_seconds=0.2, video_seconds=0.3, seed=7))
        )
        secret = new_secret()
        receiver = running.enter_context(WebhookReceiver(secret=secret))
        embedded = EmbeddedStack.start(
            moto.clients,
            creatify_base_url=simulator.base_url,
            creatify_credentials=(SIM_API_ID, SIM_API_KEY),
            stage="bench",
            # Quiet here: Creatify's callbacks reach this process's own handlers, and their logs
            # and metrics would run into the table. The measured processes get the template's.
            extra_env=PARENT_ONLY_ENV,
        )
        running.callback(embedded.stop)
        work = Path(running.enter_context(tempfile.TemporaryDirectory(prefix="reelay-memory-")))
        create_sample_world(simulator, receiver.url, secret)
        signed = signed_webhook_sample(work)
        jobs = provider_job_samples(work, simulator.sample_product_url(), args.repeat)
        # The function's settings are in os.environ (the local stack put them there, as Lambda
        # would); the layer's code is on the path as /opt/python is in Lambda, and Lambda's own
        # variable is set, so the garbage collector is paused until the first answer, as there.
        env = {
            **{k: v for k, v in os.environ.items() if k not in PARENT_ONLY_ENV},
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
            "POWERTOOLS_LOG_LEVEL": "INFO",
            "REELAY_ALLOW_LOOPBACK_WEBHOOKS": "true",
            "PYTHONPATH": str(REPO / "layers" / "reelay"),
        }
        version = child(
            args.python, "import json, platform; print(json.dumps(platform.python_version()))", [], env
        )
        base = max(child(args.python, _BASELINE, [], env)["invoked"] for _ in range(args.repeat))
        print(f"machine: {os.uname().machine}, Python {version}; {args.repeat} fresh processes each")
        print(f"baseline (import boto3; boto3.client('dynamodb')): peak RSS {base:.1f} MiB\n")
        print(
            f"{'function':<18}{'import':>9}{'+invoke':>9}{'vs base':>9}{'needs':>8}{'MemorySize':>12}"
            "  Creatify calls; samples -> answers (first process)"
        )
        short = []
        for function, logical_id in FUNCTIONS.items():
            events = [str(signed) if p.stem == "provider_webhook" else str(p) for p in samples_for(function)]
            # The reconciler's work is the open tasks gone quiet: with 0 s, every open task (the
            # api samples' new ones among them) is re-read from Creatify, however fast this runs.
            own_env = {**env, "RECONCILE_AFTER_SECONDS": "0"} if function == "reconciler" else env
            calls_before = len(simulator.calls())
            runs = [
                child(
                    args.python,
                    _CHILD,
                    [
                        str(REPO / "functions" / function),
                        function,
                        *([str(jobs[number])] if function == "provider_worker" else events),
                    ],
                    own_env,
                )
                for number in range(args.repeat)
            ]
            creatify_calls = len(simulator.calls()) - calls_before
            imported = max(r["imported"] for r in runs)
            invoked = max(r["invoked"] for r in runs)
            needs = HEADROOM * invoked + RUNTIME_ALLOWANCE_MB
            size = sizes[logical_id]
            answers = ", ".join(
                f"{Path(e).stem.removeprefix(function).strip('_') or function}={a}"
                for e, a in zip(events, runs[0]["answers"], strict=True)
            )
            mark = "" if size >= needs else "  <- below the rule"
            if size < needs:
                short.append(function)
            print(
                f"{function:<18}{imported:>8.1f}M{invoked:>8.1f}M{invoked / base:>8.2f}x"
                f"{needs:>7.0f}M{size:>10} MB  {creatify_calls}; {answers}{mark}"
            )
        print(
            f"\nneeds = {HEADROOM:g} x peak + {RUNTIME_ALLOWANCE_MB} MiB for Lambda's runtime; "
            f"goal: every MemorySize >= needs ({'met' if not short else 'missed: ' + ', '.join(short)})"
        )
        return 1 if short else 0


if __name__ == "__main__":
    raise SystemExit(main())
