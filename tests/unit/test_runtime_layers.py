"""The runtime's rooms stay apart: logic decides, the DAL and clients carry out, nothing crosses back.

Read from the source (every import, including those inside functions and TYPE_CHECKING
blocks), so a lazy import cannot hide a dependency the layout forbids.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

RUNTIME = Path(__file__).resolve().parents[2] / "layers" / "reelay" / "reelay"
# Past this a module holds more than one idea (the house style's rule of thumb).
MAX_MODULE_LINES = 400


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # `from reelay import dal` imports the package itself.
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def modules_in(package: str) -> list[Path]:
    return sorted((RUNTIME / package).glob("*.py"))


def reaches(names: set[str], package: str) -> set[str]:
    return {n for n in names if n == package or n.startswith(package + ".")}


@pytest.mark.parametrize("path", modules_in("logic"), ids=lambda p: p.name)
def test_logic_imports_no_data_access_or_client_module(path: Path) -> None:
    names = imported_modules(path)
    assert reaches(names, "reelay.dal") == set()
    assert reaches(names, "reelay.clients") == set()


@pytest.mark.parametrize(
    "path",
    modules_in("dal") + modules_in("clients") + modules_in("ports"),
    ids=lambda p: p.parent.name + "/" + p.name,
)
def test_stores_clients_and_ports_import_no_logic(path: Path) -> None:
    assert reaches(imported_modules(path), "reelay.logic") == set()


def test_the_import_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f():\n    from reelay.dal.tasks import TaskRepository\n    import reelay.clients.aws\n"
    )
    assert reaches(imported_modules(sample), "reelay.dal") == {
        "reelay.dal.tasks",
        "reelay.dal.tasks.TaskRepository",
    }
    assert reaches(imported_modules(sample), "reelay.clients") == {"reelay.clients.aws"}


def test_no_runtime_module_holds_more_than_one_idea_by_length() -> None:
    long = {
        str(path.relative_to(RUNTIME)): lines
        for path in RUNTIME.rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_what_happens_on_image_generated_is_decided_in_the_lifecycle_module_only() -> None:
    """Outside the models (the status itself, its rank, its event name) only the lifecycle names it."""
    handlers = RUNTIME.parents[2] / "functions"
    naming = {
        str(path.relative_to(RUNTIME.parents[2]))
        for path in [*RUNTIME.rglob("*.py"), *handlers.rglob("*.py")]
        if any(
            isinstance(node, ast.Attribute) and node.attr == "IMAGE_GENERATED"
            for node in ast.walk(ast.parse(path.read_text()))
        )
    }
    models = {f"layers/reelay/reelay/models/{name}.py" for name in ("upstream", "status", "events")}
    assert naming - models == {"layers/reelay/reelay/logic/task_lifecycle.py"}
