"""Read-only views for a tenant: Creatify avatars (cached), remaining credits, today's credit budget."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime

from reelay.deps import Deps
from reelay.errors import ProviderUnavailable
from reelay.logic.credit_budgets import daily_limit
from reelay.models.api import Avatar, Credits
from reelay.models.credit_days import day_ends_at, utc_day
from reelay.ports.creatify_errors import CreatifyError

AVATAR_CACHE_SECONDS = 600
# Per warm container: the catalogue changes rarely and listing it is slow.
_avatar_cache: dict[tuple[str | None, str | None], tuple[float, list[Avatar]]] = {}


def _choices(csv: str | None) -> str | None:
    # One spelling per filter ("f,m,m" and "m,f" alike), so a query cannot dodge the cache.
    return ",".join(sorted(set(csv.split(",")))) if csv else None


def list_avatars(deps: Deps, gender: str | None = None, age_range: str | None = None) -> list[Avatar]:
    gender, age_range = _choices(gender), _choices(age_range)
    key = (gender, age_range)
    cached = _avatar_cache.get(key)
    if cached and time.monotonic() - cached[0] < AVATAR_CACHE_SECONDS:
        return cached[1]
    try:
        personas = deps.creatify.personas(
            gender=gender.split(",") if gender else None,
            age_range=age_range.split(",") if age_range else None,
        )
    except CreatifyError as exc:
        raise ProviderUnavailable(f"Creatify avatars unavailable: {exc.message}") from exc
    fields = [field.name for field in dataclasses.fields(Avatar) if field.name != "id"]
    items = [
        Avatar(id=str(p.id), **{name: getattr(p, name) for name in fields}) for p in personas if p.is_active
    ]
    _avatar_cache[key] = (time.monotonic(), items)
    return items


def remaining_credits(deps: Deps) -> float:
    try:
        return deps.creatify.remaining_credits()
    except CreatifyError as exc:
        raise ProviderUnavailable(f"Creatify credits unavailable: {exc.message}") from exc


def credit_statement(tenant_id: str, deps: Deps, now: datetime | None = None) -> Credits:
    """Creatify's credits left on the account, and the tenant's budget for today (UTC)."""
    day = utc_day(now or datetime.now(UTC))
    limit = daily_limit(tenant_id, deps)
    used = deps.budgets.used(tenant_id, day)
    return Credits(
        remaining_credits=remaining_credits(deps),
        day=day,
        daily_budget=limit,
        used_today=used,
        # A budget lowered during the day can be below what the day already used: nothing is left.
        left_today=None if limit is None else max(0, limit - used),
        resets_at=day_ends_at(day),
    )
