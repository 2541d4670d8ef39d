"""The table's key layout: every key format and index name, in one place.

| item           | pk                  | sk          | index keys                                   |
| -------------- | ------------------- | ----------- | -------------------------------------------- |
| task           | TASK#<id>           | TASK        | by-tenant: TENANT#<t> / <created_at>#<id>    |
|                |                     |             | open-tasks (while open): OPEN#<n> / <updated>|
| provider job   | TASK#<id>           | JOB#<job>   | - (its slot, claim and credit reservation; TTL)|
| tenant         | TENANT#<t>          | PROFILE     | -                                            |
| credit budget  | TENANT#<t>          | BUDGET#<day>| - (one per UTC day; TTL)                     |
| api key        | APIKEY#<sha256 hex> | APIKEY      | - (TTL: a rotated-out key, after its overlap)|
| tenant listing | TENANTS             | <created>#<t> | - (the operator's directory: no secrets)   |
| connection     | CONN#<id>           | CONNECTION  | by-tenant: CONNECTIONS#<t> / <created>#<id>  |
| shop lookup    | SHOP#<platform>#<s> | SHOP        | -                                            |
| hook delivery  | HOOK#<platform>#<d> | HOOK        | - (TTL: a shop's retries are long over)      |
| awaiting image | PRODUCT#<p>#<s>#<id>| AWAITING    | - (a product created without an image)       |

Times in keys are fixed-width ISO-8601 UTC (`2025-01-31T12:00:00.000000Z`) so that string
order is time order; the JSON form of a datetime (reelay.models.records.iso_json, pydantic's
form) drops zero microseconds, which would not sort.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

TENANT_INDEX = "by-tenant"
OPEN_INDEX = "open-tasks"

# `entity` on every item says what it is, so a stream reader can skip what is not a task.
ENTITY_TASK = "task"
ENTITY_JOB_SLOT = "job_slot"
ENTITY_CREDIT_BUDGET = "credit_budget"
ENTITY_TENANT = "tenant"
ENTITY_API_KEY = "api_key"
ENTITY_TENANT_LISTING = "tenant_listing"
ENTITY_CONNECTION = "connection"
ENTITY_SHOP = "shop"
ENTITY_HOOK = "hook_delivery"
ENTITY_AWAITING_IMAGE = "awaiting_image"

TASK_SK = "TASK"
TENANT_DIRECTORY_PK = "TENANTS"
TENANT_SK = "PROFILE"
API_KEY_SK = "APIKEY"

# Attributes that exist for the table's keys and indexes, not for the task itself.
KEY_ATTRIBUTES = frozenset({"pk", "sk", "tenant_pk", "tenant_sk", "open_pk", "open_sk", "entity"})


def iso(moment: datetime) -> str:
    """Fixed-width ISO-8601 in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def task_pk(task_id: str) -> str:
    return f"TASK#{task_id}"


def task_key(task_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": task_pk(task_id)}, "sk": {"S": TASK_SK}}


def job_slot_key(task_id: str, job: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": task_pk(task_id)}, "sk": {"S": f"JOB#{job}"}}


def tenant_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


def tenant_sk(created_at: datetime, task_id: str) -> str:
    return f"{iso(created_at)}#{task_id}"


def tenant_profile_key(tenant_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": tenant_pk(tenant_id)}, "sk": {"S": TENANT_SK}}


def tenant_directory_key(created_at: datetime, tenant_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": TENANT_DIRECTORY_PK}, "sk": {"S": f"{iso(created_at)}#{tenant_id}"}}


def credit_budget_key(tenant_id: str, day: date) -> dict[str, dict[str, str]]:
    return {"pk": {"S": tenant_pk(tenant_id)}, "sk": {"S": f"BUDGET#{day.isoformat()}"}}


def api_key_key(api_key_hash: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"APIKEY#{api_key_hash}"}, "sk": {"S": API_KEY_SK}}


def open_shard(task_id: str, shards: int) -> int:
    """A stable shard for the open-tasks index (Python's hash() changes between processes)."""
    return int.from_bytes(hashlib.sha256(task_id.encode()).digest()[:4], "big") % shards


def open_pk(shard: int) -> str:
    return f"OPEN#{shard}"


def connection_key(connection_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"CONN#{connection_id}"}, "sk": {"S": "CONNECTION"}}


def tenant_connections_pk(tenant_id: str) -> str:
    # Apart from the tenant's tasks on the same index, so a task listing never meets a connection.
    return f"CONNECTIONS#{tenant_id}"


def shop_key(platform: str, shop: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"SHOP#{platform}#{shop}"}, "sk": {"S": "SHOP"}}


def hook_delivery_key(platform: str, delivery_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"HOOK#{platform}#{delivery_id}"}, "sk": {"S": "HOOK"}}


def awaiting_image_key(platform: str, shop: str, product_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"PRODUCT#{platform}#{shop}#{product_id}"}, "sk": {"S": "AWAITING"}}
