"""The import diet of each function's cold start: what its init and first clients must not load.

Each case starts a fresh interpreter that imports the function's handler as Lambda does and builds
the clients its usual first invocation builds (the same paths `bench/cold_start.py` measures, read
from it), offline, then lists the heavy packages that got loaded. Each package named here costs a
measurable share of the cold start (pydantic and its models about a quarter of the baseline, httpx
about a fifth, Powertools' event handler package about a fifth); a change that brings one back onto
a path fails here,
beside the figure in the bench.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location("cold_start_bench", REPO / "bench" / "cold_start.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BENCH = _bench()

# No function's cold start imports an HTTP package of its own: Creatify, webhooks, media copies
# and the shops are called through urllib3, which botocore has already loaded. Nor X-Ray's SDK.
# Nor pydantic: every function reads plain records (the API's requests and answers too), and
# none Powertools' event handler package (every resolver, asyncio for AppSync's): the API's
# routes are on reelay.http.rest, the webhook functions read their proxy events themselves.
EVERY_FUNCTION = ("httpx", "httpcore", "aws_xray_sdk", "pydantic", "aws_lambda_powertools.event_handler")
# What a function's own path does not need besides.
ALSO_NOT_LOADED: dict[str, tuple[str, ...]] = {
    # One lookup item read: no model is built.
    "authorizer": ("pydantic_core",),
    # A plain job message, tenant profile and history entry (its whole first invocation is
    # held to this in tests/integration/test_delivery_cold_path.py).
    "delivery_worker": ("pydantic_core",),
    # Plain task records read from the stream images, plain jobs and events (its whole first
    # invocation is held to this in tests/integration/test_task_stream_cold_path.py).
    "task_stream": ("pydantic_core",),
    # Creatify's answers and request bodies are plain records, and URLs were checked where they
    # came in (the whole first invocations of all three are held to this in
    # tests/integration/test_provider_cold_path.py).
    "provider_webhook": ("pydantic_core",),
    "provider_worker": ("pydantic_core",),
    "reconciler": ("pydantic_core",),
    # An archive job carries what the copy needs: the task model (and its lifecycle) is read only
    # for a job an older version queued.
    "media_worker": ("pydantic_core", "reelay.models.task"),
    # The shop connection is a plain record; the API's connection models are the API's alone.
    "publish_worker": ("pydantic_core", "reelay.models.connection_api"),
    # A shop's product body and its connection are plain records (the whole first invocations,
    # which load pydantic-core's URL parser for the product's image and nothing else of
    # pydantic, are held to this in tests/integration/test_shop_cold_path.py).
    "shop_webhook": ("pydantic_core", "reelay.models.api", "reelay.models.connection_api"),
    "shop_events": ("pydantic_core", "reelay.models.api", "reelay.models.connection_api"),
}
NOT_LOADED = {name: EVERY_FUNCTION + ALSO_NOT_LOADED.get(name, ()) for name in BENCH.FUNCTIONS}

_PROBE = """
import importlib.util, json, sys
path, touches, watched = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
sys.path.insert(0, path.rsplit("/", 1)[0])
spec = importlib.util.spec_from_file_location("app", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
from reelay.clients.secrets import secrets_client
from reelay.deps import runtime
deps = runtime()
for touch in touches:
    eval(touch)
print(json.dumps(sorted(name for name in watched if name in sys.modules)))
"""


@pytest.mark.parametrize("function", sorted(NOT_LOADED))
def test_a_cold_start_loads_none_of_the_heavy_packages_its_path_does_not_need(function: str) -> None:
    watched = NOT_LOADED[function]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        **BENCH.TEMPLATE_ENV,
        **BENCH.OFFLINE_ENV,
        "PYTHONPATH": str(REPO / "layers" / "reelay"),
    }
    args = [str(REPO / "functions" / function / "app.py"), json.dumps(BENCH.FIRST_CLIENTS[function])]
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _PROBE, *args, json.dumps(watched)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
