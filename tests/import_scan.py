"""Which modules Python source files import, read from their syntax trees: nothing is imported."""

from __future__ import annotations

import ast
from collections.abc import Collection
from pathlib import Path

# Calls that import a module named by a string: importlib.import_module("x"), __import__("x").
_IMPORTING_CALLS = ("import_module", "__import__")


def imported_modules(source: str) -> set[str]:
    """Absolute imports anywhere in `source`: top level, inside functions, or by a literal name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            # A relative import stays inside its own package.
            if node.level == 0 and node.module:
                found.add(node.module)
        elif isinstance(node, ast.Call) and _called_name(node.func) in _IMPORTING_CALLS:
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
    return found


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def forbidden_imports(package: Path, forbidden: Collection[str]) -> list[str]:
    """`path imports module` for every import under `package` whose top-level name is forbidden."""
    offences: list[str] = []
    for path in sorted(package.rglob("*.py")):
        for module in sorted(imported_modules(path.read_text(encoding="utf-8"))):
            if module.split(".")[0] in forbidden:
                offences.append(f"{path.relative_to(package.parent)} imports {module}")
    return offences
