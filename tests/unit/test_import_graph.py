"""Nothing that ships (the runtime layer, the handlers, the operator CLI) imports the local extra."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.import_scan import forbidden_imports, imported_modules

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("layers/reelay/reelay", "functions", "cli/reelay_cli")
# The emulator itself and the top-level modules of the `local` extra's requirements.
LOCAL_EXTRA = ("reelay_local", "moto", "av", "PIL", "yaml", "samtranslator")


@pytest.mark.parametrize("package", SHIPPED)
def test_nothing_that_ships_imports_the_local_extra_or_its_dependencies(package: str):
    root = REPO_ROOT / package
    assert len(list(root.rglob("*.py"))) >= 5, f"nothing to scan under {package}"
    assert forbidden_imports(root, LOCAL_EXTRA) == []


def test_the_scan_sees_imports_inside_functions_and_imports_by_name():
    source = (
        "import json\n"
        "from . import sibling\n"
        "def start():\n"
        "    from moto.server import ThreadedMotoServer\n"
        "    import PIL.Image as image\n"
        "    return importlib.import_module('av'), __import__('yaml')\n"
    )
    assert imported_modules(source) == {"json", "moto.server", "PIL.Image", "av", "yaml"}


def test_the_scan_reports_the_file_and_the_module(tmp_path: Path):
    package = tmp_path / "shipped"
    (package / "inner").mkdir(parents=True)
    (package / "inner" / "tool.py").write_text("def f():\n    from reelay_local.aws import stack\n")
    (package / "fine.py").write_text("import avro\nimport reelay\n")

    assert forbidden_imports(package, LOCAL_EXTRA) == ["shipped/inner/tool.py imports reelay_local.aws"]
