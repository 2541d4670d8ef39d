"""The JSON Schema of a record class, as the OpenAPI document shows a request or an answer.

The API's bodies are records (`reelay.models.records`); their schemas are written here from what
each record declares, in the shapes pydantic wrote for the models they replace, so a client built
from the document before still reads it the same way:

- a record is an object titled by its class name, described by its docstring, with its fields
  as properties in field order, `required` for those without a default, and
  `additionalProperties: false` when it refuses unknown keys (`forbid_unknown`);
- a property is titled as pydantic titles a field ("product_url" -> "Product Url"), carries its
  field rules (lengths, pattern, format, bounds), its description and its default (as JSON);
  `X | None` is `anyOf: [X, {"type": "null"}]`, the rules inside X and the rest beside it; a
  `Literal` constant is a `const`; records of several kinds told apart by a constant field
  (`kind: Literal["state"]`) are `oneOf` them with that field as the `discriminator`;
- a nested record and an Enum are `$ref`s to components of their own (an Enum's schema lists its
  values); a list is an array of its items, a dict an object of its values;
- a datetime is a string of `format: date-time`, a date of `date`, a UUID of `uuid`; a
  `format: password` string (a secret the API takes) is `writeOnly`, as pydantic's SecretStr was.

A record may adjust its written schema with a classmethod `adjust_json_schema(schema) -> None`
(a PATCH body, say, whose fields take a value but refuse null however they are typed).

Only the request for the document imports this module; no request path needs it.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints
from uuid import UUID

from reelay.models.records import Record, json_shaped

SCHEMA_PREFIX = "#/components/schemas/"

# How each plain type is written (the JSON Schema pydantic wrote for it).
_PLAIN: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    datetime: {"type": "string", "format": "date-time"},
    date: {"type": "string", "format": "date"},
    UUID: {"type": "string", "format": "uuid"},
    Any: {},
}


def title_of(name: str) -> str:
    """A field's title as pydantic makes it: "product_url" -> "Product Url"."""
    return name.title().replace("_", " ").strip()


def ref_to(cls: type) -> dict[str, str]:
    """The `$ref` to a record's or an Enum's component schema."""
    return {"$ref": SCHEMA_PREFIX + cls.__name__}


def schema_of_type(kind: Any) -> dict[str, Any]:
    """The schema of a value of type `kind`: records and Enums as `$ref`s to their components."""
    if kind is None or kind is type(None):
        return {"type": "null"}
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        return _union(get_args(kind), {})
    if origin is Literal:
        constants = list(get_args(kind))
        written: dict[str, Any] = {"type": _type_of_values(constants)}
        if len(constants) == 1:
            written["const"] = constants[0]
        else:
            written["enum"] = constants
        return written
    if origin is list:
        (item,) = get_args(kind)
        return {"items": schema_of_type(item), "type": "array"}
    if origin is dict:
        _, value = get_args(kind)
        return {"additionalProperties": schema_of_type(value) if value is not Any else True, "type": "object"}
    if _is_component(kind):
        return ref_to(kind)
    if kind in _PLAIN:
        return dict(_PLAIN[kind])
    raise TypeError(f"no JSON Schema is written for {kind!r}")


def enum_schema(cls: type[Enum]) -> dict[str, Any]:
    """An Enum's component schema: its values, its name, its docstring."""
    values = [member.value for member in cls]
    schema: dict[str, Any] = {"type": _type_of_values(values), "enum": values, "title": cls.__name__}
    description = _own_docstring(cls)
    if description:
        schema["description"] = description
    return schema


