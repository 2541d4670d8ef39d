"""Standard Webhooks signatures on outbound deliveries, as any consumer library verifies them."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from reelay.security.webhook_signing import (
    DEFAULT_TOLERANCE_SECONDS,
    WebhookVerificationError,
    headers,
    new_secret,
    sign,
    verify,
)

# The example from the Standard Webhooks specification's reference libraries.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def independent_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def test_the_signature_matches_the_specifications_example():
    assert independent_signature(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE
    assert sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_the_headers_carry_id_timestamp_and_a_signature_over_the_exact_body():
    secret = new_secret()
    body = b'{"id":"t-1","status":"video_generated"}'

    sent = headers(secret, "evt_t-1_video_generated", body, timestamp=1_700_000_000)

    assert sent == {
        "webhook-id": "evt_t-1_video_generated",
        "webhook-timestamp": "1700000000",
        "webhook-signature": independent_signature(secret, "evt_t-1_video_generated", 1_700_000_000, body),
    }


def test_new_secrets_are_whsec_prefixed_32_random_bytes():
    first, second = new_secret(), new_secret()

    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32


def spec_headers(**overrides: str) -> dict[str, str]:
    return {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": str(SPEC_TIMESTAMP),
        "webhook-signature": SPEC_SIGNATURE,
        **overrides,
    }


def test_a_valid_fresh_delivery_verifies_whatever_the_header_case():
    verify(SPEC_SECRET, spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP + 1)
    upper = {k.title(): v for k, v in spec_headers().items()}
    verify(SPEC_SECRET, upper, SPEC_BODY, now=SPEC_TIMESTAMP)


@pytest.mark.parametrize("offset", [-DEFAULT_TOLERANCE_SECONDS, DEFAULT_TOLERANCE_SECONDS])
def test_a_timestamp_at_the_edge_of_the_tolerance_is_accepted(offset):
    verify(SPEC_SECRET, spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP + offset)


@pytest.mark.parametrize("offset", [-DEFAULT_TOLERANCE_SECONDS - 1, DEFAULT_TOLERANCE_SECONDS + 1])
def test_a_timestamp_outside_the_tolerance_is_refused_even_with_a_good_signature(offset):
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify(SPEC_SECRET, spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP + offset)


@pytest.mark.parametrize(
    ("received", "body"),
    [
        (spec_headers(), b'{"test": 2432232315}'),
        (spec_headers(**{"webhook-id": "msg_other"}), SPEC_BODY),
        (spec_headers(**{"webhook-signature": "v2," + SPEC_SIGNATURE[3:]}), SPEC_BODY),
        (spec_headers(**{"webhook-signature": SPEC_SIGNATURE[:-2] + "A="}), SPEC_BODY),
    ],
    ids=["body changed", "id changed", "unknown version", "signature changed"],
)
def test_a_tampered_delivery_is_refused(received, body):
    with pytest.raises(WebhookVerificationError, match="no matching"):
        verify(SPEC_SECRET, received, body, now=SPEC_TIMESTAMP)


def test_one_matching_signature_among_several_is_enough_for_secret_rotation():
    old = independent_signature(new_secret(), SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    received = spec_headers(**{"webhook-signature": f"{old} {SPEC_SIGNATURE}"})

    verify(SPEC_SECRET, received, SPEC_BODY, now=SPEC_TIMESTAMP)


def test_another_secret_does_not_verify():
    with pytest.raises(WebhookVerificationError):
        verify(new_secret(), spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP)


@pytest.mark.parametrize(
    "received",
    [
        {"webhook-timestamp": str(SPEC_TIMESTAMP), "webhook-signature": SPEC_SIGNATURE},
        spec_headers(**{"webhook-timestamp": "yesterday"}),
        {"webhook-id": SPEC_ID, "webhook-timestamp": str(SPEC_TIMESTAMP)},
    ],
    ids=["no id", "timestamp not a number", "no signature"],
)
def test_missing_or_malformed_headers_are_refused(received):
    with pytest.raises(WebhookVerificationError, match="missing or malformed"):
        verify(SPEC_SECRET, received, SPEC_BODY, now=SPEC_TIMESTAMP)
