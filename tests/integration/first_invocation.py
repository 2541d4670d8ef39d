"""A function's whole first invocation in a fresh interpreter, against moto's server on 127.0.0.1.

What `bench/cold_start.py` cannot see: the models and modules the first event itself brings in. The
probe imports the handler as Lambda does, hands it one event with a Lambda-like context, and reports
its answer, which pydantic modules got imported and which Reelay modules were importing when they
were, whether Powertools' event handler package (or asyncio) was loaded, so a test can hold a
function's first invocation to the import diet its cold start was measured with. It runs with
Lambda's AWS_EXECUTION_ENV, and checks on the way that the garbage collector was paused while the
handler was imported and runs again once it answered (reelay.startup). (The `moto_server`
fixture, in this folder's conftest, is the moto server it runs against.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from reelay_local.aws.moto_server import MotoServer

REPO = Path(__file__).resolve().parents[2]

_PROBE = """
import builtins, gc, importlib.util, json, sys
path, event = sys.argv[1], json.loads(sys.argv[2])

# Every import statement naming pydantic or pydantic-core outside their own packages (run again
# for a module already loaded, so a second path to it shows too), with the Reelay modules that
# were running: the importer first, then the modules whose import or call led to it.
importers = []
_import = builtins.__import__

PYDANTIC = ("pydantic", "pydantic_core")

def _watch(name, globals=None, locals=None, fromlist=(), level=0):
    package = name.split(".")[0] if level == 0 else ""
    importer = (globals or {}).get("__name__", "")
    if package in PYDANTIC and importer.split(".")[0] not in PYDANTIC:
        running, frame = [], sys._getframe(1)
        while frame is not None:
            module = frame.f_globals.get("__name__", "")
            if module.split(".")[0] == "reelay" and module not in running:
                running.append(module)
            frame = frame.f_back
        importers.append({"package": package, "importer": importer, "running": running})
    return _import(name, globals, locals, fromlist, level)

builtins.__import__ = _watch
sys.path.insert(0, path.rsplit("/", 1)[0])
spec = importlib.util.spec_from_file_location("app", path)
app = importlib.util.module_from_spec(spec)
spec.loader.exec_module(app)
paused_at_start = not gc.isenabled()

class Context:
    function_name = "ColdPathFunction"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:cold-path"
    aws_request_id = "cold-1"

    def get_remaining_time_in_millis(self):
        return 60_000

answer = app.handler(event, Context())
pydantic = sorted(m for m in sys.modules if m.split(".")[0] in PYDANTIC)
reelay = sorted(m for m in sys.modules if m.split(".")[0] == "reelay")
HANDLERS = ("aws_lambda_powertools.event_handler", "asyncio")
handlers = sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in HANDLERS))
print(json.dumps({
    "answer": answer,
    "pydantic": pydantic,
    "pydantic_importers": importers,
    "reelay": reelay,
    "event_handler": handlers,
    "paused_at_start": paused_at_start,
    "collector_after": gc.isenabled(),
}))
"""


def first_invocation(
    function: str, event: dict[str, Any], moto: MotoServer, settings: dict[str, str]
) -> dict[str, Any]:
    """functions/<function>'s answer to `event`, the pydantic modules it imported doing it (and
    each import statement that named pydantic or pydantic-core, with the Reelay modules running
    then), the Reelay modules it loaded, and the modules of Powertools' event handler package and
    of asyncio it loaded.

    `settings` are the function's environment variables; AWS goes to `moto` with fake credentials.
    """
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "PYTHONPATH": str(REPO / "layers" / "reelay"),
        "POWERTOOLS_SERVICE_NAME": "reelay",
        "POWERTOOLS_METRICS_NAMESPACE": "Reelay",
        **settings,
        "AWS_ENDPOINT_URL": moto.endpoint_url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
    }
    app = str(REPO / "functions" / function / "app.py")
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _PROBE, app, json.dumps(event)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["paused_at_start"], f"{function}: the garbage collector ran while its handler was imported"
    assert seen["collector_after"], f"{function}: the garbage collector stayed paused after its first answer"
    return seen
