"""Shop connections in the table, and the lookup that finds one by its shop.

A connection (`CONN#<id>`) and its shop lookup (`SHOP#<platform>#<shop>`) are written and
removed in one transaction, so a shop always names exactly the connection that owns it and
no shop can be connected twice. A tenant's connections are on the by-tenant index under a
key of their own, apart from its tasks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from reelay.clients.aws import aws_client
from reelay.dal import keys
from reelay.dal.attribute_values import from_item, to_attribute, to_item
from reelay.dal.batch_reads import items_for
from reelay.dal.expressions import Expression, is_condition_failure
from reelay.dal.transactions import is_refused_transaction, write_transaction
from reelay.errors import ConnectionNotFound, ShopAlreadyConnected
from reelay.models.clock import utc_now
from reelay.models.connection import ShopConnection


def connection_from_item(item: Mapping[str, Mapping[str, Any]]) -> ShopConnection:
    """The connection a stored item holds (its key attributes aside); InvalidRecord naming the
    field if it holds none."""
    return ShopConnection.from_stored(
        {k: v for k, v in from_item(item).items() if k not in keys.KEY_ATTRIBUTES}
    )


def connection_item(connection: ShopConnection) -> dict[str, Any]:
    """The item that stores `connection`, keys and index keys included."""
    values = connection.stored()
    values.update(
        created_at=keys.iso(connection.created_at),
        updated_at=keys.iso(connection.updated_at),
        entity=keys.ENTITY_CONNECTION,
        tenant_pk=keys.tenant_connections_pk(connection.tenant_id),
        tenant_sk=keys.tenant_sk(connection.created_at, connection.id),
    )
    return {**keys.connection_key(connection.id), **to_item(values)}


class ConnectionRepository:
    def __init__(self, table_name: str, client: Any = None) -> None:
        self._client = client if client is not None else aws_client("dynamodb")
        self._table = table_name

    def create(self, connection: ShopConnection) -> None:
        lookup = {
            **keys.shop_key(connection.platform.value, connection.shop),
            "entity": to_attribute(keys.ENTITY_SHOP),
            "connection_id": to_attribute(connection.id),
            "tenant_id": to_attribute(connection.tenant_id),
        }
        try:
            write_transaction(
                self._client,
                [
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": connection_item(connection),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": lookup,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ],
            )
        except ClientError as exc:
            if not is_refused_transaction(exc):
                raise
            # The id is random: a taken lookup is what makes this fail.
            raise ShopAlreadyConnected(connection.platform.value, connection.shop) from None

    def get(self, connection_id: str) -> ShopConnection | None:
        response = self._client.get_item(
            TableName=self._table, Key=keys.connection_key(connection_id), ConsistentRead=True
        )
        item = response.get("Item")
        return connection_from_item(item) if item else None

    def find_by_shop(self, platform: str, shop: str) -> ShopConnection | None:
        response = self._client.get_item(TableName=self._table, Key=keys.shop_key(platform, shop))
        item = response.get("Item")
        return self.get(item["connection_id"]["S"]) if item else None

    def list_by_tenant(self, tenant_id: str) -> list[ShopConnection]:
        e = Expression()
        partition = e.value(keys.tenant_connections_pk(tenant_id))
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": keys.TENANT_INDEX,
            "KeyConditionExpression": f"{e.name('tenant_pk')} = {partition}",
            "ScanIndexForward": False,
            **e.params(),
        }
        found: list[ShopConnection] = []
        while True:
            response = self._client.query(**params)
            # The index holds keys only: the connections are read from the table.
            entries = response.get("Items", [])
            found += [connection_from_item(item) for item in items_for(self._client, self._table, entries)]
            if not response.get("LastEvaluatedKey"):
                return found
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def update(self, tenant_id: str, connection_id: str, changes: dict[str, Any]) -> ShopConnection:
        e = Expression()
        sets = [f"{e.name('updated_at')} = {e.value(keys.iso(utc_now()))}"]
        removes: list[str] = []
        for name, value in changes.items():
            if value is None:
                removes.append(e.name(name))
            else:
                sets.append(f"{e.name(name)} = {e.value(value)}")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=keys.connection_key(connection_id),
                UpdateExpression=expression,
                ConditionExpression=f"{e.name('tenant_id')} = {e.value(tenant_id)}",
                ReturnValues="ALL_NEW",
                **e.params(),
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                raise ConnectionNotFound(connection_id) from None
            raise
        return connection_from_item(response["Attributes"])

    def delete(self, tenant_id: str, connection_id: str) -> bool:
        connection = self.get(connection_id)
        if connection is None or connection.tenant_id != tenant_id:
            return False
        e = Expression()
        try:
            write_transaction(
                self._client,
                [
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": keys.connection_key(connection_id),
                            "ConditionExpression": f"{e.name('tenant_id')} = {e.value(tenant_id)}",
                            **e.params(),
                        }
                    },
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": keys.shop_key(connection.platform.value, connection.shop),
                        }
                    },
                ],
            )
        except ClientError as exc:
            if not is_refused_transaction(exc):
                raise
            return False  # deleted meanwhile by another request
        return True
