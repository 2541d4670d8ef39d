"""Reading the items an index query named: BatchGetItem, in the query's order.

The task table's indexes project little (by-tenant keys only, open-tasks the keys and what the
stuck list filters on), so that updates that move no index key and touch no projected attribute
write no index. A reader that needs whole items asks the table for them, up to 100 a call;
keys DynamoDB leaves unprocessed (throttling) are asked for again.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any

MAX_KEYS = 100  # BatchGetItem's limit per call
ATTEMPTS = 6
BASE_DELAY_SECONDS = 0.05


def _key(item: dict[str, Any]) -> tuple[str, str]:
    return item["pk"]["S"], item["sk"]["S"]


def items_for(client: Any, table: str, entries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The table's items for index `entries` (each holds pk and sk), in their order.

    An item gone since the index was read (TTL, a race) is left out, as a query of the table
    would not have found it either.
    """
    wanted = [{"pk": entry["pk"], "sk": entry["sk"]} for entry in entries]
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for start in range(0, len(wanted), MAX_KEYS):
        request: dict[str, Any] = {table: {"Keys": wanted[start : start + MAX_KEYS]}}
        for attempt in range(ATTEMPTS):
            response = client.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(table, []):
                found[_key(item)] = item
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
            if attempt + 1 == ATTEMPTS:
                raise RuntimeError(f"BatchGetItem left {len(request[table]['Keys'])} keys unprocessed")
            time.sleep(random.random() * BASE_DELAY_SECONDS * 2**attempt)
    return [found[key] for key in map(_key, wanted) if key in found]
