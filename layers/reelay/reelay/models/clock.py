"""The one clock the models stamp times with: aware UTC datetimes.

Its own module so a model that only needs the time (a tenant, a claim) does not import the task
model and Creatify's request models with it: the authorizer's cold start pays for neither.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
