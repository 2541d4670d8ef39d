"""Building DynamoDB expressions: every attribute name aliased, every value a placeholder.

Many of the task's attribute names (`status`, `type`, ...) are reserved words in DynamoDB's
expression language, so no name is ever written into an expression directly.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from reelay.dal.attribute_values import to_attribute


class Expression:
    """Placeholders for one request's condition, update and key expressions."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, dict[str, Any]] = {}

    def name(self, attribute: str) -> str:
        placeholder = f"#{attribute}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = to_attribute(value)
        return placeholder

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"ExpressionAttributeNames": self.names}
        if self.values:
            params["ExpressionAttributeValues"] = self.values
        return params


def is_condition_failure(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def conditional_update(
    client: Any,
    table: str,
    key: dict[str, Any],
    e: Expression,
    update: str,
    condition: str,
    *,
    return_new: bool = False,
) -> dict[str, Any] | None:
    """One conditional UpdateItem: the item's new attributes (with `return_new`, else {}), or
    None when its condition failed; any other error is raised."""
    extra = {"ReturnValues": "ALL_NEW"} if return_new else {}
    try:
        response = client.update_item(
            TableName=table,
            Key=key,
            UpdateExpression=update,
            ConditionExpression=condition,
            **extra,
            **e.params(),
        )
    except ClientError as exc:
        if is_condition_failure(exc):
            return None
        raise
    return response.get("Attributes", {}) if return_new else {}
