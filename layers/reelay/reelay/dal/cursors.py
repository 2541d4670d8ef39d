"""Opaque cursors for a tenant's task listing: where a page ended, bound to its tenant.

A cursor is the listing index's sort key of the last item returned, with the tenant it was
issued to, base64url-encoded. Decoding checks both, so a cursor from another tenant's
listing, or one that was made up, can never start a query somewhere it should not.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from reelay.dal import keys
from reelay.errors import InvalidCursor

_TENANT_SK_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z#(?P<task_id>[^#]+)$")


def encode_cursor(tenant_id: str, tenant_sk: str) -> str:
    raw = json.dumps({"t": tenant_id, "k": tenant_sk}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, tenant_id: str) -> dict[str, dict[str, str]]:
    """The listing index's start key for `cursor`; InvalidCursor unless this tenant was issued it."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        owner, tenant_sk = data["t"], data["k"]
    except (binascii.Error, ValueError, TypeError, KeyError) as exc:
        raise InvalidCursor("cursor is not one this API issued") from exc
    match = _TENANT_SK_FORMAT.match(tenant_sk) if isinstance(tenant_sk, str) else None
    if match is None or not isinstance(owner, str):
        raise InvalidCursor("cursor is not one this API issued")
    if owner != tenant_id:
        raise InvalidCursor("cursor belongs to another listing")
    # The index's start key: the index keys plus the table keys of the item to resume after.
    return {
        "tenant_pk": {"S": keys.tenant_pk(tenant_id)},
        "tenant_sk": {"S": tenant_sk},
        **keys.task_key(match["task_id"]),
    }