def record_schema(cls: type[Record]) -> dict[str, Any]:
    """A record's component schema (see the module docstring), after its `adjust_json_schema`."""
    hints = get_type_hints(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in dataclasses.fields(cls):
        properties[field.name] = _property(field, hints[field.name])
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            required.append(field.name)
    schema: dict[str, Any] = {"properties": properties}
    if cls.forbid_unknown:
        schema["additionalProperties"] = False
    schema["type"] = "object"
    if required:
        schema["required"] = required
    schema["title"] = cls.__name__
    description = _own_docstring(cls)
    if description:
        schema["description"] = description
    adjust = getattr(cls, "adjust_json_schema", None)
    if adjust is not None:
        adjust(schema)
    return schema


def component_schemas(roots: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """The component schema of every record and Enum `roots` reach (types, including nested
    ones and those inside lists, dicts and options), by name, sorted.

    Two different classes of one name would share one component: that is refused.
    """
    found: dict[str, type] = {}
    pending = list(roots)
    while pending:
        kind = pending.pop()
        pending.extend(get_args(kind))
        if not _is_component(kind):
            continue
        seen = found.get(kind.__name__)
        if seen is kind:
            continue
        if seen is not None:
            raise ValueError(f"two classes named {kind.__name__}: {seen!r} and {kind!r}")
        found[kind.__name__] = kind
        if issubclass(kind, Record):
            pending.extend(get_type_hints(kind).values())
    return {
        name: record_schema(cls) if issubclass(cls, Record) else enum_schema(cls)
        for name, cls in sorted(found.items())
    }


def _is_component(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, Record | Enum)


def _property(field: dataclasses.Field[Any], kind: Any) -> dict[str, Any]:
    rules = field.metadata
    options = get_args(kind) if get_origin(kind) in (Union, types.UnionType) else (kind,)
    schema = _union(options, rules)
    # pydantic titled a field unless it refers to a component (the component has the title).
    if not any(_is_component(option) for option in options):
        schema["title"] = title_of(field.name)
    if rules.get("description"):
        schema["description"] = rules["description"]
    # A default of None goes unsaid, as in the document Powertools served (`exclude_none`).
    if field.default is not dataclasses.MISSING and field.default is not None:
        schema["default"] = json_shaped(field.default)
    return schema


def _union(options: tuple[Any, ...], rules: Any) -> dict[str, Any]:
    """The schema of a value of one of `options` (`X | None`: anyOf X and null), each with the
    field's `rules`; records told apart by a constant field (`kind: Literal["state"]`) are
    `oneOf` them with that field as the discriminator, as pydantic wrote a tagged union."""
    chosen = [option for option in options if option is not type(None)]
    written = [with_rules(schema_of_type(option), rules) for option in chosen]
    discriminator = _discriminator(chosen)
    if discriminator is not None:
        schema: dict[str, Any] = {"oneOf": written, "discriminator": discriminator}
    elif len(written) == 1:
        schema = written[0]
    else:
        schema = {"anyOf": written}
    if type(None) not in options:
        return schema
    return {"anyOf": [*(schema["anyOf"] if list(schema) == ["anyOf"] else [schema]), {"type": "null"}]}


def _discriminator(options: list[Any]) -> dict[str, Any] | None:
    """The field that tells records `options` apart (a one-constant Literal in each, a different
    constant in each) with which record each constant names; None if there is none."""
    if len(options) < 2 or not all(
        isinstance(option, type) and issubclass(option, Record) for option in options
    ):
        return None
    constants = [
        {name: get_args(hint)[0] for name, hint in get_type_hints(option).items() if _is_constant(hint)}
        for option in options
    ]
    for name in constants[0]:
        values = [each.get(name) for each in constants]
        if None not in values and len(set(values)) == len(values):
            mapping = {value: ref_to(option)["$ref"] for value, option in zip(values, options, strict=True)}
            return {"propertyName": name, "mapping": dict(sorted(mapping.items()))}
    return None


def _is_constant(hint: Any) -> bool:
    return get_origin(hint) is Literal and len(get_args(hint)) == 1


def with_rules(schema: dict[str, Any], rules: Any) -> dict[str, Any]:
    """`schema` with the field's rules that apply to it: lengths, pattern and format to a string,
    bounds to a number."""
    if schema.get("type") == "string":
        low, high = rules.get("length") or (0, None)
        if high is not None:
            schema["maxLength"] = high
        if low:
            schema["minLength"] = low
        if rules.get("format"):
            schema["format"] = rules["format"]
        if rules.get("pattern"):
            schema["pattern"] = rules["pattern"]
        if schema.get("format") == "password":
            schema["writeOnly"] = True
    elif schema.get("type") in ("integer", "number"):
        if rules.get("le") is not None:
            schema["maximum"] = rules["le"]
        if rules.get("ge") is not None:
            schema["minimum"] = rules["ge"]
    return schema


def _type_of_values(values: list[Any]) -> str:
    if all(isinstance(value, str) for value in values):
        return "string"
    if all(isinstance(value, int) and not isinstance(value, bool) for value in values):
        return "integer"
    raise TypeError(
        f"the values of an Enum or a Literal are all strings or all whole numbers, not {values!r}"
    )


def _own_docstring(cls: type) -> str | None:
    """The class's own docstring, cleaned; None for one it inherits or dataclass's made-up one."""
    doc = cls.__dict__.get("__doc__")
    if not doc:
        return None
    # dataclass writes "Name(field: type, ...)" for a class without a docstring.
    if issubclass(cls, Record) and (doc == cls.__name__ or doc.startswith(cls.__name__ + "(")):
        return None
    return inspect.cleandoc(doc)
