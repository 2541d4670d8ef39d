"""Every handler starts with the garbage collector paused, in Lambda only, until its first answer.

reelay.startup pauses Python's cyclic collector while an instance imports and builds its first
clients (bench/cold_start.py measures what that saves). These checks hold each handler module to
importing it first and wrapping its handler, and the module to pausing only under Lambda's
runtime and to running the collector again after a handler returns or raises.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HANDLERS = sorted((REPO / "functions").glob("*/app.py"))

_PROBE = """
import gc
from reelay.startup import resumes_collector

paused = not gc.isenabled()

@resumes_collector
def answers(event, context):
    assert gc.isenabled() != paused  # paused (in Lambda) until this first answer returns
    return {"ok": event}

@resumes_collector
def fails(event, context):
    raise ValueError(event)

print(paused, answers(1, None) == {"ok": 1}, gc.isenabled(), answers.__name__)
gc.disable()
try:
    fails(2, None)
except ValueError:
    pass
print(gc.isenabled())
"""


def _probe(execution_env: str | None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "AWS_EXECUTION_ENV"}
    env["PYTHONPATH"] = str(REPO / "layers" / "reelay")
    if execution_env is not None:
        env["AWS_EXECUTION_ENV"] = execution_env
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env, check=True, timeout=30
    )
    return done.stdout.split()


def test_in_lambda_the_collector_is_paused_until_the_first_answer_then_runs_even_after_a_raise() -> None:
    assert _probe("AWS_Lambda_python3.12") == ["True", "True", "True", "answers", "True"]


@pytest.mark.parametrize("execution_env", [None, "", "CloudShell"])
def test_outside_lambda_importing_a_handler_leaves_the_collector_alone(execution_env: str | None) -> None:
    paused, answered, running, name, _ = _probe(execution_env)
    assert (paused, answered, running, name) == ("False", "True", "True", "answers")


def _imports(module: ast.Module) -> list[ast.stmt]:
    return [node for node in module.body if isinstance(node, ast.Import | ast.ImportFrom)]


@pytest.mark.parametrize("app", HANDLERS, ids=lambda p: p.parent.name)
def test_each_handler_module_imports_startup_before_anything_else(app: Path) -> None:
    imports = [node for node in _imports(ast.parse(app.read_text())) if node.module != "__future__"]
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
