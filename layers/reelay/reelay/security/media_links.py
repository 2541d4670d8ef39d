"""Lasting links to Reelay's copies of a task's media, for those who hold no AWS credentials.

A presigned S3 URL lasts at most as long as the credentials that signed it (a Lambda role's
session: hours), so nothing that must keep working (a WooCommerce product page, a webhook a
receiver reads tomorrow) can carry one. A media link instead names the task and the asset and
carries an HMAC of both, keyed with the callback signing secret under its own label; the API
checks the tag and answers with a redirect to a presigned URL minted for that request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote

from reelay.models.media_states import MediaAsset

_TAG_BYTES = 16
MEDIA_PATH = "/media/{task_id}/{asset}"


class MediaLinkSigner:
    def __init__(self, secret: bytes | str) -> None:
        key = secret.encode() if isinstance(secret, str) else secret
        if len(key) < 16:
            raise ValueError("media link signing secret must be at least 16 bytes")
        self._key = key

    def __repr__(self) -> str:
        return "MediaLinkSigner(<secret>)"

    def sign(self, task_id: str, asset: MediaAsset) -> str:
        message = f"media-link:{task_id}:{MediaAsset(asset).value}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:_TAG_BYTES]).rstrip(b"=").decode()

    def valid(self, task_id: str, asset: str, sig: str | None) -> bool:
        if not sig or not sig.isascii() or asset not in MediaAsset._value2member_map_:
            return False
        return hmac.compare_digest(self.sign(task_id, MediaAsset(asset)), sig)

    def link(self, base_url: str, task_id: str, asset: MediaAsset) -> str:
        path = MEDIA_PATH.format(task_id=quote(task_id, safe=""), asset=MediaAsset(asset).value)
        return f"{base_url.rstrip('/')}{path}?sig={self.sign(task_id, asset)}"
