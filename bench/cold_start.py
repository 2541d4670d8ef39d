"""Cold start of each function beside boto3's own, as a Lambda instance pays it, with no network.

Each measurement is a fresh interpreter that imports functions/<name>/app.py (the init phase)
and then builds the clients its first invocation builds: it reads the same lazy `runtime()`
dependencies, and their lazy AWS and HTTP clients, that the function's usual first path reads,
without making a call. The baseline is what every boto3 Lambda pays:
`import boto3; boto3.client("dynamodb")`, measured in the same run, interleaved with the
functions so both see the same machine. Interpreter start-up is excluded from the time.

Printed per function: the median of the runs (time) and the median peak RSS (VmHWM from
/proc/self/status: the process's own peak; ru_maxrss would include the parent's), each as a
ratio of the baseline's, beside the goal (at most 1.3x, 1.2x the stretch). The exit status is
1 when a function misses the goal.

AWS is pointed at a dead loopback endpoint with fake credentials; the function's settings are
the template's variables, with made-up values, and Lambda's own AWS_EXECUTION_ENV is set, so the
handlers pause the garbage collector while they start, as they do on Lambda (reelay.startup),
and each measurement ends with the collector resumed as at the end of the first answer, plus
enough new objects for it to run once, so what resuming costs is counted. The baseline does not
pause it; a second baseline that pauses and resumes it the same way is printed beside, with
each function's time against it, so what the pause saves is in plain view.

The layer is measured as it ships. Lambda mounts it read-only, so Python cannot cache bytecode
there, and the build (layers/reelay/Makefile) ships it compiled: Reelay's package is laid out and
compiled by that Makefile's own-code target into a temporary folder, which the measured
processes import from. Its packages come from the interpreter's environment (pip compiled them
when it installed them). The processes run with PYTHONDONTWRITEBYTECODE=1, so nothing they
compile is cached between runs: the functions' own modules (functions/<name>/) are compiled at
every start, as they are on Lambda. `--layer DIR` measures a layer folder as it is instead (its
python/ folder, e.g. one `sam build` made, on a machine of the layer's architecture).

    .venv/bin/python bench/cold_start.py [--repeat 15] [--only api,authorizer] [--python PATH] [--layer DIR]
    .venv/bin/python bench/cold_start.py --parts [--repeat 15] [--python PATH]

`--parts` measures, the same way, what pieces cost on top of the baseline with no Reelay code at
all: another AWS client's service model, Powertools' Logger, pydantic's import and one model
class. Each is a floor for the functions whose first path needs it: a function cannot start
faster than the baseline plus its parts.

`--python` measures with another interpreter, e.g. a python3.12 venv holding the layer's lock
and boto3 (what Lambda runs): the dev venv has packages the layer does not, and some are
imported when present. tests/unit/test_cold_start_imports.py holds each function to the import
diet measured here (no httpx, no X-Ray SDK; no pydantic for any function but the API).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOAL = 1.3
STRETCH = 1.2

# What each function's usual first invocation reads from `runtime()` (see reelay.deps), as
# expressions on `deps`; each builds the botocore or HTTP (urllib3) client behind it. The paths: api
# submits a product (its body read into the request record), authorizer looks up a key,
# provider_webhook applies a callback (signature secret, task, Creatify), provider_worker runs a job
# behind its claim and slot, task_stream dispatches a change (jobs, events, deliveries; the media
# links' secret for an announcement), delivery_worker posts one delivery (its tenant's secrets read,
# no task), media_worker copies one file into the media bucket and settles it (no read), reconciler
# looks at quiet tasks, shop_webhook and shop_events take a product from a shop, publish_worker
# claims a publication and uploads its video to the shop (credentials opened, the archived video's
# S3 object read, the shop's HTTP client built).
CREATIFY = ["deps.creatify", "secrets_client()"]
FIRST_CLIENTS: dict[str, list[str]] = {
    # The body read into its record as the router reads it (URL rules included), then the table.
    "api": [
        "__import__('reelay.models.api', fromlist=['_']).ProductVideoRequest.from_stored("
        "{'product_url': 'https://shop.example.com/p.png', 'webhook_url': 'https://hooks.example.com/v'})",
        "deps.tasks",
    ],
    "authorizer": ["deps.tenants"],
    "provider_webhook": ["deps.tasks", *CREATIFY],
    "provider_worker": [
        "deps.claims",
        "deps.tasks",
        "deps.job_slots",
        "deps.provider_queue.sqs",
        *CREATIFY,
    ],
    "task_stream": [
        "deps.provider_queue.sqs",
        "deps.delivery_queue.sqs",
        "deps.publisher.events",
        "deps.publisher.sns",
        "deps.media_queue.sqs",
        "secrets_client()",  # the media links' signing secret, read for an announcement
    ],
    "delivery_worker": ["deps.tenant_profiles", "deps.deliveries", "deps.webhooks"],
    "media_worker": ["deps.archive_records", "deps.media_copier.s3"],
    "reconciler": ["deps.tasks", "deps.job_slots", "deps.provider_queue.sqs", *CREATIFY],
    "shop_webhook": ["deps.connections", "deps.secret_box.kms", "deps.product_intake"],
    "shop_events": ["deps.connections", "deps.product_intake"],
    "publish_worker": [
        "deps.publications",
        "deps.connections",
        "deps.secret_box.kms",
        "deps.publish_queue.sqs",
        "deps.shop_publishers('shopify')",
        "deps.archived_videos('tasks/t/1/video.mp4', 1, 'video/mp4', 'reelay-1.mp4').key",
        "__import__('reelay.clients.aws', fromlist=['aws_client']).aws_client('s3')",
    ],
}
FUNCTIONS = sorted(FIRST_CLIENTS)

# The template's variables (template.yaml, Globals), with values that need no AWS account.
TEMPLATE_ENV = {
    "TABLE_NAME": "reelay-tasks",
    "PROVIDER_QUEUE_URL": "http://127.0.0.1:9/000000000000/provider",
    "DELIVERY_QUEUE_URL": "http://127.0.0.1:9/000000000000/delivery",
    "PUBLISH_QUEUE_URL": "http://127.0.0.1:9/000000000000/publish",
    "MEDIA_BUCKET": "reelay-media",
    "EVENT_BUS_NAME": "reelay",
    "TOPIC_ARN": "arn:aws:sns:us-east-1:000000000000:reelay",
    "CREATIFY_BASE_URL": "http://127.0.0.1:9",
    "CREATIFY_SECRET_NAME": "reelay/creatify",
    "CALLBACK_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:000000000000:secret:reelay-callback",
    "SHOP_SECRETS_KEY_ID": "alias/reelay-shop-secrets",
    "PUBLIC_BASE_URL": "https://api.example.com",
    "RECONCILE_AFTER_SECONDS": "600",
    "PROVIDER_TIMEOUT_SECONDS": "3600",
    "RETENTION_DAYS": "30",
    "DAILY_CREDIT_BUDGET": "0",
    "MEDIA_QUEUE_URL": "http://127.0.0.1:9/000000000000/media",
    "CREATIFY_READ_TIMEOUT_SECONDS": "8",
    "UNKNOWN_OUTCOME_GRACE_SECONDS": "180",
    "PROVIDER_JOB_LOST_AFTER_SECONDS": "900",
    "POWERTOOLS_SERVICE_NAME": "reelay",
    "POWERTOOLS_METRICS_NAMESPACE": "Reelay",
}
# What Lambda's runtime sets that the code reads: the handlers pause the garbage collector while
# an instance starts only there (reelay.startup).
RUNTIME_ENV = {"AWS_EXECUTION_ENV": "AWS_Lambda_python3.12"}
# No request can leave the machine: every AWS endpoint is a closed loopback port.
OFFLINE_ENV = {
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "AWS_EC2_METADATA_DISABLED": "true",
}

_PEAK_RSS = """
def peak_rss_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
"""

_BASELINE = (
    _PEAK_RSS
    + """
