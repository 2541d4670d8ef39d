"""Which environment variables each function's code path reads, found in its syntax trees.

A function's path starts at functions/<name>/app.py and follows every import into the runtime
(top level, inside functions, sibling modules of the handler). `reelay.deps` is followed per
dependency: a `Deps` property's lazy imports, and the settings it needs, count only for a
function whose code asks for that property (`deps.tasks`, `runtime().creatify`, ...). What
counts as read:

- a `Settings` field the path touches (`settings.require("table_name")`, `.public_base_url`,
  or a `Settings` property reading fields), mapped to its variable through `config.settings()`;
- a literal name in `os.environ.get(...)`, `os.environ[...]` or `os.getenv(...)`;
- what Powertools reads for each `Logger`, `Metrics` or `Tracer` the path builds without the
  explicit argument that would replace the variable.

Attribute names are matched by name, so the result may count a field the path only names
elsewhere: it errs towards asking the template for more, never less.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from aws_lambda_powertools.shared import constants

REPO = Path(__file__).resolve().parents[1]
LAYER = REPO / "layers" / "reelay"
CONFIG_MODULE = "reelay.config"
DEPS_MODULE = "reelay.deps"

# What Powertools reads for an object built without the argument that replaces the variable.
POWERTOOLS_READS: dict[str, dict[str, str]] = {
    "Logger": {"service": constants.SERVICE_NAME_ENV, "level": constants.POWERTOOLS_LOG_LEVEL_ENV},
    "Metrics": {"namespace": constants.METRICS_NAMESPACE_ENV, "service": constants.SERVICE_NAME_ENV},
    "Tracer": {"service": constants.SERVICE_NAME_ENV},
}


@dataclass(frozen=True)
class Module:
    name: str
    path: Path

    @property
    def tree(self) -> ast.Module:
        return _parse(self.path)


@cache
def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _runtime_module(name: str) -> Module | None:
    base = LAYER.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return Module(name, path)
    return None


def _imported_names(nodes: Iterable[ast.AST]) -> set[str]:
    """Module names the import statements among `nodes` may load (`from a import b`: a and a.b)."""
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _resolve(name: str, function_dir: Path) -> list[Module]:
    """The runtime or handler-directory modules `name` loads, its parent packages included."""
    if name.split(".")[0] == "reelay":
        parts = name.split(".")
        found = [_runtime_module(".".join(parts[:i])) for i in range(1, len(parts) + 1)]
        return [m for m in found if m is not None]
    sibling = function_dir / f"{name}.py"
    return [Module(name, sibling)] if "." not in name and sibling.is_file() else []


def _string_args(node: ast.Call) -> list[str]:
    return [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]


def _attributes(nodes: Iterable[ast.AST]) -> set[str]:
    return {n.attr for n in nodes if isinstance(n, ast.Attribute)}


def _required(nodes: Iterable[ast.AST]) -> set[str]:
    """Field names passed to `.require("...")`."""
    return {
        arg
        for n in nodes
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "require"
        for arg in _string_args(n)
    }


@dataclass(frozen=True)
class SettingsMap:
    """`config.settings()`: each field's variable; each `Settings` property's fields."""

    variables: dict[str, str]
    properties: dict[str, set[str]]

    @classmethod
    def read(cls) -> SettingsMap:
        module = _runtime_module(CONFIG_MODULE)
        assert module is not None
        variables: dict[str, str] = {}
        properties: dict[str, set[str]] = {}
        for node in module.tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == "settings":
                for call in ast.walk(node):
                    if isinstance(call, ast.Call) and _called(call) == "Settings":
                        for keyword in call.keywords:
                            variables[keyword.arg or ""] = _first_variable(keyword.value)
            if isinstance(node, ast.ClassDef) and node.name == "Settings":
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and any(
                        isinstance(d, ast.Name) and d.id == "property" for d in item.decorator_list
                    ):
                        properties[item.name] = _attributes(ast.walk(item))
        for name, used in properties.items():
            properties[name] = used & variables.keys()
        return cls(variables, properties)

    def fields_in(self, nodes: list[ast.AST]) -> set[str]:
        named = (_attributes(nodes) | _required(nodes)) & (self.variables.keys() | self.properties.keys())
        fields = named & self.variables.keys()
        for prop in named & self.properties.keys():
            fields |= self.properties[prop]
        return fields


def _called(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _first_variable(value: ast.expr) -> str:
    """The variable name in `env("NAME", ...)`, `_int("NAME", ...)`, `_bool(env("NAME"))`."""
    for node in ast.walk(value):
        if isinstance(node, ast.Call) and (names := _string_args(node)):
            return names[0]
    raise AssertionError(f"no variable name in {ast.unparse(value)}")


def _environ_reads(nodes: Iterable[ast.AST]) -> set[str]:
    """Literal names read with os.environ.get / os.environ[...] / os.getenv."""
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = ast.unparse(node.func)
            if target in ("os.environ.get", "os.getenv", "environ.get", "getenv") and _string_args(node):
                found.add(_string_args(node)[0])
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) in ("os.environ", "environ"):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                found.add(key.value)
    return found


def _powertools_reads(nodes: Iterable[ast.AST]) -> set[str]:
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Call) and (reads := POWERTOOLS_READS.get(_called(node) or "")):
            given = {k.arg for k in node.keywords}
            found.update(variable for argument, variable in reads.items() if argument not in given)
    return found


@dataclass
class DepsMap:
    """Per `Deps` property: the nodes of its body (its lazy imports, fields, other properties)."""

    bodies: dict[str, list[ast.AST]]
    top_level: list[ast.AST]

    @classmethod
    def read(cls) -> DepsMap:
        module = _runtime_module(DEPS_MODULE)
        assert module is not None
        bodies: dict[str, list[ast.AST]] = {}
        for node in module.tree.body:
            if isinstance(node, ast.ClassDef) and node.name == "Deps":
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name != "__init__":
                        bodies[item.name] = list(ast.walk(item))
        in_bodies = {id(n) for nodes in bodies.values() for n in nodes}
        top_level = [n for n in ast.walk(module.tree) if id(n) not in in_bodies]
        return cls(bodies, top_level)

    def closure(self, names: set[str]) -> set[str]:
        """The properties `names` ask for, and those they ask for in turn (`self.tasks`)."""
        used = names & self.bodies.keys()
        while True:
            more = {a for name in used for a in _attributes(self.bodies[name])} & self.bodies.keys()
            if more <= used:
                return used
            used |= more


@dataclass
class FunctionReads:
    """What one function's code path reads from its environment."""

    modules: set[str] = field(default_factory=set)
    deps: set[str] = field(default_factory=set)
    fields: set[str] = field(default_factory=set)
    variables: set[str] = field(default_factory=set)


