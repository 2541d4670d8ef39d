"""Reading the task table's indexes: a tenant's tasks newest first, and the reconciler's open list.

Both indexes are eventually consistent: a reader that acts on a task re-reads it, or makes
its write conditional on what it read. They project little (template.yaml: by-tenant the
keys, open-tasks the keys with tenant_id and updated_at), so a task's updates write an index
only when they move its key; the tasks themselves are read from the table by their keys
(`batch_reads`), one BatchGetItem per page.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from reelay.dal import keys
from reelay.dal.batch_reads import items_for
from reelay.dal.cursors import decode_cursor, encode_cursor
from reelay.dal.expressions import Expression
from reelay.dal.task_items import task_from_item
from reelay.models.status import TaskStatus
from reelay.models.task import Task
from reelay.ports.stores import TaskPage

MAX_PAGE = 100


class TaskIndexes:
    """The by-tenant and open-tasks indexes of the table `table_name`, over `open_shards` shards."""

    def __init__(self, table_name: str, client: Any, open_shards: int) -> None:
        if open_shards < 1:
            raise ValueError("open_shards must be at least 1")
        self._table = table_name
        self._client = client
        self._shards = open_shards

    def list_by_tenant(
        self,
        tenant_id: str,
        status: TaskStatus | None = None,
        limit: int = 20,
        cursor: str | None = None,
        external: dict[str, str] | None = None,
    ) -> TaskPage:
        """A tenant's tasks, newest first, `limit` (1..100) at a time.

        `external` filters on external_ref fields (source, shop, product_id). `next_cursor`
        resumes right after the last item returned and is None on the last page; with a
        filter, pages are read until `limit` matches or the end, so a page is never empty
        while a cursor says more may follow. Raises InvalidCursor for a cursor that is
        malformed or belongs to another tenant.
        """
        limit = max(1, min(MAX_PAGE, limit))
        e = Expression()
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": keys.TENANT_INDEX,
            "KeyConditionExpression": f"{e.name('tenant_pk')} = {e.value(keys.tenant_pk(tenant_id))}",
            "ScanIndexForward": False,
        }
        wanted = {"status": TaskStatus(status).value} if status is not None else {}
        external = external or {}
        filtered = bool(wanted or external)

        def matches(raw: dict[str, Any]) -> bool:
            # The index holds keys only: the filters apply to the items read from the table.
            ref = raw.get("external_ref", {}).get("M", {})
            return all(raw.get(name, {}).get("S") == value for name, value in wanted.items()) and all(
                ref.get(name, {}).get("S") == value for name, value in external.items()
            )

        params.update(e.params())
        start = decode_cursor(cursor, tenant_id) if cursor else None

        items: list[Task] = []
        last_sk = ""
        while True:
            remaining = limit - len(items)
            # One more than needed tells whether another page exists without a further read; with
            # a filter, read wider pages since only some items match.
            page_size = remaining + 1 if not filtered else max(remaining + 1, MAX_PAGE)
            query = {**params, "Limit": page_size}
            if start:
                query["ExclusiveStartKey"] = start
            response = self._client.query(**query)
            for raw in items_for(self._client, self._table, response.get("Items", [])):
                if not matches(raw):
                    continue
                if len(items) == limit:
                    return TaskPage(items=items, next_cursor=encode_cursor(tenant_id, last_sk))
                items.append(task_from_item(raw))
                last_sk = raw["tenant_sk"]["S"]
            start = response.get("LastEvaluatedKey")
            if not start:
                return TaskPage(items=items, next_cursor=None)
            if len(items) == limit:
                return TaskPage(items=items, next_cursor=encode_cursor(tenant_id, last_sk))

    def iter_open(self, stale_before: datetime, limit: int = 100) -> Iterator[Task]:
        """Tasks still waiting on Creatify with no news since `stale_before`, oldest first, at most `limit`.

        Reads the open-tasks index (eventually consistent: re-read a task before acting on it).
        """
        before = keys.iso(stale_before)
        shards = [self._iter_open_shard(shard, before, limit) for shard in range(self._shards)]
        for count, (_, task) in enumerate(heapq.merge(*shards, key=lambda pair: pair[0])):
            if count >= limit:
                return
            yield task

    def iter_open_unchanged(self, tenant_id: str, changed_before: datetime, limit: int = 100) -> list[Task]:
        """The tenant's open tasks whose last change is older than `changed_before`, oldest change first.

        Reads every shard of the open-tasks index whole (filtered on the tenant and the change
        time): a reconciler's check moves a task's place on the index without changing it, so
        the index order cannot bound the read. Open tasks are the ones in flight, not the table.
        """
        e = Expression()
        filters = (
            f"{e.name('tenant_id')} = {e.value(tenant_id)} AND "
            f"{e.name('updated_at')} < {e.value(keys.iso(changed_before))}"
        )
        found: list[Task] = []
        for shard in range(self._shards):
            params: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": keys.OPEN_INDEX,
                "KeyConditionExpression": f"{e.name('open_pk')} = {e.value(keys.open_pk(shard))}",
                "FilterExpression": filters,
                **e.params(),
            }
            while True:
                response = self._client.query(**params)
                found += [
                    task_from_item(raw) for raw in items_for(self._client, self._table, response["Items"])
                ]
                if not response.get("LastEvaluatedKey"):
                    break
                params["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        found.sort(key=lambda task: (task.updated_at, task.id))
        return found[: max(0, limit)]

    def _iter_open_shard(self, shard: int, before: str, page_size: int) -> Iterator[tuple[str, Task]]:
        e = Expression()
        partition = f"{e.name('open_pk')} = {e.value(keys.open_pk(shard))}"
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": keys.OPEN_INDEX,
            "KeyConditionExpression": f"{partition} AND {e.name('open_sk')} < {e.value(before)}",
            "ScanIndexForward": True,
            "Limit": max(1, min(page_size, 1000)),
            **e.params(),
        }
        while True:
            response = self._client.query(**params)
            entries = response.get("Items", [])
            places = {(entry["pk"]["S"], entry["sk"]["S"]): entry["open_sk"]["S"] for entry in entries}
            for raw in items_for(self._client, self._table, entries):
                # Ordered by the index's place, which the merge of the shards relies on.
                yield places[(raw["pk"]["S"], raw["sk"]["S"])], task_from_item(raw)
            if not response.get("LastEvaluatedKey"):
                return
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]
