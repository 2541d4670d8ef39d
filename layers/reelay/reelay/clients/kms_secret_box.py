"""Sealing shop secrets with the stack's KMS key, bound to the connection they belong to.

The connection's ids go in as KMS encryption context, so a sealed secret copied onto another
item cannot be opened there. Opened secrets are kept for the life of a warm container (they
change only when the connection's item does, which changes the sealed text too), so a hook
pays KMS once per connection and cold start, not per request.
"""

from __future__ import annotations

import base64
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reelay.clients.aws import aws_client
from reelay.errors import SealedSecretUnreadable

_MAX_CACHED = 1024


class KmsSecretBox:
    def __init__(self, key_id: str, kms: Any = None) -> None:
        self._key_id = key_id
        self._kms = kms
        self._opened: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}

    @property
    def kms(self) -> Any:
        if self._kms is None:
            self._kms = aws_client("kms")
        return self._kms

    def __repr__(self) -> str:
        return f"KmsSecretBox(key_id={self._key_id!r})"

    def seal(self, plaintext: str, context: dict[str, str]) -> str:
        answer = self.kms.encrypt(KeyId=self._key_id, Plaintext=plaintext.encode(), EncryptionContext=context)
        return base64.b64encode(answer["CiphertextBlob"]).decode()

    def open(self, sealed: str, context: dict[str, str]) -> str:
        cache_key = (sealed, tuple(sorted(context.items())))
        cached = self._opened.get(cache_key)
        if cached is not None:
            return cached
        try:
            answer = self.kms.decrypt(CiphertextBlob=base64.b64decode(sealed), EncryptionContext=context)
        except (ClientError, BotoCoreError, ValueError) as exc:
            # Only the error's kind: a message from KMS never holds the plaintext, but say less.
            raise SealedSecretUnreadable(
                f"sealed secret could not be opened ({type(exc).__name__})"
            ) from None
        plaintext = answer["Plaintext"].decode()
        if len(self._opened) >= _MAX_CACHED:
            self._opened.clear()
        self._opened[cache_key] = plaintext
        return plaintext
