"""Signed callback URLs: short enough for Creatify, impossible to forge, checked in constant time."""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs, urlsplit

import pytest

from reelay.models.upstream import MAX_URL_LENGTH
from reelay.security.callback_tokens import CallbackSigner, CallbackUrlTooLong

SECRET = "k" * 48
TASK_ID = "6c0f2a4e-91d3-5b7a-8e2f-0d4c1b9a7e35"  # ids are uuids (derived or random)
# The longest realistic invoke URL: 10-char API id, a long region name, the template's 16-char stage.
LONG_EXECUTE_API_BASE = "https://a1b2c3d4e5.execute-api.ap-southeast-5.amazonaws.com/production-eu-01"


def test_the_callback_url_for_a_long_execute_api_base_fits_creatifys_200_characters():
    url = CallbackSigner(SECRET).callback_url(LONG_EXECUTE_API_BASE, TASK_ID)

    assert len(url) <= MAX_URL_LENGTH
    parts = urlsplit(url)
    assert parts.path == f"/production-eu-01/webhooks/creatify/{TASK_ID}"
    assert parse_qs(parts.query)["sig"] == [CallbackSigner(SECRET).sign(TASK_ID)]


def test_a_base_that_leaves_no_room_is_refused_rather_than_truncated():
    with pytest.raises(CallbackUrlTooLong):
        CallbackSigner(SECRET).callback_url("https://example.com/" + "x" * 120, TASK_ID)


def test_the_signature_is_a_short_url_safe_tag_that_verifies_for_its_own_task_only():
    signer = CallbackSigner(SECRET)
    sig = signer.sign(TASK_ID)

    assert len(sig) == 22 and sig.replace("-", "").replace("_", "").isalnum()
    assert signer.valid(TASK_ID, sig)
    assert not signer.valid("another-task", sig)
    assert not CallbackSigner("z" * 48).valid(TASK_ID, sig)


@pytest.mark.parametrize("position", [0, 10, 21])
def test_a_tampered_signature_is_refused(position):
    signer = CallbackSigner(SECRET)
    sig = signer.sign(TASK_ID)
    tampered = sig[:position] + ("A" if sig[position] != "A" else "B") + sig[position + 1 :]

    assert not signer.valid(TASK_ID, tampered)


@pytest.mark.parametrize("sig", [None, "", "=", "a" * 22, "a" * 64])
def test_a_missing_or_made_up_signature_is_refused(sig):
    assert not CallbackSigner(SECRET).valid(TASK_ID, sig)


def test_a_truncated_or_padded_signature_is_refused():
    signer = CallbackSigner(SECRET)
    sig = signer.sign(TASK_ID)

    assert not signer.valid(TASK_ID, sig[:-1])
    assert not signer.valid(TASK_ID, sig + "==")


def test_signatures_are_compared_in_constant_time(monkeypatch):
    compared: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def recording(a: str, b: str) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    signer = CallbackSigner(SECRET)

    assert not signer.valid(TASK_ID, "x" * 22)
    assert compared == [(signer.sign(TASK_ID), "x" * 22)]


def test_a_task_id_with_url_syntax_is_escaped_in_the_path():
    url = CallbackSigner(SECRET).callback_url("https://api.example.com/dev", "a/b?c")

    assert urlsplit(url).path == "/dev/webhooks/creatify/a%2Fb%3Fc"


def test_a_short_secret_is_refused_and_the_secret_never_shows():
    with pytest.raises(ValueError, match="at least 16 bytes"):
        CallbackSigner("short")
    assert SECRET not in repr(CallbackSigner(SECRET))


@pytest.mark.parametrize("sig", ["\u00e9" * 22, "Ab\u0000", "\U0001f600"])
def test_a_signature_that_is_not_ascii_is_refused_not_an_error(sig):
    assert not CallbackSigner(SECRET).valid(TASK_ID, sig)


def test_a_callback_url_names_its_task_on_any_base_and_nothing_else_does():
    signer = CallbackSigner(SECRET)
    other = "0b8e5c1a-2f4d-5e6a-9c3b-7d1e0f2a4b6c"

    assert signer.names_task(signer.callback_url(LONG_EXECUTE_API_BASE, TASK_ID), TASK_ID)
    # The tag names the task, not the host: a URL made before a base URL changed still counts.
    assert signer.names_task(signer.callback_url("http://127.0.0.1:8000", TASK_ID), TASK_ID)
    assert not signer.names_task(signer.callback_url(LONG_EXECUTE_API_BASE, other), TASK_ID)
    assert not signer.names_task(
        CallbackSigner("j" * 48).callback_url(LONG_EXECUTE_API_BASE, TASK_ID), TASK_ID
    )
    url = signer.callback_url(LONG_EXECUTE_API_BASE, TASK_ID)
    assert not signer.names_task(url[:-1] + ("A" if url[-1] != "A" else "B"), TASK_ID)
    assert not signer.names_task(None, TASK_ID)
    assert not signer.names_task("", TASK_ID)
