"""Signed callback URLs for Creatify.

Creatify does not sign its webhooks, so Reelay signs the URL it hands out instead: the
callback path carries our task id and a truncated HMAC of it. The whole URL must fit
Creatify's 200-character limit on webhook_url, which a full hex SHA-256 would crowd;
16 bytes of HMAC (128 bits, base64url) is still far beyond guessing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote

from reelay.models.upstream import MAX_URL_LENGTH

_TAG_BYTES = 16
CALLBACK_PATH = "/webhooks/creatify/{task_id}"


class CallbackUrlTooLong(ValueError):
    """The callback base URL leaves no room within Creatify's 200-character webhook_url limit."""


class CallbackSigner:
    def __init__(self, secret: bytes | str) -> None:
        key = secret.encode() if isinstance(secret, str) else secret
        if len(key) < 16:
            raise ValueError("callback signing secret must be at least 16 bytes")
        self._key = key

    def __repr__(self) -> str:
        return "CallbackSigner(<secret>)"

    def sign(self, task_id: str) -> str:
        digest = hmac.new(self._key, f"creatify-callback:{task_id}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:_TAG_BYTES]).rstrip(b"=").decode()

    def valid(self, task_id: str, sig: str | None) -> bool:
        # compare_digest raises on a str that is not ASCII, and the query string is the caller's
        # to fill; a real tag is always ASCII, so anything else is simply wrong.
        if not sig or not sig.isascii():
            return False
        return hmac.compare_digest(self.sign(task_id), sig)

    def callback_url(self, base_url: str, task_id: str) -> str:
        url = f"{base_url.rstrip('/')}{self._signed_path(task_id)}"
        if len(url) > MAX_URL_LENGTH:
            raise CallbackUrlTooLong(
                f"callback URL would be {len(url)} characters; Creatify accepts at most {MAX_URL_LENGTH}"
            )
        return url

    def names_task(self, url: str | None, task_id: str) -> bool:
        """Whether `url` is a callback URL this signer made for `task_id`, on whatever base URL.

        The tag is the proof: only Reelay can make it, and it names the task. Creatify's copy of a
        task's webhook_url passing this shows the Creatify task was made for that task.
        """
        return url is not None and url.endswith(self._signed_path(task_id))

    def _signed_path(self, task_id: str) -> str:
        return f"{CALLBACK_PATH.format(task_id=quote(task_id, safe=''))}?sig={self.sign(task_id)}"
