"""The stored shop connection is a plain record: it reads and writes the items the pydantic model
stored attribute for attribute, keeps its secrets out of its repr, and holds each setting to the
same rule as the API's models, refusing a bad value with an InvalidRecord naming the field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from reelay.dal.attribute_values import to_item
from reelay.dal.connections import connection_from_item, connection_item
from reelay.models.connection import SETTINGS, ConnectionSettings, Platform, ShopConnection
from reelay.models.connection_api import ShopConnectionRequest, ShopConnectionUpdate
from reelay.models.records import InvalidRecord
from reelay.models.task import ReviewDeadlineAction
from reelay.models.video_options import AspectRatio, ProductType

# A Shopify connection's item, every field set, as the pydantic ShopConnection and
# ConnectionRepository.create wrote it (the values dal.attribute_values.from_item gives back).
STORED_BY_PYDANTIC: dict[str, Any] = {
    "pk": "CONN#con_0123456789abcdef",
    "sk": "CONNECTION",
    "type": "product_avatar",
    "aspect_ratio": "16x9",
    "auto_video": False,
    "image_prompt_template": "{title} on a beach",
    "video_prompt_template": "slow pan over {title} by {vendor}",
    "enabled": False,
    "review_deadline_hours": 48,
    "review_deadline_action": "approve",
    "write_back": True,
    "shopify_api_version": "2026-01",
    "woo_video_meta_key": "reelay_video",
    "woo_video_in_description": True,
    "id": "con_0123456789abcdef",
    "tenant_id": "acme",
    "platform": "shopify",
    "shop": "acme.myshopify.com",
    "sealed_secret": "sealed-secret",
    "sealed_next_secret": "sealed-next",
    "sealed_admin_access_token": "sealed-token",
    "sealed_consumer_key": "sealed-ck",
    "sealed_consumer_secret": "sealed-cs",
    "created_at": "2025-03-01T12:00:00.120000Z",
    "updated_at": "2025-03-02T08:30:00.000000Z",
    "entity": "connection",
    "tenant_pk": "CONNECTIONS#acme",
    "tenant_sk": "2025-03-01T12:00:00.120000Z#con_0123456789abcdef",
}

# A WooCommerce connection made with every setting left to its default, as pydantic stored it.
DEFAULTS_STORED_BY_PYDANTIC: dict[str, Any] = {
    "pk": "CONN#con_min",
    "sk": "CONNECTION",
    "type": "product_anyshot",
    "aspect_ratio": "9x16",
    "auto_video": True,
    "enabled": True,
    "review_deadline_action": "none",
    "write_back": False,
    "shopify_api_version": "2025-10",
    "woo_video_meta_key": "reelay_video_url",
    "woo_video_in_description": False,
    "id": "con_min",
    "tenant_id": "acme",
    "platform": "woocommerce",
    "shop": "https://shop.example.com",
    "sealed_secret": "s",
    "created_at": "2025-03-01T12:00:00.000000Z",
    "updated_at": "2025-03-01T12:00:00.000000Z",
    "entity": "connection",
    "tenant_pk": "CONNECTIONS#acme",
    "tenant_sk": "2025-03-01T12:00:00.000000Z#con_min",
}


@pytest.mark.parametrize(
    "stored", [STORED_BY_PYDANTIC, DEFAULTS_STORED_BY_PYDANTIC], ids=["every", "defaults"]
)
def test_an_item_the_pydantic_connection_stored_reads_and_writes_back_attribute_for_attribute(
    stored: dict[str, Any],
) -> None:
    item = to_item(stored)
    assert connection_item(connection_from_item(item)) == item


def test_a_stored_connection_is_read_into_its_types() -> None:
    connection = connection_from_item(to_item(STORED_BY_PYDANTIC))

    assert (connection.platform, connection.type, connection.aspect_ratio) == (
        Platform.SHOPIFY,
        ProductType.PRODUCT_AVATAR,
        AspectRatio.LANDSCAPE,
    )
    assert connection.review_deadline_action is ReviewDeadlineAction.APPROVE
    assert connection.review_deadline_hours == 48
    assert connection.created_at == datetime(2025, 3, 1, 12, 0, 0, 120000, tzinfo=UTC)
    assert connection.has_credentials and connection.publishes
    defaults = connection_from_item(to_item(DEFAULTS_STORED_BY_PYDANTIC))
    assert defaults.settings() == {name: getattr(ConnectionSettings(), name) for name in SETTINGS}
    assert not defaults.has_credentials and not defaults.publishes


def test_the_secrets_stay_out_of_its_repr() -> None:
    shown = repr(connection_from_item(to_item(STORED_BY_PYDANTIC)))
    assert "con_0123456789abcdef" in shown
    for sealed in ("sealed-secret", "sealed-next", "sealed-token", "sealed-ck", "sealed-cs"):
        assert sealed not in shown


def test_strings_are_stripped_and_an_empty_template_is_none_as_pydantic_read_them() -> None:
    # A PATCH stores an emptied template as "" (what the API's update keeps), read back as none.
    connection = ShopConnection.from_stored(
        {
            **STORED_BY_PYDANTIC,
            "image_prompt_template": "   ",
            "video_prompt_template": "",
            "shop": " acme.myshopify.com ",
        }
    )
    assert (connection.image_prompt_template, connection.video_prompt_template) == (None, None)
    assert connection.shop == "acme.myshopify.com"


def test_attributes_a_connection_does_not_declare_are_ignored_but_settings_alone_refuse_them() -> None:
    connection = ShopConnection.from_stored({**STORED_BY_PYDANTIC, "added_by_a_later_version": 1})
    assert "added_by_a_later_version" not in connection.stored()
    with pytest.raises(InvalidRecord) as refused:
        ConnectionSettings.from_stored({"enabled": True, "enable": False})
    assert refused.value.field == "enable"


# A setting's value each side refuses: the stored record with an InvalidRecord naming the field,
# the API's request and update records with an InvalidRecord naming it (a 400 naming it).
BAD_SETTINGS = [
    ("review_deadline_hours", 0),
    ("review_deadline_hours", 721),
    ("shopify_api_version", "2025-11"),
    ("shopify_api_version", "2024-07"),
    ("shopify_api_version", "latest"),
    ("woo_video_meta_key", "video url"),
    ("woo_video_meta_key", "-starts-with-a-dash"),
    ("image_prompt_template", "{price}"),
    ("video_prompt_template", "{title!r}"),
    ("image_prompt_template", "x" * 1001),
    ("type", "product_movie"),
    ("aspect_ratio", "4x3"),
    ("review_deadline_action", "later"),
    ("write_back", "yes please"),
]


@pytest.mark.parametrize(("field", "value"), BAD_SETTINGS)
def test_a_setting_the_api_refuses_is_refused_by_the_record_naming_the_field(field: str, value: Any) -> None:
    with pytest.raises(InvalidRecord) as refused:
        ShopConnection.from_stored({**STORED_BY_PYDANTIC, field: value})
    assert refused.value.field == field

    request = {"platform": "shopify", "shop": "acme.myshopify.com", "webhook_secret": "s", field: value}
    for model, body in ((ShopConnectionRequest, request), (ShopConnectionUpdate, {field: value})):
        with pytest.raises(InvalidRecord) as api_refused:
            model.from_stored(body)
        assert api_refused.value.field == field


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("review_deadline_hours", 1),
        ("review_deadline_hours", 720),
        ("shopify_api_version", "2024-10"),
        ("shopify_api_version", "unstable"),
        ("woo_video_meta_key", "_reelay:video-url"),
        ("image_prompt_template", "{title} {{literal}}"),
        ("video_prompt_template", "x" * 1000),
    ],
)
def test_a_setting_the_api_takes_the_record_takes_too(field: str, value: Any) -> None:
    request = {"platform": "shopify", "shop": "acme.myshopify.com", "webhook_secret": "s", field: value}
    # A connection's settings come from its create (the request) and from each PATCH (the update).
    created = ShopConnectionRequest.from_stored(request).settings()
    changed = ShopConnectionUpdate.from_stored({field: value}).setting_changes()
    for taken in (created[field], changed[field]):
        assert taken == value
        assert getattr(ShopConnection.from_stored({**STORED_BY_PYDANTIC, field: taken}), field) == value


@pytest.mark.parametrize(
    ("field", "value"),
    [("platform", "magento"), ("sealed_secret", None), ("created_at", "yesterday"), ("id", 7)],
)
def test_a_stored_connection_that_cannot_be_read_names_the_field(field: str, value: Any) -> None:
    with pytest.raises(InvalidRecord) as refused:
        ShopConnection.from_stored({**STORED_BY_PYDANTIC, field: value})
    assert refused.value.field == field


def test_a_connection_without_its_webhook_secret_is_no_connection() -> None:
    stored = {k: v for k, v in STORED_BY_PYDANTIC.items() if k != "sealed_secret"}
    with pytest.raises(InvalidRecord) as refused:
        ShopConnection.from_stored(stored)
    assert refused.value.field == "sealed_secret"
