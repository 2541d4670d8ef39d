"""A record's JSON Schema has what pydantic wrote for the model it replaces, which clients read."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

import jsonschema
import pytest

from reelay.http.json_schemas import component_schemas, enum_schema, record_schema, title_of
from reelay.models.records import Record, count, described, number, record, text


class Shade(StrEnum):
    """How dark a colour is."""

    LIGHT = "light"
    DARK = "dark"


class Plain(StrEnum):
    ONE = "one"


@record
class Origin(Record):
    """Where the product came from."""

    forbid_unknown = True
    source: str = text("api", min_length=1, max_length=32)


@record
class ProductRequest(Record):
    """POST /v1/products: what a product needs."""

    forbid_unknown = True
    product_url: str = text(required=True, max_length=200, format="uri", description="The image.")
    shade: Shade = Shade.LIGHT
    plain: Plain | None = None
    prompt: str | None = text(max_length=2000)
    hours: int | None = number(None, ge=1, le=720, description="Hours to wait.")
    copies: int = count()
    secret: str | None = text(max_length=512, min_length=1, format="password")
    origin: Origin | None = None
    tags: list[str] = described(description="Labels.", default_factory=list)
    origins: list[Origin] = described(description="Every origin.", default_factory=list)
    extra: dict[str, Any] = described(description="Anything.", default_factory=dict)
    avatar: UUID | None = None
    born: date | None = None
    seen_at: datetime = described(description="When it was seen.")
    auto: bool = True


@record
class Undocumented(Record):
    count: int


@record
class Patch(Record):
    """Only the fields sent change."""

    forbid_unknown = True
    # None here means "not sent": a value is taken, null is not.
    enabled: bool | None = None
    note: str | None = None

    @classmethod
    def adjust_json_schema(cls, schema: dict[str, Any]) -> None:
        enabled = schema["properties"]["enabled"]
        enabled.update(enabled.pop("anyOf")[0])


def test_a_record_is_an_object_titled_and_described_with_its_fields_in_order():
    schema = record_schema(ProductRequest)
    assert schema["type"] == "object"
    assert schema["title"] == "ProductRequest"
    assert schema["description"] == "POST /v1/products: what a product needs."
    assert list(schema["properties"]) == [f.name for f in dataclasses.fields(ProductRequest)]
    assert schema["required"] == ["product_url", "seen_at"]
    assert schema["additionalProperties"] is False
    # No docstring of its own (dataclass's made-up one is not a description); unknown keys ignored.
    undocumented = record_schema(Undocumented)
    assert "description" not in undocumented and "additionalProperties" not in undocumented


def test_each_property_has_its_title_rules_description_and_default():
    properties = record_schema(ProductRequest)["properties"]
    assert properties["product_url"] == {
        "type": "string",
        "maxLength": 200,
        "format": "uri",
        "title": "Product Url",
        "description": "The image.",
    }
    # An Enum refers to its component (which has the title), with its default as JSON.
    assert properties["shade"] == {"$ref": "#/components/schemas/Shade", "default": "light"}
    assert properties["plain"] == {"anyOf": [{"$ref": "#/components/schemas/Plain"}, {"type": "null"}]}
    # `X | None`: the rules inside X, title and description beside.
    assert properties["prompt"] == {
        "anyOf": [{"type": "string", "maxLength": 2000}, {"type": "null"}],
        "title": "Prompt",
    }
    assert properties["hours"] == {
        "anyOf": [{"type": "integer", "maximum": 720, "minimum": 1}, {"type": "null"}],
        "title": "Hours",
        "description": "Hours to wait.",
    }
    assert properties["copies"] == {"type": "integer", "minimum": 0, "title": "Copies", "default": 0}
    assert properties["secret"]["anyOf"][0] == {
        "type": "string",
        "maxLength": 512,
        "minLength": 1,
        "format": "password",
        "writeOnly": True,
    }
    assert properties["origin"] == {"anyOf": [{"$ref": "#/components/schemas/Origin"}, {"type": "null"}]}
    assert properties["tags"] == {
        "items": {"type": "string"},
        "type": "array",
        "title": "Tags",
        "description": "Labels.",
    }
    assert properties["origins"]["items"] == {"$ref": "#/components/schemas/Origin"}
    assert properties["extra"]["type"] == "object"
    assert properties["avatar"]["anyOf"][0] == {"type": "string", "format": "uuid"}
    assert properties["born"]["anyOf"][0] == {"type": "string", "format": "date"}
    assert properties["seen_at"]["format"] == "date-time"
    assert properties["auto"] == {"type": "boolean", "title": "Auto", "default": True}


def test_titles_are_pydantics():
    assert title_of("product_url") == "Product Url"
    assert title_of("stuck_for_minutes") == "Stuck For Minutes"
    assert title_of("idempotency-key") == "Idempotency-Key"


def test_an_enum_is_a_component_of_its_values():
    assert enum_schema(Shade) == {
        "type": "string",
        "enum": ["light", "dark"],
        "title": "Shade",
        "description": "How dark a colour is.",
    }
    assert "description" not in enum_schema(Plain)


def test_a_record_may_adjust_its_schema():
    properties = record_schema(Patch)["properties"]
    assert properties["enabled"] == {"type": "boolean", "title": "Enabled"}
    assert properties["note"]["anyOf"][1] == {"type": "null"}


def test_the_components_are_every_record_and_enum_reached_and_describe_what_the_record_reads():
    components = component_schemas([ProductRequest])
    assert list(components) == ["Origin", "Plain", "ProductRequest", "Shade"]
    validator = jsonschema.Draft202012Validator(
        {"$ref": "#/components/schemas/ProductRequest", "components": {"schemas": components}},
        format_checker=jsonschema.FormatChecker(),
    )
    good = ProductRequest(
        product_url="https://shop.example/p.png",
        origin=Origin(source="shopify"),
        seen_at=datetime(2026, 1, 1, tzinfo=UTC),
        born=date(2020, 2, 2),
        avatar=UUID("3fa85f64-5717-4562-b3fc-2c963f66afa6"),
    )
    validator.validate(good.as_json())
    # What the record refuses, its schema refuses too.
    for bad in (
        {**good.as_json(), "unknown": 1},
        {**good.as_json(), "shade": "grey"},
        {**good.as_json(), "hours": 0},
        {**good.as_json(), "origin": {"source": ""}},
        {key: value for key, value in good.as_json().items() if key != "product_url"},
    ):
        with pytest.raises(ValueError):
            ProductRequest.from_stored(bad)
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(bad)


@record
class Started(Record):
    """The task started."""

    at: datetime
    kind: Literal["start"] = "start"


@record
class Stopped(Record):
    at: datetime
    kind: Literal["stop"] = "stop"
    reason: str | None = None


@record
class Log(Record):
    entries: list[Started | Stopped]
    last: Started | Stopped | None = None
    mode: Literal["fast", "slow"] = "fast"


def test_records_told_apart_by_a_constant_are_one_of_them_with_a_discriminator():
    components = component_schemas([Log])
    assert list(components) == ["Log", "Started", "Stopped"]
    properties = components["Log"]["properties"]
    tagged = {
        "oneOf": [{"$ref": "#/components/schemas/Started"}, {"$ref": "#/components/schemas/Stopped"}],
        "discriminator": {
            "propertyName": "kind",
            "mapping": {"start": "#/components/schemas/Started", "stop": "#/components/schemas/Stopped"},
        },
    }
    assert properties["entries"] == {"items": tagged, "type": "array", "title": "Entries"}
    assert properties["last"] == {"anyOf": [tagged, {"type": "null"}]}
    assert properties["mode"] == {
        "type": "string",
        "enum": ["fast", "slow"],
        "title": "Mode",
        "default": "fast",
    }
    assert components["Started"]["properties"]["kind"] == {
        "type": "string",
        "const": "start",
        "title": "Kind",
        "default": "start",
    }
    validator = jsonschema.Draft202012Validator(
        {"$ref": "#/components/schemas/Log", "components": {"schemas": components}}
    )
    # As `Log.as_json()` writes it (the schema is written without building a record).
    validator.validate(
        {
            "entries": [
                {"at": "2026-01-01T00:00:00Z", "kind": "start"},
                {"at": "2026-01-02T00:00:00Z", "kind": "stop", "reason": None},
            ],
            "last": None,
            "mode": "slow",
        }
    )
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"entries": [{"at": "2026-01-01T00:00:00Z", "kind": "paused"}]})


def test_two_classes_of_one_name_cannot_share_a_component():
    def other_origin() -> type[Record]:
        @record
        class Origin(Record):
            where: str

        return Origin

    with pytest.raises(ValueError, match="two classes named Origin"):
        component_schemas([ProductRequest, other_origin()])
