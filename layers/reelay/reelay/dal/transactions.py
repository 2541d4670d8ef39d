"""TransactWriteItems, tried again when DynamoDB cancelled it for a reason that passes.

DynamoDB cancels a whole transaction when another transaction touches one of its items at the
same moment (TransactionConflict) or a partition is throttled, and reports it as the same
TransactionCanceledException as a failed condition, with a reason per item. botocore does not
retry it (nothing tells it the reasons apart), and a store that read any cancellation as "the
condition failed" would answer a shop "already connected" for a conflict. Nothing was written
by a cancelled transaction, so sending it again is safe.
"""

from __future__ import annotations

import random
import time
from typing import Any

from botocore.exceptions import ClientError

# Per-item cancellation reasons that say "try again", not "no".
PASSING_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})
ATTEMPTS = 4
BASE_DELAY_SECONDS = 0.05


def cancellation_reasons(exc: ClientError) -> list[str]:
    """The reason code of each item of a cancelled transaction ("None" for an item that was fine)."""
    if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return []
    return [str(reason.get("Code") or "None") for reason in exc.response.get("CancellationReasons", [])]


def is_passing_cancellation(exc: ClientError) -> bool:
    reasons = set(cancellation_reasons(exc)) - {"None"}
    return bool(reasons) and reasons <= PASSING_REASONS


def is_refused_transaction(exc: ClientError) -> bool:
    """A cancellation that is DynamoDB's "no" (a condition failed, or it did not say why)."""
    cancelled = exc.response.get("Error", {}).get("Code") == "TransactionCanceledException"
    return cancelled and not is_passing_cancellation(exc)


def write_transaction(client: Any, items: list[dict[str, Any]], attempts: int = ATTEMPTS) -> None:
    """TransactWriteItems; a cancellation for passing reasons only is sent again, with jittered backoff.

    Raises the last ClientError when a condition failed (callers read `cancellation_reasons`)
    or the passing reasons outlasted `attempts`.
    """
    for attempt in range(attempts):
        try:
            client.transact_write_items(TransactItems=items)
            return
        except ClientError as exc:
            if attempt + 1 >= attempts or not is_passing_cancellation(exc):
                raise
        time.sleep(random.random() * BASE_DELAY_SECONDS * 2**attempt)