def function_reads(function_dir: Path) -> FunctionReads:
    settings_map = SettingsMap.read()
    deps_map = DepsMap.read()
    reads = FunctionReads()
    nodes: list[ast.AST] = []
    pending = [Module("app", function_dir / "app.py")]
    while True:
        while pending:
            module = pending.pop()
            if module.name in reads.modules:
                continue
            reads.modules.add(module.name)
            if module.name == CONFIG_MODULE:
                continue  # it names every field; what a path touches is counted where it touches it
            own = deps_map.top_level if module.name == DEPS_MODULE else list(ast.walk(module.tree))
            nodes.extend(own)
            for name in _imported_names(own):
                pending.extend(_resolve(name, function_dir))
        wanted = deps_map.closure(_attributes(nodes)) - reads.deps
        if not wanted:
            break
        reads.deps |= wanted
        for name in wanted:
            body = deps_map.bodies[name]
            nodes.extend(body)
            for imported in _imported_names(body):
                pending.extend(_resolve(imported, function_dir))
    reads.fields = settings_map.fields_in(nodes)
    reads.variables = (
        {settings_map.variables[f] for f in reads.fields} | _environ_reads(nodes) | _powertools_reads(nodes)
    )
    return reads


def settings_variables() -> dict[str, str]:
    """Settings field -> the environment variable `config.settings()` reads it from."""
    return dict(SettingsMap.read().variables)
