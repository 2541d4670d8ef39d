"""Cutting entries into the batches SQS, SNS and EventBridge take: ten entries, 256 KiB in all.

SendMessageBatch, PublishBatch and PutEvents share these limits, and each answers per entry,
so the callers keep each entry's position to say which ones were refused.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

MAX_ENTRIES = 10
# The services count 256 KiB for the whole request's payload; kept below it for the attributes
# and names the payload size here leaves out.
MAX_BATCH_BYTES = 250_000


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
