"""The callback signing secret works whichever form Secrets Manager holds it in.

An operator may store it as SecretString (what the template generates) or as SecretBinary
(what `aws secretsmanager put-secret-value --secret-binary` stores). Both must sign with the
secret's own bytes: signing with the text "b'...'" of a binary secret would make every link and
callback URL signed before a switch of form, or by a stack reading the other form, invalid.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from reelay.clients.secrets import clear_secret_cache
from reelay.config import settings
from reelay.deps import Deps
from reelay.models.media_states import MediaAsset
from reelay.security.callback_tokens import CallbackSigner
from reelay.security.media_links import MediaLinkSigner

KEY = secrets.token_bytes(32)


@pytest.fixture(params=["SecretBinary", "SecretString"])
def signing(request: pytest.FixtureRequest) -> Iterator[tuple[Deps, bytes]]:
    """Deps reading the secret in one form, and the key bytes that form holds."""
    clear_secret_cache()
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        key = KEY if request.param == "SecretBinary" else KEY.hex().encode()
        value = key if request.param == "SecretBinary" else key.decode()
        arn = client.create_secret(Name="callback", **{request.param: value})["ARN"]
        yield Deps(config=dataclasses.replace(settings(), callback_secret_arn=arn)), key
    clear_secret_cache()


def test_callback_urls_and_media_links_are_signed_with_the_secret_s_own_bytes(
    signing: tuple[Deps, bytes],
) -> None:
    deps, key = signing

    assert deps.callback_signer.sign("task_1") == CallbackSigner(key).sign("task_1")
    assert deps.media_links.sign("task_1", MediaAsset.VIDEO) == MediaLinkSigner(key).sign(
        "task_1", MediaAsset.VIDEO
    )
    assert deps.callback_signer.sign("task_1") != CallbackSigner(repr(key)).sign("task_1")
