"""The shop connection routes' bodies as records: secrets never shown, the rules across fields,
and a PATCH that changes only what it sends (null clearing only what can be cleared)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reelay.http.errors import refusal_of_record
from reelay.models.connection import Platform, foreign_credential_reason
from reelay.models.connection_api import ShopConnectionRequest, ShopConnectionUpdate
from reelay.models.records import InvalidRecord
from reelay.models.video_options import ProductType

SECRET = "s3cr3t-value"
SHOPIFY = {"platform": "shopify", "shop": "acme.myshopify.com", "webhook_secret": SECRET}
WOO = {"platform": "woocommerce", "shop": "https://shop.example.com", "webhook_secret": SECRET}
SECRET_FIELDS = (
    "webhook_secret",
    "next_webhook_secret",
    "admin_access_token",
    "consumer_key",
    "consumer_secret",
)
# PATCH fields null cannot clear (the API refuses null for these, and the document offers none).
NOT_NULL = (
    "type",
    "aspect_ratio",
    "auto_video",
    "enabled",
    "review_deadline_action",
    "webhook_secret",
    "write_back",
    "shopify_api_version",
    "woo_video_meta_key",
    "woo_video_in_description",
)


def test_a_connection_request_keeps_its_secrets_out_of_its_repr_and_its_dumps() -> None:
    shopify = ShopConnectionRequest.from_stored(
        {**SHOPIFY, "next_webhook_secret": f"{SECRET}-next", "admin_access_token": f"{SECRET}-token"}
    )
    woo = ShopConnectionRequest.from_stored(
        {**WOO, "consumer_key": f"{SECRET}-ck", "consumer_secret": f"{SECRET}-cs"}
    )
    update = ShopConnectionUpdate.from_stored({name: f"{SECRET}-{name}" for name in SECRET_FIELDS})
    for body in (shopify, woo, update):
        for shown in (repr(body), str(body), json.dumps(body.as_json()), json.dumps(body.stored())):
            assert SECRET not in shown
    # The logic reads each secret itself, as sent.
    assert (shopify.webhook_secret, shopify.admin_access_token) == (SECRET, f"{SECRET}-token")
    assert (woo.consumer_key, woo.consumer_secret) == (f"{SECRET}-ck", f"{SECRET}-cs")
    assert update.next_webhook_secret == f"{SECRET}-next_webhook_secret"


@pytest.mark.parametrize("field", SECRET_FIELDS)
@pytest.mark.parametrize(
    "sent",
    [987654321, [SECRET], {"value": SECRET}, True, SECRET + "x" * 600],
    ids=["number", "list", "object", "bool", "too-long"],
)
def test_a_secret_the_record_cannot_hold_is_refused_naming_the_field_never_quoting_it(
    field: str, sent: Any
) -> None:
    platform = WOO if field.startswith("consumer") else SHOPIFY
    for model, body in (
        (ShopConnectionRequest, {**platform, field: sent}),
        (ShopConnectionUpdate, {field: sent}),
    ):
        with pytest.raises(InvalidRecord) as refused:
            model.from_stored(body)
        invalid = refused.value
        assert invalid.field == field
        answer = refusal_of_record(invalid)
        for said in (str(invalid), invalid.why, invalid.without_value(), answer["body"], repr(invalid.args)):
            assert SECRET not in said and "987654321" not in said, said
        assert json.loads(answer["body"])["error"]["field"] == field


def test_a_body_that_is_no_object_is_refused_without_being_quoted() -> None:
    for model in (ShopConnectionRequest, ShopConnectionUpdate):
        with pytest.raises(InvalidRecord) as refused:
            model.from_stored(SECRET)
        assert SECRET not in str(refused.value) and refused.value.field == ""


@pytest.mark.parametrize(
    ("platform", "field"),
    [
        (Platform.SHOPIFY, "consumer_key"),
        (Platform.SHOPIFY, "consumer_secret"),
        (Platform.WOOCOMMERCE, "admin_access_token"),
    ],
)
def test_a_credential_of_the_other_platform_is_refused_naming_the_field(
    platform: Platform, field: str
) -> None:
    body = {**(SHOPIFY if platform is Platform.SHOPIFY else WOO), field: "credential"}
    with pytest.raises(InvalidRecord) as refused:
        ShopConnectionRequest.from_stored(body)
    assert refused.value.field == field
    assert refused.value.why == foreign_credential_reason(platform, field)


def test_the_shop_is_read_in_its_platforms_one_spelling_or_refused_naming_it() -> None:
    shopify = ShopConnectionRequest.from_stored({**SHOPIFY, "shop": " https://ACME.myshopify.com/admin "})
    woo = ShopConnectionRequest.from_stored({**WOO, "shop": "https://Shop.Example.com/"})
    assert (shopify.shop, woo.shop) == ("acme.myshopify.com", "https://shop.example.com")
    for body in ({**SHOPIFY, "shop": "acme.example.com"}, {**WOO, "shop": "shop.example.com"}):
        with pytest.raises(InvalidRecord) as refused:
            ShopConnectionRequest.from_stored(body)
        assert refused.value.field == "shop" and "must be" in refused.value.why
    # Without a platform there is no spelling to check: the platform's own refusal says so.
    with pytest.raises(InvalidRecord) as refused:
        ShopConnectionRequest.from_stored({**SHOPIFY, "platform": "magento", "shop": "anything"})
    assert refused.value.field == "platform"


def test_a_request_takes_the_settings_defaults_and_refuses_what_it_does_not_declare() -> None:
    request = ShopConnectionRequest.from_stored({**SHOPIFY, "image_prompt_template": "  "})
    assert request.type is ProductType.PRODUCT_ANYSHOT and request.image_prompt_template is None
    with pytest.raises(InvalidRecord) as refused:
        ShopConnectionRequest.from_stored({**SHOPIFY, "webhook_secrets": SECRET})
    assert refused.value.field == "webhook_secrets"


def test_a_patch_that_sends_nothing_changes_nothing() -> None:
    update = ShopConnectionUpdate.from_stored({})
    assert update.sent == frozenset() and update.setting_changes() == {}


@pytest.mark.parametrize("field", NOT_NULL)
def test_null_is_refused_for_a_field_that_cannot_be_cleared(field: str) -> None:
    with pytest.raises(InvalidRecord) as refused:
        ShopConnectionUpdate.from_stored({"enabled": False, field: None})
    assert refused.value.field == field
    assert refused.value.why == "cannot be null; leave the field out to keep it"


def test_null_clears_what_can_be_cleared_and_only_the_sent_settings_change() -> None:
    cleared = ShopConnectionUpdate.from_stored({"next_webhook_secret": None})
    assert cleared.sent == {"next_webhook_secret"} and cleared.next_webhook_secret is None
    assert cleared.setting_changes() == {}
    # Not sending it, and sending null, are different updates.
    assert cleared != ShopConnectionUpdate.from_stored({})

    changed = ShopConnectionUpdate.from_stored(
        {
            "review_deadline_hours": None,
            "image_prompt_template": "",
            "admin_access_token": None,
            "type": "product_avatar",
        }
    )
    assert changed.setting_changes() == {
        "type": ProductType.PRODUCT_AVATAR,
        "image_prompt_template": "",  # kept as sent: the stored template is cleared
        "review_deadline_hours": None,
    }
    assert "admin_access_token" in changed.sent


def test_an_update_built_in_code_sends_the_fields_given_a_value() -> None:
    update = ShopConnectionUpdate(enabled=False, next_webhook_secret=SECRET)
    assert update.sent == {"enabled", "next_webhook_secret"}
    assert update.setting_changes() == {"enabled": False}
    assert update == ShopConnectionUpdate.from_stored({"enabled": False, "next_webhook_secret": SECRET})


def _nullable(kind: dict[str, Any], title: str) -> dict[str, Any]:
    return {"anyOf": [kind, {"type": "null"}], "title": title, "default": None}


def test_the_update_schema_offers_null_only_for_fields_that_take_it() -> None:
    # Each field of the update is optional: a schema writer offers null for each, as pydantic did
    # (a secret being a write-only password).
    secret = {"type": "string", "format": "password", "writeOnly": True}
    properties: dict[str, Any] = {
        name: _nullable(dict(secret) if name in SECRET_FIELDS else {"type": "string"}, name.title())
        for name in ShopConnectionUpdate.__dataclass_fields__
    }
    properties["type"] = _nullable({"$ref": "#/components/schemas/ProductType"}, "Type")
    schema = {"type": "object", "properties": properties}
    ShopConnectionUpdate.adjust_json_schema(schema)

    for name in NOT_NULL:
        assert "anyOf" not in properties[name] and "default" not in properties[name], name
    assert properties["type"] == {"$ref": "#/components/schemas/ProductType", "title": "Type"}
    # In pydantic's key order: the type and its rules, the title, writeOnly last.
    webhook_secret = properties["webhook_secret"]
    assert list(webhook_secret.items()) == [
        ("type", "string"),
        ("format", "password"),
        ("title", "Webhook_Secret"),
        ("writeOnly", True),
    ]
    for name in ("next_webhook_secret", "admin_access_token", "consumer_key", "consumer_secret"):
        assert properties[name]["anyOf"] == [secret, {"type": "null"}]
    assert {"type": "null"} in properties["review_deadline_hours"]["anyOf"]
    assert {"type": "null"} in properties["image_prompt_template"]["anyOf"]


def test_a_copy_of_an_update_still_clears_what_the_update_cleared() -> None:
    update = ShopConnectionUpdate.from_stored({"next_webhook_secret": None, "enabled": False})
    changed = update.replace(enabled=True)
    assert changed.sent == {"next_webhook_secret", "enabled"}
    assert changed.next_webhook_secret is None and changed.enabled is True