import gc, json, sys, time
paused = sys.argv[1:] == ["paused"]
if paused:
    gc.disable()
started = time.perf_counter()
import boto3
boto3.client("dynamodb")
if paused:  # and resumed as Reelay's handlers resume it (reelay.startup.resume_collection)
    gc.freeze()
    gc.enable()
made_after = [[] for _ in range(2000)]  # enough new objects for the collector to run once
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "rss_kib": peak_rss_kib()}))
"""
)

# What a piece costs on its own, on top of the baseline (--parts), and which functions need it.
PARTS: dict[str, tuple[str, str]] = {
    "+ Powertools Logger": ("every function", "from aws_lambda_powertools import Logger; Logger()"),
    "+ Secrets Manager client": ("Creatify's callers", "boto3.client('secretsmanager')"),
    "+ SQS, EventBridge, SNS clients": (
        "task_stream",
        "boto3.client('sqs'); boto3.client('events'); boto3.client('sns')",
    ),
    "+ S3 client": ("media_worker, publish_worker", "boto3.client('s3')"),
    "+ Logger and an S3 client": (
        "media_worker (its floor)",
        "from aws_lambda_powertools import Logger; Logger(); boto3.client('s3')",
    ),
    "+ S3, KMS, SQS clients": (
        "publish_worker",
        "boto3.client('s3'); boto3.client('kms'); boto3.client('sqs')",
    ),
    "+ import pydantic": ("a function that validates with pydantic (none now)", "import pydantic"),
    "+ one pydantic model": (
        "a function that validates with pydantic (none now)",
        "from pydantic import BaseModel\nclass Item(BaseModel):\n    name: str\n    count: int = 0",
    ),
    "+ validating resolver and model": (
        "the API before it was on records (its floor then, with the Logger)",
        "from aws_lambda_powertools import Logger; Logger()\n"
        "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\n"
        "from pydantic import BaseModel\nclass Item(BaseModel):\n    name: str\n"
        "app = APIGatewayRestResolver(enable_validation=True)\n"
        "@app.post('/items')\ndef create(item: Item) -> Item:\n    return item",
    ),
}

_PART = (
    _PEAK_RSS
    + """
