"""How many API requests the simulator is answering at once, per method, and the most it has seen.

A client that promises a cap on calls in flight (Reelay's ProviderConcurrency) is checked from
the outside with it: the peak of POSTs is the number of paid calls that were open together.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

ALL = "all"


class ConcurrencyGauge:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight: Counter[str] = Counter()
        self._peak: Counter[str] = Counter()

    @contextmanager
    def track(self, method: str) -> Iterator[None]:
        keys = (method.upper(), ALL)
        with self._lock:
            for key in keys:
                self._in_flight[key] += 1
                self._peak[key] = max(self._peak[key], self._in_flight[key])
        try:
            yield
        finally:
            with self._lock:
                for key in keys:
                    self._in_flight[key] -= 1

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {
                "in_flight": {key: count for key, count in self._in_flight.items() if count},
                "peak": dict(self._peak),
            }

    def reset_peak(self) -> None:
        with self._lock:
            self._peak = Counter({key: count for key, count in self._in_flight.items() if count})
