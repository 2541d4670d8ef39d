"""Daily credit budgets in the provider worker, against in-memory stores and a scripted Creatify.

What a tenant relies on: a paid call reserves its credits first and is never made without
room; credits come back when Creatify certainly did no work and stay reserved when it may
have; a call repeated after an unknown outcome is not counted twice; the budget is the
tenant's own, else the stack's, and `GET /v1/credits` reports it as it stands.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from reelay.dal.tenant_cache import TTL_SECONDS, CachedTenants
from reelay.deps import Deps
from reelay.errors import TenantNotFound
from reelay.logic.catalog import credit_statement
from reelay.logic.credit_budgets import daily_limit
from reelay.logic.provider_jobs import JobResult, run_provider_job
from reelay.logic.tenants import create_tenant, set_daily_credit_budget
from reelay.models.jobs import ProviderJob, ProviderJobKind
from reelay.models.status import TaskStatus
from reelay.ports.creatify_errors import (
    CreatifyAuthError,
    CreatifyConfigurationError,
    CreatifyError,
    CreatifyInsufficientCredits,
    CreatifyOutcomeUnknown,
    CreatifyRejected,
    CreatifyRetryable,
)
from reelay.ports.job_stores import Reservation
from tests.unit.fakes import TENANT, FakeRuntime, a_task

S = TaskStatus
NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
TODAY = date(2025, 1, 1)
GEN_IMAGE = ProviderJob(kind=ProviderJobKind.GEN_IMAGE, task_id="t")
GEN_VIDEO = ProviderJob(kind=ProviderJobKind.GEN_VIDEO, task_id="t")
EXHAUSTED = "credit budget exhausted"


@pytest.fixture
def fakes() -> FakeRuntime:
    return FakeRuntime.at(NOW)


def with_budget(fakes: FakeRuntime, credits: int | None) -> None:
    create_tenant("Acme", fakes.deps(), tenant_id=TENANT, daily_credit_budget=credits)


def run(fakes: FakeRuntime, job: ProviderJob, **settings: object) -> JobResult:
    deps = fakes.deps(signed_callbacks=True, **settings)
    return run_provider_job(job, deps, now=fakes.clock.now).result


def new_task(fakes: FakeRuntime, task_id: str = "t") -> None:
    fakes.seed(a_task(task_id, S.INITIALIZING, updated_at=NOW))


def approved_preview(fakes: FakeRuntime, creatify_status: TaskStatus = S.IMAGE_GENERATED) -> None:
    provider_id = fakes.creatify.add(creatify_status, generated_photo_url="https://cdn/p.jpg")
    fakes.seed(a_task("t", S.IMAGE_GENERATED, provider_task_id=provider_id, credits_spent=1))


def used(fakes: FakeRuntime) -> int:
    return fakes.budgets.used(TENANT, TODAY)


# ---------------------------------------------------------------------------- reserving


def test_each_paid_call_reserves_its_cost_on_the_tenant_s_day(fakes: FakeRuntime) -> None:
    with_budget(fakes, 10)
    new_task(fakes, "a")
    approved_preview(fakes)

    run(fakes, GEN_IMAGE.replace(task_id="a"))
    run(fakes, GEN_VIDEO)

    assert used(fakes) == 1 + 3
    assert fakes.creatify.count("gen_image") == fakes.creatify.count("gen_video") == 1


def test_a_call_with_no_room_left_is_not_made_and_fails_the_task_with_the_budget_reason(
    fakes: FakeRuntime,
) -> None:
    with_budget(fakes, 1)
    new_task(fakes, "first")
    new_task(fakes, "t")
    assert run(fakes, GEN_IMAGE.replace(task_id="first")) is JobResult.SUBMITTED

    outcome = run(fakes, GEN_IMAGE)

    task = fakes.tasks.get("t")
    assert outcome is JobResult.FAILED
    assert (task.status, task.failed_reason) == (S.FAILED, EXHAUSTED)
    assert fakes.creatify.count("gen_image") == 1
    assert used(fakes) == 1


def test_a_video_needs_room_for_all_three_credits(fakes: FakeRuntime) -> None:
    with_budget(fakes, 3)
    new_task(fakes, "a")
    run(fakes, GEN_IMAGE.replace(task_id="a"))  # 1 of 3 used: 2 left, a video costs 3
    approved_preview(fakes)

    assert run(fakes, GEN_VIDEO) is JobResult.FAILED
    assert fakes.tasks.get("t").failed_reason == EXHAUSTED
    assert fakes.creatify.count("gen_video") == 0
    assert used(fakes) == 1


def test_a_budget_smaller_than_a_video_refuses_it_even_on_a_fresh_day(fakes: FakeRuntime) -> None:
    with_budget(fakes, 2)
    approved_preview(fakes)

    assert run(fakes, GEN_VIDEO) is JobResult.FAILED
    assert fakes.tasks.get("t").failed_reason == EXHAUSTED
    assert used(fakes) == 0


def test_a_new_utc_day_starts_from_zero(fakes: FakeRuntime) -> None:
    with_budget(fakes, 1)
    new_task(fakes, "a")
    run(fakes, GEN_IMAGE.replace(task_id="a"))
    fakes.clock.advance(hours=12)  # midnight UTC has passed
    new_task(fakes, "t")

    assert run(fakes, GEN_IMAGE) is JobResult.SUBMITTED
    assert (used(fakes), fakes.budgets.used(TENANT, TODAY + timedelta(days=1))) == (1, 1)


# ---------------------------------------------------------------------------- giving back


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(CreatifyRetryable("busy", status_code=503), id="busy"),
        pytest.param(CreatifyRetryable("slow down", status_code=429), id="throttled"),
        pytest.param(CreatifyAuthError(401, "Invalid API key"), id="refused key"),
        pytest.param(CreatifyInsufficientCredits(402, "Not enough credits"), id="account out of credits"),
        pytest.param(CreatifyConfigurationError("no api_key"), id="never sent"),
        pytest.param(CreatifyRejected(400, "Could not download the image."), id="rejected"),
    ],
)
def test_a_call_creatify_certainly_did_no_work_for_gives_its_credits_back(
    fakes: FakeRuntime, answer: CreatifyError
) -> None:
    with_budget(fakes, 5)
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", answer)

    run(fakes, GEN_IMAGE)

    assert fakes.creatify.count("gen_image") == 1
    assert used(fakes) == 0
    assert ("t", "gen_image") not in fakes.budgets.reservations


def test_a_video_creatify_rejects_gives_its_three_credits_back(fakes: FakeRuntime) -> None:
    with_budget(fakes, 5)
    approved_preview(fakes)
    fakes.creatify.fail_next("gen_video", CreatifyRejected(400, "Video prompt too long."))

    assert run(fakes, GEN_VIDEO) is JobResult.FAILED
    assert used(fakes) == 0


def test_a_refusal_because_an_earlier_call_started_the_video_keeps_the_credits(fakes: FakeRuntime) -> None:
    approved_preview(fakes, creatify_status=S.VIDEO_GENERATING)

    assert run(fakes, GEN_VIDEO) is JobResult.RECOVERED
    assert used(fakes) == 3


def test_a_regeneration_with_nothing_to_regenerate_gives_its_credit_back(fakes: FakeRuntime) -> None:
    fakes.seed(a_task("t", S.INITIALIZING, regen_source_id="gone"))

    assert run(fakes, ProviderJob(kind=ProviderJobKind.REGEN_IMAGE, task_id="t")) is JobResult.FAILED
    assert used(fakes) == 0


def test_the_job_put_back_after_a_busy_answer_reserves_again_once(fakes: FakeRuntime) -> None:
    with_budget(fakes, 1)
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", CreatifyRetryable("busy", status_code=503))
    run(fakes, GEN_IMAGE)
    (retry,) = fakes.provider_queue.jobs
    assert isinstance(retry, ProviderJob)

    assert run(fakes, retry) is JobResult.SUBMITTED
    assert used(fakes) == 1


# ---------------------------------------------------------------------------- unknown outcomes


# The settings' unknown_outcome_grace_seconds: an unanswered call not found by then never landed.
GRACE = 180


def lost(path: str) -> CreatifyOutcomeUnknown:
    return CreatifyOutcomeUnknown("read timed out", method="POST", path=path)


def put_back(fakes: FakeRuntime) -> ProviderJob:
    """The job the run put back to look again (it alone may run the job now)."""
    job = fakes.provider_queue.jobs[-1]
    assert isinstance(job, ProviderJob)
    return job


def test_an_unknown_outcome_keeps_the_reservation(fakes: FakeRuntime) -> None:
    with_budget(fakes, 5)
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", lost("/gen_image/"))  # not found yet: it may still land

    assert run(fakes, GEN_IMAGE) is JobResult.CHECK_SCHEDULED
    assert used(fakes) == 1
    assert ("t", "gen_image") in fakes.budgets.reservations


def test_an_image_call_repeated_after_it_never_landed_is_not_counted_twice(fakes: FakeRuntime) -> None:
    with_budget(fakes, 1)  # no room for a second credit: the repeat must use the first reservation
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", lost("/gen_image/"))  # never landed
    run(fakes, GEN_IMAGE)
    fakes.clock.advance(seconds=GRACE)

    assert run(fakes, put_back(fakes)) is JobResult.SUBMITTED
    assert fakes.creatify.count("gen_image") == 2
    assert used(fakes) == 1


def test_a_video_call_repeated_after_it_never_landed_is_not_counted_twice(fakes: FakeRuntime) -> None:
    with_budget(fakes, 3)
    approved_preview(fakes)
    fakes.creatify.fail_next("gen_video", lost("/gen_video/"))  # never landed
    run(fakes, GEN_VIDEO)
    fakes.clock.advance(seconds=GRACE)

    assert run(fakes, put_back(fakes)) is JobResult.SUBMITTED
    assert fakes.creatify.count("gen_video") == 2
    assert used(fakes) == 3


def test_an_unknown_outcome_found_at_creatify_keeps_its_credits_spent(fakes: FakeRuntime) -> None:
    with_budget(fakes, 5)
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", lost("/gen_image/"), took_effect=True)

    assert run(fakes, GEN_IMAGE) is JobResult.RECOVERED  # looked up at once
    assert used(fakes) == 1


# ---------------------------------------------------------------------------- where the budget comes from


def test_the_stack_default_applies_to_a_tenant_without_its_own(fakes: FakeRuntime) -> None:
    with_budget(fakes, None)
    new_task(fakes, "a")
    approved_preview(fakes)

    assert run(fakes, GEN_IMAGE.replace(task_id="a"), daily_credit_budget=2) is (JobResult.SUBMITTED)
    assert run(fakes, GEN_VIDEO, daily_credit_budget=2) is JobResult.FAILED  # 1 + 3 > 2
    assert fakes.tasks.get("t").failed_reason == EXHAUSTED


@pytest.mark.parametrize(
    ("own", "stack", "limit"),
    [(None, 0, None), (None, 40, 40), (7, 40, 7), (0, 40, None), (7, 0, 7)],
)
def test_a_tenant_s_own_budget_wins_and_zero_is_unlimited(
    fakes: FakeRuntime, own: int | None, stack: int, limit: int | None
) -> None:
    with_budget(fakes, own)

    assert daily_limit(TENANT, fakes.deps(daily_credit_budget=stack)) == limit


def test_an_unlimited_budget_still_counts_usage(fakes: FakeRuntime) -> None:
    new_task(fakes)  # no tenant profile at all: the stack's default, unlimited

    assert run(fakes, GEN_IMAGE) is JobResult.SUBMITTED
    assert used(fakes) == 1


def test_an_operator_changes_a_tenant_s_budget_and_back_to_the_stack_default(fakes: FakeRuntime) -> None:
    with_budget(fakes, None)
    deps = fakes.deps(daily_credit_budget=30)

    assert set_daily_credit_budget(TENANT, 5, deps).daily_credit_budget == 5
    assert daily_limit(TENANT, deps) == 5
    assert set_daily_credit_budget(TENANT, None, deps).daily_credit_budget is None
    assert daily_limit(TENANT, deps) == 30


def test_a_budget_for_a_missing_tenant_or_below_zero_is_refused(fakes: FakeRuntime) -> None:
    with pytest.raises(TenantNotFound):
        set_daily_credit_budget("nobody", 5, fakes.deps())
    with_budget(fakes, None)
    with pytest.raises(ValueError, match="negative"):
        set_daily_credit_budget(TENANT, -1, fakes.deps())


# ---------------------------------------------------------------------------- GET /v1/credits


def test_the_statement_shows_today_s_use_and_what_is_left_beside_creatify_s_credits(
    fakes: FakeRuntime,
) -> None:
    with_budget(fakes, 10)
    fakes.budgets.reserve(TENANT, "x", "gen_video", 3, limit=10, now=NOW)

    statement = credit_statement(TENANT, fakes.deps(), now=NOW)

    assert statement.as_json() == {
        "remaining_credits": 100.0,
        "day": "2025-01-01",
        "daily_budget": 10,
        "used_today": 3,
        "left_today": 7,
        "resets_at": "2025-01-02T00:00:00Z",
    }


def test_nothing_is_left_when_the_budget_was_lowered_below_today_s_use(fakes: FakeRuntime) -> None:
    with_budget(fakes, 10)
    fakes.budgets.reserve(TENANT, "x", "gen_video", 3, limit=10, now=NOW)
    set_daily_credit_budget(TENANT, 2, fakes.deps())

    statement = credit_statement(TENANT, fakes.deps(), now=NOW)

    assert (statement.daily_budget, statement.used_today, statement.left_today) == (2, 3, 0)


def test_an_unlimited_budget_shows_use_and_nothing_as_left(fakes: FakeRuntime) -> None:
    fakes.budgets.reserve(TENANT, "x", "gen_image", 1, limit=None, now=NOW)

    statement = credit_statement(TENANT, fakes.deps(), now=NOW)

    assert (statement.daily_budget, statement.used_today, statement.left_today) == (None, 1, None)


def test_the_memory_store_refuses_a_second_reservation_for_the_same_job(fakes: FakeRuntime) -> None:
    budgets = fakes.budgets

    assert budgets.reserve(TENANT, "t", "gen_image", 1, limit=1) is Reservation.RESERVED
    assert budgets.reserve(TENANT, "t", "gen_image", 1, limit=1) is Reservation.ALREADY_HELD
    assert budgets.reserve(TENANT, "u", "gen_image", 1, limit=1) is Reservation.OVER_BUDGET
    assert (budgets.release("t", "gen_image"), budgets.release("t", "gen_image")) == (True, False)
    assert budgets.used(TENANT, TODAY) == 0


def test_the_worker_applies_a_changed_budget_within_a_minute_and_the_credits_view_at_once(fakes):
    with_budget(fakes, 10)
    seconds = [0.0]
    base = fakes.deps()
    deps = Deps(
        config=base.settings,
        tenants=base.tenants,
        tenant_profiles=CachedTenants(base.tenants.profile, clock=lambda: seconds[0]),
    )
    assert daily_limit(TENANT, deps, cached=True) == 10

    set_daily_credit_budget(TENANT, 2, deps)
    seconds[0] = TTL_SECONDS - 1

    assert daily_limit(TENANT, deps, cached=True) == 10  # the worker's read of a minute ago
    assert daily_limit(TENANT, deps) == 2  # what GET /v1/credits shows
    seconds[0] = TTL_SECONDS
    assert daily_limit(TENANT, deps, cached=True) == 2
