"""Rotating API keys, revoking them and rolling webhook secrets: what keeps working, and until when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from reelay.errors import TenantNotFound
from reelay.logic.tenants import (
    create_tenant,
    list_tenants,
    revoke_api_keys,
    roll_webhook_secret,
    rotate_api_key,
    tenant_for_api_key,
    tenant_id_for_api_key,
)
from reelay.security.webhook_signing import headers
from tests.unit.fakes import FakeRuntime

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> FakeRuntime:
    return FakeRuntime.at(NOW)


def test_a_rotated_key_works_beside_the_new_one_until_the_overlap_ends(fake):
    deps = fake.deps()
    new = create_tenant("Acme", deps)

    rotated = rotate_api_key(new.tenant.tenant_id, deps, timedelta(hours=24), now=NOW)

    assert rotated.previous_valid_until == NOW + timedelta(hours=24)
    assert tenant_for_api_key(new.api_key, deps).tenant_id == new.tenant.tenant_id
    assert tenant_for_api_key(rotated.value, deps).tenant_id == new.tenant.tenant_id
    fake.clock.advance(hours=24)
    assert tenant_for_api_key(new.api_key, deps) is None
    assert tenant_for_api_key(rotated.value, deps) is not None


def test_a_second_rotation_ends_the_first_ones_overlap(fake):
    deps = fake.deps()
    first = create_tenant("Acme", deps)
    second = rotate_api_key(first.tenant.tenant_id, deps, timedelta(hours=24), now=NOW)

    third = rotate_api_key(first.tenant.tenant_id, deps, timedelta(hours=24), now=NOW)

    assert tenant_for_api_key(first.api_key, deps) is None
    assert tenant_for_api_key(second.value, deps) is not None
    assert tenant_for_api_key(third.value, deps) is not None


def test_a_rotation_without_overlap_stops_the_old_key_at_once(fake):
    deps = fake.deps()
    new = create_tenant("Acme", deps)

    rotated = rotate_api_key(new.tenant.tenant_id, deps, timedelta(0), now=NOW)

    assert rotated.previous_valid_until is None
    assert tenant_for_api_key(new.api_key, deps) is None


def test_revoking_stops_every_key_at_once_and_a_rotation_issues_a_working_one(fake):
    deps = fake.deps()
    new = create_tenant("Acme", deps)
    rotated = rotate_api_key(new.tenant.tenant_id, deps, timedelta(hours=24), now=NOW)

    revoked = revoke_api_keys(new.tenant.tenant_id, deps)

    assert revoked.api_key_revoked_at is not None
    assert tenant_for_api_key(new.api_key, deps) is None
    assert tenant_for_api_key(rotated.value, deps) is None
    fresh = rotate_api_key(new.tenant.tenant_id, deps, timedelta(hours=24), now=NOW)
    assert tenant_for_api_key(fresh.value, deps) is not None
    # A revoked key is not brought back as the "previous" one of the rotation.
    assert fresh.previous_valid_until is None
    assert tenant_for_api_key(rotated.value, deps) is None


def test_revoking_only_the_previous_key_ends_the_overlap_and_keeps_the_new_key(fake):
    deps = fake.deps()
    new = create_tenant("Acme", deps)
    rotated = rotate_api_key(new.tenant.tenant_id, deps, timedelta(hours=24), now=NOW)

    revoke_api_keys(new.tenant.tenant_id, deps, previous_only=True)

    assert tenant_for_api_key(new.api_key, deps) is None
    assert tenant_for_api_key(rotated.value, deps) is not None


def test_an_unknown_tenant_is_named(fake):
    with pytest.raises(TenantNotFound, match="ghost"):
        rotate_api_key("ghost", fake.deps(), timedelta(hours=1))


def test_a_negative_overlap_is_refused(fake):
    deps = fake.deps()
    new = create_tenant("Acme", deps)
    with pytest.raises(ValueError, match="negative"):
        roll_webhook_secret(new.tenant.tenant_id, deps, timedelta(hours=-1))


def test_during_a_secret_roll_each_secret_verifies_with_the_reference_library(fake):
    deps = fake.deps()
    new = create_tenant("Acme", deps)
    rolled = roll_webhook_secret(new.tenant.tenant_id, deps, timedelta(hours=24), now=NOW)
    body = b'{"id":"t1","status":"video_generated"}'
    now = NOW + timedelta(hours=1)

    # Signed at the wall clock's time: the library checks freshness against it.
    sent = headers(rolled.tenant.signing_secrets(now), "evt_t1_video_generated", body)

    assert len(sent["webhook-signature"].split(" ")) == 2
    for secret in (new.webhook_secret, rolled.value):
        assert Webhook(secret).verify(body, sent) == {"id": "t1", "status": "video_generated"}


def test_after_the_roll_only_the_new_secret_signs(fake):
    deps = fake.deps()
    new = create_tenant("Acme", deps)
    rolled = roll_webhook_secret(new.tenant.tenant_id, deps, timedelta(hours=24), now=NOW)
    later = NOW + timedelta(hours=24)
    body = b"{}"

    sent = headers(rolled.tenant.signing_secrets(later), "evt_x", body)

    old, current = Webhook(new.webhook_secret), Webhook(rolled.value)
    assert current.verify(body, sent) == {}
    with pytest.raises(WebhookVerificationError):
        old.verify(body, sent)


def test_tenants_are_listed_oldest_first_without_secrets(fake):
    deps = fake.deps()
    first = create_tenant("Acme", deps)
    fake.clock.advance(minutes=1)
    second = create_tenant("Bolt", deps, tenant_id="bolt")

    listed = list_tenants(deps)

    assert [t.tenant_id for t in listed] == [first.tenant.tenant_id, second.tenant.tenant_id]
    assert "webhook_secret" not in listed[0].model_dump()


def test_the_authorizers_answer_is_the_key_lookups_tenant_id_and_none_once_revoked(fake):
    deps = fake.deps()
    new = create_tenant("Acme", deps)
    rotated = rotate_api_key(new.tenant.tenant_id, deps, timedelta(hours=24), now=NOW)

    assert tenant_id_for_api_key(new.api_key, deps) == new.tenant.tenant_id
    assert tenant_id_for_api_key(rotated.value, deps) == new.tenant.tenant_id
    assert tenant_id_for_api_key("", deps) is None
    revoke_api_keys(new.tenant.tenant_id, deps)
    assert tenant_id_for_api_key(new.api_key, deps) is None
    assert tenant_id_for_api_key(rotated.value, deps) is None
