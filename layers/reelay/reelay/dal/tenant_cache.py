"""Tenant profiles read through a short in-process cache, for workers that need one per job.

The delivery worker signs with its tenant's webhook secrets and the provider worker checks its
tenant's daily credit budget: both read the same few tenants job after job, and a warm Lambda
instance may keep each profile for `ttl` seconds instead. Nothing a tenant relies on changes
faster than that: a secret roll keeps the old and the new secret valid together for 24 hours,
and a budget changed now applies to calls a minute later at most. API keys are never checked
through this cache (the authorizer reads the key's own item on every request it is asked).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reelay.models.tenant_profile import TenantProfile

TTL_SECONDS = 60.0


class CachedTenants:
    """`get` answers from a profile read less than `ttl` seconds ago, else reads it again.

    `read` is the store's `profile` (reelay.ports.stores.TenantStore.profile).
    """

    def __init__(
        self,
        read: Callable[[str], TenantProfile | None],
        ttl: float = TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read_profile = read
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._read: dict[str, tuple[float, TenantProfile | None]] = {}

    def get(self, tenant_id: str) -> TenantProfile | None:
        now = self._clock()
        with self._lock:
            cached = self._read.get(tenant_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        tenant = self._read_profile(tenant_id)
        with self._lock:
            self._read[tenant_id] = (now, tenant)
        return tenant
