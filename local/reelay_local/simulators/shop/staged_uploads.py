"""The local shop's staged-upload targets: where a client sends a file before naming it in a mutation.

Shopify's `stagedUploadsCreate` answers a URL, form parameters and a `resourceUrl`; the client
POSTs a multipart form to the URL with every parameter as a field and the file last, then passes
the resourceUrl as `originalSource`. This target checks the form strictly, as a signed-policy
upload does: every parameter present with its value, the file the last part, its size the
fileSize that was declared. Only a completed upload's resourceUrl may become media.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP

from reelay_local.simulators.shop.errors import InvalidInput

STAGED_PREFIX = "/_staged/"
# What the simulator keeps in memory per upload; Shopify's own cap for a video is 1 GB.
MAX_UPLOAD_BYTES = 256 * 1024 * 1024


@dataclass
class StagedUpload:
    token: str
    resource: str
    filename: str
    mime_type: str
    file_size: int | None
    url: str
    resource_url: str
    parameters: list[dict[str, str]]
    data: bytes | None = None  # the file, once an upload completed

    @property
    def completed(self) -> bool:
        return self.data is not None


@dataclass
class StagedUploads:
    base_url: str
    _by_token: dict[str, StagedUpload] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, resource: str, filename: str, mime_type: str, file_size: int | None) -> StagedUpload:
        token = secrets.token_hex(12)
        key = f"tmp/{token}/{filename}"
        upload = StagedUpload(
            token=token,
            resource=resource,
            filename=filename,
            mime_type=mime_type,
            file_size=file_size,
            url=f"{self.base_url}{STAGED_PREFIX}{token}",
            resource_url=f"{self.base_url}{STAGED_PREFIX}{token}/{filename}",
            parameters=[
                {"name": "Content-Type", "value": mime_type},
                {"name": "key", "value": key},
                {"name": "policy", "value": secrets.token_urlsafe(24)},
                {"name": "x-goog-signature", "value": secrets.token_hex(32)},
            ],
        )
        with self._lock:
            self._by_token[token] = upload
        return upload

    def by_resource_url(self, url: str) -> StagedUpload | None:
        with self._lock:
            return next((u for u in self._by_token.values() if u.resource_url == url), None)

    def receive(self, path: str, content_type: str, body: bytes) -> StagedUpload:
        """Check and keep one upload POSTed to its target; InvalidInput says what is wrong."""
        token = path[len(STAGED_PREFIX) :].strip("/")
        with self._lock:
            upload = self._by_token.get(token)
        if upload is None:
            raise InvalidInput("no staged upload target at this URL (or it expired)")
        parts = _form_parts(content_type, body)
        if not parts:
            raise InvalidInput("send multipart/form-data: the target's parameters, then the file")
        names = [name for name, _, _ in parts]
        if names[-1] != "file":
            raise InvalidInput("the file must be the last part of the form (after every parameter)")
        sent = {name: value for name, value, _ in parts[:-1]}
        for parameter in upload.parameters:
            if sent.get(parameter["name"]) != parameter["value"].encode():
                raise InvalidInput(f"form field {parameter['name']!r} is missing or not the policy's")
        data = parts[-1][1]
        if upload.file_size is not None and len(data) != upload.file_size:
            raise InvalidInput(f"the file has {len(data)} bytes; the policy says {upload.file_size}")
        upload.data = data
        return upload


def _form_parts(content_type: str, body: bytes) -> list[tuple[str, bytes, str | None]]:
    """(field name, value, filename) of each part, in order; [] when this is no multipart form."""
    if not content_type.lower().startswith("multipart/form-data"):
        return []
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + body
    )
    if not message.is_multipart():
        return []
    parts: list[tuple[str, bytes, str | None]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or payload is None:
            raise InvalidInput("every form part needs a Content-Disposition with a name")
        parts.append((name, payload, part.get_filename()))
    return parts