import json, sys, time
started = time.perf_counter()
import boto3
boto3.client("dynamodb")
exec(sys.argv[1])
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "rss_kib": peak_rss_kib()}))
"""
)

_FUNCTION = (
    _PEAK_RSS
    + """
import importlib.util, json, sys, time
path, touches = sys.argv[1], json.loads(sys.argv[2])
sys.path.insert(0, path.rsplit("/", 1)[0])  # as Lambda does: the function's own modules import by name
started = time.perf_counter()
spec = importlib.util.spec_from_file_location("app", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
imported = time.perf_counter() - started
from reelay.clients.secrets import secrets_client
from reelay.deps import runtime
deps = runtime()
for touch in touches:
    eval(touch)
paused = not __import__("gc").isenabled()
# The first answer's tail: the collector resumed as the handler's wrapper does at its end, then
# enough new objects for it to run once (what it walks then is the first invocation's cost too).
try:
    from reelay.startup import resume_collection
except ImportError:  # a layer (--layer) from before the handlers paused the collector
    resume_collection = lambda: None
resume_collection()
made_after = [[] for _ in range(2000)]
seconds = time.perf_counter() - started
loaded = set(sys.modules)
print(json.dumps({
    "seconds": seconds,
    "import_seconds": imported,
    "rss_kib": peak_rss_kib(),
    "xray": any(name.startswith("aws_xray_sdk") for name in loaded),
    "reelay": sys.modules["reelay"].__file__,
    "paused": paused,
}))
"""
)


def _run(python: str, code: str, args: list[str], env: dict[str, str]) -> dict:
    done = subprocess.run([python, "-c", code, *args], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"measurement failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _verdict(ratio: float) -> str:
    return "stretch" if ratio <= STRETCH else "ok" if ratio <= GOAL else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only", default="", help="comma-separated functions (default: all)")
    parser.add_argument(
        "--python", default=sys.executable, help="interpreter for the measured processes (default: this one)"
    )
    parser.add_argument(
        "--parts", action="store_true", help="what single pieces cost on top of the baseline, no Reelay code"
    )
    parser.add_argument(
        "--layer",
        type=Path,
        help="a layer's python/ folder to measure as it is (default: Reelay's, as built)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reelay-layer-") as built:
        layer = args.layer.resolve() if args.layer else _shipped_package(args.python, Path(built))
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))},
            **TEMPLATE_ENV,
            **RUNTIME_ENV,
            **OFFLINE_ENV,
            "PYTHONPATH": str(layer),  # where Lambda puts a layer's python/ (/opt/python)
            "PYTHONDONTWRITEBYTECODE": "1",  # read-only, as Lambda's /opt and /var/task are
        }
        if args.parts:
            return _parts(args.python, args.repeat, env)
        return _functions(args, layer, env)


def _shipped_package(python: str, site: Path) -> Path:
    """Reelay's package laid out and compiled for `python` by the layer's own build."""
    make = ["make", "-s", "-C", str(REPO / "layers" / "reelay"), "own-code"]
    done = subprocess.run([*make, f"SITE={site}", f"LAYER_PYTHON={python}"], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"building the layer's package failed:\n{done.stderr}")
    return site


def _functions(args: argparse.Namespace, layer: Path, env: dict[str, str]) -> int:
    functions = [f for f in args.only.split(",") if f] or FUNCTIONS
    runs: dict[str, list[dict]] = {name: [] for name in ["baseline", "paused", *functions]}
    for _ in range(args.repeat):  # interleaved, so a busy moment touches every column alike
        runs["baseline"].append(_run(args.python, _BASELINE, [], env))
        runs["paused"].append(_run(args.python, _BASELINE, ["paused"], env))
        for function in functions:
            path = str(REPO / "functions" / function / "app.py")
            run = _run(args.python, _FUNCTION, [path, json.dumps(FIRST_CLIENTS[function])], env)
            if not run["reelay"].startswith(f"{layer}/"):  # e.g. an editable install ahead of it
                raise SystemExit(f"measured the wrong Reelay: {run['reelay']}, not the layer's")
            runs[function].append(run)

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[name])

    base_s, base_rss = median("baseline", "seconds"), median("baseline", "rss_kib")
    python = _run(
        args.python, "import json, platform; print(json.dumps({'v': platform.python_version()}))", [], env
    )["v"]
    print(
        f"cold start: init plus the first invocation's clients, median of {args.repeat} fresh "
        f"processes each (Python {python}); goal <= {GOAL}x the baseline, stretch {STRETCH}x"
    )
    print(f"layer: {args.layer or 'Reelay as built (layers/reelay/Makefile: bytecode compiled)'}")
    baseline = 'baseline `import boto3; boto3.client("dynamodb")`'
    print(f"{baseline}: {base_s * 1000:.0f} ms, {base_rss / 1024:.1f} MiB")
    paused_s = median("paused", "seconds")
    print(
        f"the same with the garbage collector paused, as Reelay's handlers start (reelay.startup): "
        f"{paused_s * 1000:.0f} ms; last column: each function's time against that"
    )
    print(
        f"{'function':<17} {'init':>7} {'total':>7} {'time':>6}  {'':<7} {'peak RSS':>9} {'RSS':>6}"
        f"  {'':<7} {'vs paused':>9}"
    )
    missed = xray = False
    for function in functions:
        seconds, rss = median(function, "seconds"), median(function, "rss_kib")
        time_ratio, rss_ratio = seconds / base_s, rss / base_rss
        missed = missed or max(time_ratio, rss_ratio) > GOAL
        xray = xray or any(r["xray"] for r in runs[function])
        print(
            f"{function:<17} {median(function, 'import_seconds') * 1000:5.0f}ms {seconds * 1000:5.0f}ms"
            f" {time_ratio:5.2f}x  {_verdict(time_ratio):<7} {rss / 1024:6.1f}MiB {rss_ratio:5.2f}x"
            f"  {_verdict(rss_ratio):<7} {seconds / paused_s:8.2f}x"
        )
    paused = all(r["paused"] for function in functions for r in runs[function])
    print(f"garbage collector paused while every function started: {'yes' if paused else 'NO'}")
    print(f"aws-xray-sdk imported: {'YES' if xray else 'no'}")
    if missed:
        print(f"goal missed: a function above {GOAL}x the baseline in time or peak RSS")
    return 1 if missed or xray else 0


def _parts(python: str, repeat: int, env: dict[str, str]) -> int:
    runs: dict[str, list[dict]] = {name: [] for name in ["baseline", *PARTS]}
    for _ in range(repeat):
        runs["baseline"].append(_run(python, _BASELINE, [], env))
        for name, (_, code) in PARTS.items():
            runs[name].append(_run(python, _PART, [code], env))
    base_s = statistics.median(r["seconds"] for r in runs["baseline"])
    base_rss = statistics.median(r["rss_kib"] for r in runs["baseline"])
    print(
        f"parts: what each piece alone adds to the baseline ({base_s * 1000:.0f} ms, "
        f"{base_rss / 1024:.1f} MiB), median of {repeat} fresh processes; a function's floor"
    )
    print(f"{'piece':<32} {'time':>6}  {'RSS':>6}  {'goal':>6}  needed by")
    for name, (needed_by, _) in PARTS.items():
        seconds = statistics.median(r["seconds"] for r in runs[name])
        rss = statistics.median(r["rss_kib"] for r in runs[name])
        print(f"{name:<32} {seconds / base_s:5.2f}x  {rss / base_rss:5.2f}x  <={GOAL}x  {needed_by}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
