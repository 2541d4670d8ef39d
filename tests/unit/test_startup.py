"""Every handler starts with the garbage collector paused, in Lambda only, until its first answer.

reelay.startup pauses Python's cyclic collector while an instance imports and builds its first
clients (bench/cold_start.py measures what that saves). These checks hold each handler module to
importing it first and wrapping its handler, and the module to pausing only under Lambda's
runtime and to running the collector again after a handler returns or raises.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HANDLERS = sorted((REPO / "functions").glob("*/app.py"))

_PROBE = """
import gc, json, sys
from reelay.startup import resumes_collector

seen = {"paused_at_import": not gc.isenabled()}

@resumes_collector
def answers(event, context):
    seen["paused_while_answering"] = not gc.isenabled()
    return {"ok": event}

@resumes_collector
def fails(event, context):
    raise ValueError(event)

startup = [{} for _ in range(5000)]  # what a start makes and keeps
seen["answer"] = answers(1, None)
seen["running_after"] = gc.isenabled()
seen["frozen"] = gc.get_freeze_count()
seen["wrapped"] = answers.__name__ == "answers" and hasattr(answers, "__wrapped__")
if sys.argv[1] == "raise":
    gc.disable()
    try:
        fails(2, None)
    except ValueError:
        pass
    seen["running_after_a_raise"] = gc.isenabled()
print(json.dumps(seen))
"""


def _probe(execution_env: str | None, then: str = "") -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "AWS_EXECUTION_ENV"}
    env["PYTHONPATH"] = str(REPO / "layers" / "reelay")
    if execution_env is not None:
        env["AWS_EXECUTION_ENV"] = execution_env
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _PROBE, then], capture_output=True, text=True, env=env, check=True, timeout=30
    )
    return json.loads(done.stdout)


def test_in_lambda_the_collector_is_paused_until_the_first_answer_and_what_the_start_made_is_frozen() -> None:
    seen = _probe("AWS_Lambda_python3.12")
    assert seen["paused_at_import"] and seen["paused_while_answering"]
    assert seen["answer"] == {"ok": 1} and seen["wrapped"]
    assert seen["running_after"]
    # Frozen, the start's objects are not walked again by the collection that follows.
    assert seen["frozen"] >= 5000


def test_in_lambda_a_raise_resumes_the_collector_too() -> None:
    assert _probe("AWS_Lambda_python3.12", then="raise")["running_after_a_raise"]


@pytest.mark.parametrize("execution_env", [None, "", "CloudShell"])
def test_outside_lambda_neither_the_import_nor_the_handler_touches_the_collector(
    execution_env: str | None,
) -> None:
    seen = _probe(execution_env, then="raise")
    assert not seen["paused_at_import"] and not seen["paused_while_answering"]
    assert seen["answer"] == {"ok": 1} and seen["running_after"]
    assert seen["frozen"] == 0 and not seen["wrapped"]
    # A caller's own pause is left alone.
    assert seen["running_after_a_raise"] is False


def _imports(module: ast.Module) -> list[ast.stmt]:
    return [node for node in module.body if isinstance(node, ast.Import | ast.ImportFrom)]


@pytest.mark.parametrize("app", HANDLERS, ids=lambda p: p.parent.name)
def test_each_handler_module_imports_startup_before_anything_else(app: Path) -> None:
    imports = [
        node for node in _imports(ast.parse(app.read_text())) if getattr(node, "module", None) != "__future__"
    ]
    first = imports[0]
    assert isinstance(first, ast.ImportFrom) and first.module == "reelay.startup", (
        f"{app.parent.name}: its first import is not reelay.startup, so the collector runs while it starts"
    )


@pytest.mark.parametrize("app", HANDLERS, ids=lambda p: p.parent.name)
def test_each_handler_resumes_the_collector_outermost(app: Path) -> None:
    module = ast.parse(app.read_text())
    handler = next(n for n in module.body if isinstance(n, ast.FunctionDef) and n.name == "handler")
    outermost = handler.decorator_list[0]
    assert isinstance(outermost, ast.Name) and outermost.id == "resumes_collector", (
        f"{app.parent.name}: its handler is not wrapped in resumes_collector first"
    )
