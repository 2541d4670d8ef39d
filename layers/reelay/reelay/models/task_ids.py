"""Task ids derived from what makes a request unique, so a retried request lands on the same task.

One conditional PutItem on the derived id is then both the write and the deduplication: no
separate idempotency table, no window in which two copies of a request both create a task.
"""

from __future__ import annotations

import json
from uuid import UUID, uuid5

# Fixed for the life of the data: changing it would give every retried request a new task.
TASK_ID_NAMESPACE = UUID("6f0d5c1e-3b1a-5d8e-9a4c-2b7e8f0a1c3d")


def _derive(*parts: str) -> str:
    # A JSON array keeps the parts apart: ("a:b", "c") and ("a", "b:c") never collide.
    return str(uuid5(TASK_ID_NAMESPACE, json.dumps(parts, ensure_ascii=False)))


def derive_task_id(tenant_id: str, idempotency_key: str) -> str:
    """The task id for an API request: the same tenant and Idempotency-Key always give the same id."""
    return _derive("api", tenant_id, idempotency_key)


def derive_task_id_for_product(platform: str, shop: str, product_id: str) -> str:
    """The task id for a shop's product: one task per product of a shop, however often its hooks fire."""
    return _derive("product", platform, shop, product_id)


def derive_task_id_for_regeneration(source_task_id: str) -> str:
    """The task that regenerates a preview: asking twice (a double click) lands on the same task."""
    return _derive("regen", source_task_id)
