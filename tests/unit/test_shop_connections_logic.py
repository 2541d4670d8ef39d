"""The shop connection routes' logic over in-memory ports: what is sealed and stored on a connect,
what a PATCH changes (only what it sends), what a view shows (never a secret)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reelay.deps import Deps
from reelay.errors import ConnectionNotFound, CredentialNotForPlatform, ShopAlreadyConnected
from reelay.logic.shop_connections import (
    connect_shop,
    disconnect_shop,
    list_connections,
    update_connection,
)
from reelay.models.connection import ShopConnection, foreign_credential_reason
from reelay.models.connection_api import ShopConnectionRequest, ShopConnectionUpdate, ShopConnectionView
from reelay.models.records import iso_json
from reelay.models.task import ReviewDeadlineAction
from reelay.models.video_options import ProductType
from tests.unit.fakes import unit_settings
from tests.unit.publish_fakes import MemoryConnections, PlainBox

TENANT = "acme"
BASE = "https://api.example.com/prod/"
SHOPIFY = {
    "platform": "shopify",
    "shop": "acme.myshopify.com",
    "webhook_secret": "hook-secret",
    "next_webhook_secret": "next-secret",
    "admin_access_token": "shpat_1",
    "write_back": True,
    "type": "product_avatar",
}


@pytest.fixture
def deps() -> Deps:
    return Deps(config=unit_settings(), connections=MemoryConnections(), secret_box=PlainBox())


def _connect(deps: Deps, body: dict[str, Any] = SHOPIFY, tenant: str = TENANT) -> ShopConnectionView:
    return connect_shop(tenant, ShopConnectionRequest.from_stored(body), deps, api_base_url=BASE)


def _stored(deps: Deps, connection_id: str) -> ShopConnection:
    connection = deps.connections.get(connection_id)
    assert connection is not None
    return connection


def _patch(deps: Deps, connection_id: str, body: dict[str, Any]) -> ShopConnectionView:
    update = ShopConnectionUpdate.from_stored(body)
    return update_connection(TENANT, connection_id, update, deps, api_base_url=BASE)


def test_a_connect_seals_each_secret_to_its_connection_and_the_view_shows_none(deps: Deps) -> None:
    view = _connect(deps)
    stored = _stored(deps, view.id)
    box, context = PlainBox(), {"tenant_id": TENANT, "connection_id": view.id}
    assert box.open(stored.sealed_secret, context) == "hook-secret"
    assert (
        stored.sealed_next_secret is not None
        and box.open(stored.sealed_next_secret, context) == "next-secret"
    )
    assert stored.sealed_admin_access_token is not None
    assert box.open(stored.sealed_admin_access_token, context) == "shpat_1"
    assert stored.type is ProductType.PRODUCT_AVATAR and stored.publishes

    answered = view.as_json()
    assert answered["hook_url"] == f"https://api.example.com/prod/hooks/shopify/{view.id}"
    assert (
        answered["has_next_secret"],
        answered["has_admin_access_token"],
        answered["has_consumer_key"],
    ) == (
        True,
        True,
        False,
    )
    assert (answered["type"], answered["review_deadline_action"]) == ("product_avatar", "none")
    # Times as pydantic wrote them: ISO 8601, Z for UTC.
    assert answered["created_at"] == iso_json(stored.created_at) and answered["created_at"].endswith("Z")
    shown = json.dumps(answered)
    for secret in ("hook-secret", "next-secret", "shpat_1"):
        assert secret not in shown


def test_a_shop_connects_once(deps: Deps) -> None:
    _connect(deps)
    with pytest.raises(ShopAlreadyConnected):
        _connect(deps, {**SHOPIFY, "shop": "https://ACME.myshopify.com/"}, tenant="other")


def test_a_patch_that_sends_nothing_changes_nothing(deps: Deps) -> None:
    view = _connect(deps)
    before = _stored(deps, view.id)
    after = _patch(deps, view.id, {})
    stored = _stored(deps, view.id)
    assert stored == before.replace(updated_at=stored.updated_at)
    assert after == view.replace(updated_at=after.updated_at)


def test_a_patch_changes_the_settings_it_sends_and_no_other(deps: Deps) -> None:
    view = _connect(deps)
    before = _stored(deps, view.id)
    after = _patch(deps, view.id, {"review_deadline_action": "approve", "review_deadline_hours": 48})
    stored = _stored(deps, view.id)
    assert (stored.review_deadline_action, stored.review_deadline_hours) == (ReviewDeadlineAction.APPROVE, 48)
    assert (stored.type, stored.sealed_secret, stored.sealed_next_secret) == (
        before.type,
        before.sealed_secret,
        before.sealed_next_secret,
    )
    assert after.review_deadline_action is ReviewDeadlineAction.APPROVE
    cleared = _patch(deps, view.id, {"review_deadline_hours": None})
    assert cleared.review_deadline_hours is None and _stored(deps, view.id).review_deadline_hours is None


def test_null_clears_the_second_secret_and_a_sent_secret_replaces_it(deps: Deps) -> None:
    view = _connect(deps)
    first = _stored(deps, view.id)
    cleared = _patch(deps, view.id, {"next_webhook_secret": None})
    assert not cleared.has_next_secret and _stored(deps, view.id).sealed_next_secret is None
    assert _stored(deps, view.id).sealed_secret == first.sealed_secret

    rotated = _patch(deps, view.id, {"webhook_secret": "new-secret", "next_webhook_secret": "newer"})
    stored = _stored(deps, view.id)
    context = {"tenant_id": TENANT, "connection_id": view.id}
    assert rotated.has_next_secret and PlainBox().open(stored.sealed_secret, context) == "new-secret"


def test_null_removes_a_credential_and_write_back_stops(deps: Deps) -> None:
    view = _connect(deps)
    after = _patch(deps, view.id, {"admin_access_token": None})
    assert not after.has_admin_access_token
    stored = _stored(deps, view.id)
    assert stored.write_back and not stored.publishes


def test_a_patched_credential_of_the_other_platform_is_refused_naming_it_and_nothing_changes(
    deps: Deps,
) -> None:
    view = _connect(deps)
    before = _stored(deps, view.id)
    with pytest.raises(CredentialNotForPlatform) as refused:
        _patch(deps, view.id, {"enabled": False, "consumer_key": "ck_1"})
    assert refused.value.field == "consumer_key"
    assert str(refused.value) == f"consumer_key: {foreign_credential_reason('shopify', 'consumer_key')}"
    assert _stored(deps, view.id) == before


def test_another_tenants_connection_is_not_found_and_a_page_lists_only_the_tenants(deps: Deps) -> None:
    mine = _connect(deps)
    theirs = _connect(deps, {**SHOPIFY, "shop": "other.myshopify.com"}, tenant="other")
    with pytest.raises(ConnectionNotFound):
        _patch(deps, theirs.id, {"enabled": False})
    assert [item.id for item in list_connections(TENANT, deps, api_base_url=BASE).items] == [mine.id]
    with pytest.raises(ConnectionNotFound):
        disconnect_shop(TENANT, theirs.id, deps)
    disconnect_shop(TENANT, mine.id, deps)
    assert list_connections(TENANT, deps, api_base_url=None).as_json() == {"items": []}
