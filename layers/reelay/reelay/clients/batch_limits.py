"""Sending entries in the batches SQS, SNS and EventBridge take: ten entries, 256 KiB in all.

SendMessageBatch, PublishBatch and PutEvents share these limits, and each answers per entry.
`send_in_batches` sends in order and stops at the first batch it could not send whole, so a
caller learns the first entry not sent and nothing after it goes out: what it retries from
there is all that was not sent, and one task's later change never goes out before its earlier one.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

MAX_ENTRIES = 10
# The services count 256 KiB for the whole request's payload; kept below it for the attributes
# and names the payload size here leaves out.
MAX_BATCH_BYTES = 250_000


class PartlySent(Exception):
    """A batch call failed after its client's retries: entries from `first` on were not sent."""

    def __init__(self, first: int) -> None:
        super().__init__(f"entries from {first} on were not sent")
        self.first = first


def refused_in(answer: dict[str, Any]) -> dict[int, bool]:
    """An SQS SendMessageBatch or SNS PublishBatch answer's refusals: entry position -> worth
    sending again (the service's own fault, as throttling, not the entry's)."""
    return {int(failed["Id"]): not failed.get("SenderFault", False) for failed in answer.get("Failed", [])}


def batches(sizes: Sequence[int]) -> Iterator[range]:
    """Consecutive index ranges of at most MAX_ENTRIES entries and MAX_BATCH_BYTES in all.

    An entry larger than the limit on its own goes alone, for the service to refuse by itself.
    """
    start, total = 0, 0
    for index, size in enumerate(sizes):
        if index > start and (index - start >= MAX_ENTRIES or total + size > MAX_BATCH_BYTES):
            yield range(start, index)
            start, total = index, 0
        total += size
    if start < len(sizes):
        yield range(start, len(sizes))


def send_in_batches(
    sizes: Sequence[int],
    call: Callable[[list[int]], dict[int, bool]],
    *,
    max_attempts: int = 4,
    backoff_seconds: float = 0.2,
) -> int | None:
    """Send entries 0..len(sizes)-1 in order; the first one not sent, or None when all were.

    `call(indexes)` sends those entries in one request and answers the ones refused, each with
    whether sending it again may succeed (throttling, a service fault). Those are sent again, up
    to `max_attempts` in all, with jittered backoff; an entry still refused, or refused for a
    fault of its own, stops the sending. A call that raises is `PartlySent` from its first entry.
    """
    for chunk in batches(sizes):
        pending = list(chunk)
        for attempt in range(max_attempts):
            try:
                refused = call(pending)
            except Exception as exc:
                raise PartlySent(pending[0]) from exc
            if not refused:
                break
            pending = sorted(refused)
            if not all(refused.values()) or attempt + 1 == max_attempts:
                return pending[0]
            # Full jitter, as botocore's own retries: instances refused together spread out.
            time.sleep(random.random() * backoff_seconds * 2**attempt)
    return None
