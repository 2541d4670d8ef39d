"""The provider worker (`run_provider_job`) against in-memory stores and a scripted Creatify.

What it promises: Creatify is paid at most once per job however often the job arrives, a
failure that certainly did no work waits and tries again, one that may have done work is
looked up at once instead of repeated, a refusal fails the task with Creatify's reason, and
at most one message per (task, job) is queued or running (its job slot).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reelay.logic.provider_jobs import (
    JobOutcome,
    JobResult,
    run_provider_job,
)
from reelay.models.jobs import ProviderJob, ProviderJobKind
from reelay.models.status import TaskStatus
from reelay.models.task import Task
from reelay.ports.creatify_errors import (
    CreatifyAuthError,
    CreatifyConfigurationError,
    CreatifyError,
    CreatifyInsufficientCredits,
    CreatifyOutcomeUnknown,
    CreatifyRejected,
    CreatifyRetryable,
)
from tests.unit.fakes import FakeRuntime, a_task

S = TaskStatus
NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
GEN_IMAGE = ProviderJob(kind=ProviderJobKind.GEN_IMAGE, task_id="t")
GEN_VIDEO = ProviderJob(kind=ProviderJobKind.GEN_VIDEO, task_id="t")
IMAGE_PATH = "/api/product_to_videos/gen_image/"
# While a call whose outcome is unknown may still land, it is looked for every 30 s.
CHECK_AGAIN = 30
# The settings' unknown_outcome_grace_seconds (3 minutes) unless a test sets it.
GRACE = 180


@pytest.fixture
def fakes() -> FakeRuntime:
    return FakeRuntime.at(NOW)


def run(fakes: FakeRuntime, job: ProviderJob, *, signed_callbacks: bool = False) -> JobOutcome:
    return run_provider_job(job, fakes.deps(signed_callbacks=signed_callbacks), now=fakes.clock.now)


def new_task(fakes: FakeRuntime) -> Task:
    return fakes.seed(a_task("t", S.INITIALIZING, updated_at=NOW))


def approved_preview(fakes: FakeRuntime, creatify_status: TaskStatus = S.IMAGE_GENERATED) -> str:
    provider_id = fakes.creatify.add(creatify_status, generated_photo_url="https://cdn/p.jpg")
    fakes.seed(a_task("t", S.IMAGE_GENERATED, provider_task_id=provider_id, credits_spent=1, updated_at=NOW))
    return provider_id


def lost_answer(status_code: int | None = None) -> CreatifyOutcomeUnknown:
    """No answer (a read timeout), or with `status_code` a gateway's or server's error page."""
    return CreatifyOutcomeUnknown("no usable answer", method="POST", path=IMAGE_PATH, status_code=status_code)


def queued(fakes: FakeRuntime) -> list[tuple[str, int, int]]:
    """The jobs put back: (kind, retries, delay); every one has an id of its own."""
    return [(job.kind.value, job.retries, delay) for job, delay in fakes.provider_queue.sent]


def put_back(fakes: FakeRuntime) -> ProviderJob:
    job = fakes.provider_queue.jobs[-1]
    assert isinstance(job, ProviderJob)
    return job


# ---------------------------------------------------------------------------- paid once


def test_a_redelivered_gen_image_job_after_a_successful_run_calls_creatify_once_in_total(
    fakes: FakeRuntime,
) -> None:
    new_task(fakes)

    first = run(fakes, GEN_IMAGE)
    again = run(fakes, GEN_IMAGE)

    task = fakes.tasks.get("t")
    assert first == JobOutcome(JobResult.SUBMITTED, task.provider_task_id or "")
    assert again.result is JobResult.SKIPPED
    assert fakes.creatify.count("gen_image") == 1
    assert (task.provider_task_id in fakes.creatify.tasks, task.credits_spent) == (True, 1)


def test_a_job_arriving_while_the_first_call_may_still_be_in_flight_is_looked_at_later_not_called(
    fakes: FakeRuntime,
) -> None:
    new_task(fakes)
    fakes.claims.claim("t", "gen_image", now=NOW - timedelta(seconds=5))  # another worker's call

    outcome = run(fakes, GEN_IMAGE)

    assert outcome.result is JobResult.CHECK_SCHEDULED
    assert queued(fakes) == [("gen_image", 0, CHECK_AGAIN)]
    assert fakes.creatify.count("gen_image") == 0


def test_a_gen_image_job_for_a_finished_task_does_nothing(fakes: FakeRuntime) -> None:
    fakes.seed(a_task("t", S.FAILED, failed_reason="gave up"))

    assert run(fakes, GEN_IMAGE).result is JobResult.SKIPPED
    assert fakes.creatify.calls == []


def test_a_job_for_a_task_that_is_gone_does_nothing(fakes: FakeRuntime) -> None:
    assert run(fakes, GEN_IMAGE) == JobOutcome(JobResult.SKIPPED, "unknown task")
    assert fakes.creatify.calls == []


# ---------------------------------------------------------------------------- safe to retry


# The schedule's first and fourth delays: 2 s, then 10 s, 30 s, 60 s, ... (written out, not read from it).
@pytest.mark.parametrize(("retries", "delay"), [(0, 2), (3, 60)])
def test_a_busy_creatify_lets_the_claim_go_and_puts_the_job_back_on_the_retry_schedule(
    fakes: FakeRuntime, retries: int, delay: int
) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", CreatifyRetryable("Creatify is busy (503)", status_code=503))
    job = GEN_IMAGE.replace(retries=retries)

    outcome = run(fakes, job)

    assert outcome == JobOutcome(JobResult.RETRY_SCHEDULED, "Creatify is busy (503)")
    assert fakes.claims.claimed_at("t", "gen_image") is None
    assert queued(fakes) == [("gen_image", retries + 1, delay)]
    assert fakes.tasks.get("t").status is S.INITIALIZING


def test_a_retry_after_longer_than_the_schedule_is_respected(fakes: FakeRuntime) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", CreatifyRetryable("429", status_code=429, retry_after=45.0))

    run(fakes, GEN_IMAGE)

    assert queued(fakes) == [("gen_image", 1, 45)]


def test_the_job_put_back_claims_again_and_only_the_call_that_got_through_made_a_creatify_task(
    fakes: FakeRuntime,
) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", CreatifyRetryable("busy", status_code=503))
    run(fakes, GEN_IMAGE)
    (retry,) = fakes.provider_queue.jobs
    assert isinstance(retry, ProviderJob)

    outcome = run(fakes, retry)

    assert outcome.result is JobResult.SUBMITTED
    assert fakes.creatify.count("gen_image") == 2
    assert len(fakes.creatify.tasks) == 1
    assert fakes.tasks.get("t").provider_task_id == outcome.detail


def test_after_the_last_retry_the_task_fails_and_says_how_often_it_was_tried(fakes: FakeRuntime) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", CreatifyRetryable("busy", status_code=503))
    last = GEN_IMAGE.replace(retries=8)  # the schedule has 8 delays

    outcome = run(fakes, last)

    task = fakes.tasks.get("t")
    assert outcome.result is JobResult.FAILED
    assert task.status is S.FAILED
    assert task.failed_reason == "Creatify did not take the job after 9 attempts: busy"
    assert fakes.provider_queue.sent == []


@pytest.mark.parametrize(
    "refusal",
    [
        pytest.param(CreatifyInsufficientCredits(402, "Not enough credits"), id="too few credits"),
        pytest.param(CreatifyAuthError(401, "Invalid API key"), id="refused key"),
    ],
)
def test_a_refusal_that_is_the_account_s_fault_waits_instead_of_failing_the_task(
    fakes: FakeRuntime, refusal: CreatifyError
) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", refusal)

    outcome = run(fakes, GEN_IMAGE)

    assert outcome.result is JobResult.RETRY_SCHEDULED
    assert fakes.tasks.get("t").status is S.INITIALIZING
    assert fakes.claims.claimed_at("t", "gen_image") is None
    assert [(kind, retries) for kind, retries, _ in queued(fakes)] == [("gen_image", 1)]


# ---------------------------------------------------------------------------- outcome unknown


def test_an_unanswered_gen_image_that_landed_is_found_at_once_and_recorded_without_paying_again(
    fakes: FakeRuntime,
) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", lost_answer(), took_effect=True)

    outcome = run(fakes, GEN_IMAGE, signed_callbacks=True)

    (made,) = fakes.creatify.tasks
    assert outcome == JobOutcome(JobResult.RECOVERED, made)
    assert fakes.tasks.get("t").provider_task_id == made
    assert (fakes.creatify.count("gen_image"), fakes.provider_queue.sent) == (1, [])


def test_an_unanswered_gen_image_not_found_yet_keeps_the_claim_and_is_looked_for_again_not_called(
    fakes: FakeRuntime,
) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", lost_answer())  # it may still land

    outcome = run(fakes, GEN_IMAGE, signed_callbacks=True)

    assert outcome.result is JobResult.CHECK_SCHEDULED
    assert fakes.claims.claimed_at("t", "gen_image") == NOW
    assert queued(fakes) == [("gen_image", 0, CHECK_AGAIN)]
    assert fakes.creatify.count("gen_image") == 1


@pytest.mark.parametrize("status_code", [500, 502])
def test_an_error_page_after_which_the_look_up_finds_nothing_goes_on_the_retry_schedule_at_once(
    fakes: FakeRuntime, status_code: int
) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", lost_answer(status_code))  # the backend did no work

    outcome = run(fakes, GEN_IMAGE, signed_callbacks=True)

    assert outcome.result is JobResult.RETRY_SCHEDULED
    assert fakes.claims.claimed_at("t", "gen_image") is None
    assert queued(fakes) == [("gen_image", 1, 2)]
    fakes.clock.advance(seconds=2)
    assert run(fakes, put_back(fakes), signed_callbacks=True).result is JobResult.SUBMITTED
    assert (fakes.creatify.count("gen_image"), len(fakes.creatify.tasks)) == (2, 1)


def test_a_gateway_timeout_may_still_land_so_it_waits_for_the_grace_like_no_answer(
    fakes: FakeRuntime,
) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", lost_answer(504))

    outcome = run(fakes, GEN_IMAGE, signed_callbacks=True)

    assert outcome.result is JobResult.CHECK_SCHEDULED
    assert fakes.job_slots.get("t", "gen_image").settles_at == NOW + timedelta(seconds=GRACE)


def test_a_look_up_that_fails_is_tried_again_and_finds_the_call_that_landed(fakes: FakeRuntime) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", lost_answer(), took_effect=True)
    fakes.creatify.fail_next("list", CreatifyRetryable("busy", status_code=503))
    assert run(fakes, GEN_IMAGE, signed_callbacks=True).result is JobResult.CHECK_SCHEDULED
    (made,) = fakes.creatify.tasks
    fakes.clock.advance(seconds=CHECK_AGAIN)

    outcome = run(fakes, put_back(fakes), signed_callbacks=True)

    assert outcome == JobOutcome(JobResult.RECOVERED, made)
    assert fakes.creatify.count("gen_image") == 1


def test_a_check_within_the_grace_period_waits_for_the_call_still_in_flight(fakes: FakeRuntime) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", lost_answer())  # the call never landed
    run(fakes, GEN_IMAGE, signed_callbacks=True)
    fakes.clock.advance(seconds=CHECK_AGAIN)

    outcome = run(fakes, put_back(fakes), signed_callbacks=True)

    assert outcome.result is JobResult.CHECK_SCHEDULED
    assert fakes.creatify.count("gen_image") == 1


def test_the_last_check_comes_when_the_grace_ends_not_a_full_interval_later(fakes: FakeRuntime) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", lost_answer())
    run(fakes, GEN_IMAGE, signed_callbacks=True)
    fakes.clock.advance(seconds=GRACE - 10)

    run(fakes, put_back(fakes), signed_callbacks=True)

    assert queued(fakes)[-1] == ("gen_image", 0, 10)


def test_a_call_that_never_landed_is_made_again_after_the_grace_period(fakes: FakeRuntime) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", lost_answer())  # the call never landed
    run(fakes, GEN_IMAGE, signed_callbacks=True)
    fakes.clock.advance(seconds=GRACE)

    outcome = run(fakes, put_back(fakes), signed_callbacks=True)

    assert outcome.result is JobResult.SUBMITTED
    assert fakes.creatify.count("gen_image") == 2
    assert len(fakes.creatify.tasks) == 1
    assert fakes.claims.claimed_at("t", "gen_image") == fakes.clock.now


def test_the_grace_is_a_setting(fakes: FakeRuntime) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", lost_answer())
    deps = fakes.deps(signed_callbacks=True, unknown_outcome_grace_seconds=5)
    run_provider_job(GEN_IMAGE, deps, now=fakes.clock.now)
    assert queued(fakes) == [("gen_image", 0, 5)]
    fakes.clock.advance(seconds=5)

    assert run_provider_job(put_back(fakes), deps, now=fakes.clock.now).result is JobResult.SUBMITTED


def test_without_callback_urls_an_unknown_outcome_fails_the_task_rather_than_risk_paying_twice(
    fakes: FakeRuntime,
) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", lost_answer(), took_effect=True)
    run(fakes, GEN_IMAGE)
    fakes.clock.advance(seconds=GRACE)

    outcome = run(fakes, put_back(fakes))

    assert outcome.result is JobResult.FAILED
    assert fakes.tasks.get("t").failed_reason == (
        "Creatify gen_image outcome unknown; not repeated to protect credits"
    )
    assert fakes.creatify.count("gen_image") == 1


def test_a_call_that_could_not_even_be_built_is_made_once_the_credentials_are_fixed(
    fakes: FakeRuntime,
) -> None:
    new_task(fakes)
    fakes.creatify.fail_next(
        "gen_image", CreatifyConfigurationError("Creatify credentials need a non-empty api_key")
    )
    assert run(fakes, GEN_IMAGE).result is JobResult.RETRY_SCHEDULED
    fakes.clock.advance(minutes=10)  # the secret is fixed; the job comes back

    outcome = run(fakes, put_back(fakes))

    assert outcome.result is JobResult.SUBMITTED
    assert fakes.creatify.count("gen_image") == 2
    assert len(fakes.creatify.tasks) == 1


# ---------------------------------------------------------------------------- rejections


def test_a_request_creatify_rejects_fails_the_task_with_creatify_s_reason(fakes: FakeRuntime) -> None:
    new_task(fakes)
    fakes.creatify.fail_next(
        "gen_image",
        CreatifyRejected(400, field_errors={"product_url": ["Could not download the image."]}),
    )

    outcome = run(fakes, GEN_IMAGE)

    task = fakes.tasks.get("t")
    assert outcome.result is JobResult.FAILED
    assert task.status is S.FAILED
    assert task.failed_reason == (
        "Creatify rejected gen_image: Creatify rejected the request (400): "
        "product_url: Could not download the image."
    )
    assert not fakes.tasks.is_open("t")
    assert fakes.provider_queue.sent == []


# ---------------------------------------------------------------------------- gen_video


def test_gen_video_moves_an_approved_preview_to_video_generating_and_counts_its_credits(
    fakes: FakeRuntime,
) -> None:
    provider_id = approved_preview(fakes)

    outcome = run(fakes, GEN_VIDEO)

    task = fakes.tasks.get("t")
    assert outcome == JobOutcome(JobResult.SUBMITTED, provider_id)
    assert (task.status, task.credits_spent) == (S.VIDEO_GENERATING, 1 + 3)
    assert fakes.creatify.tasks[provider_id].status is S.VIDEO_GENERATING
    assert fakes.tasks.is_open("t")


def test_a_redelivered_gen_video_job_calls_creatify_once(fakes: FakeRuntime) -> None:
    approved_preview(fakes)

    run(fakes, GEN_VIDEO)
    again = run(fakes, GEN_VIDEO)

    assert again.result is JobResult.SKIPPED
    assert fakes.creatify.count("gen_video") == 1
    assert fakes.tasks.get("t").credits_spent == 1 + 3


def test_an_unanswered_gen_video_that_landed_is_recovered_at_once_by_looking_the_task_up(
    fakes: FakeRuntime,
) -> None:
    approved_preview(fakes)
    lost = CreatifyOutcomeUnknown("read timed out", method="POST", path="/gen_video/")
    fakes.creatify.fail_next("gen_video", lost, took_effect=True)

    outcome = run(fakes, GEN_VIDEO)

    assert outcome.result is JobResult.RECOVERED
    assert fakes.tasks.get("t").status is S.VIDEO_GENERATING
    assert fakes.creatify.count("gen_video") == 1


def test_a_gen_video_refused_because_an_earlier_call_already_started_the_video_is_recovered(
    fakes: FakeRuntime,
) -> None:
    approved_preview(fakes, creatify_status=S.VIDEO_GENERATING)

    outcome = run(fakes, GEN_VIDEO)

    assert outcome.result is JobResult.RECOVERED
    assert fakes.tasks.get("t").status is S.VIDEO_GENERATING


def test_a_gen_video_job_for_a_task_past_its_preview_does_nothing(fakes: FakeRuntime) -> None:
    provider_id = fakes.creatify.add(S.VIDEO_GENERATING)
    fakes.seed(a_task("t", S.VIDEO_GENERATING, provider_task_id=provider_id))

    assert run(fakes, GEN_VIDEO).result is JobResult.SKIPPED
    assert fakes.creatify.calls == []


def test_an_unanswered_gen_video_not_yet_under_way_waits_for_the_grace_then_calls_once_more(
    fakes: FakeRuntime,
) -> None:
    approved_preview(fakes)
    lost = CreatifyOutcomeUnknown("read timed out", method="POST", path="/gen_video/")
    fakes.creatify.fail_next("gen_video", lost)
    assert run(fakes, GEN_VIDEO).result is JobResult.CHECK_SCHEDULED
    fakes.clock.advance(seconds=GRACE)

    outcome = run(fakes, put_back(fakes))

    assert outcome.result is JobResult.SUBMITTED
    assert fakes.creatify.count("gen_video") == 2
    assert fakes.tasks.get("t").credits_spent == 1 + 3


# ---------------------------------------------------------------------------- one job per (task, kind)


def test_the_message_a_put_back_replaced_ends_without_effect(fakes: FakeRuntime) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", CreatifyRetryable("busy", status_code=503))
    run(fakes, GEN_IMAGE)

    stale = run(fakes, GEN_IMAGE)  # the first message, redelivered

    assert stale.result is JobResult.SKIPPED
    assert fakes.creatify.count("gen_image") == 1
    assert len(fakes.provider_queue.sent) == 1


def test_a_copy_arriving_while_its_job_runs_ends_without_effect(fakes: FakeRuntime) -> None:
    new_task(fakes)
    fakes.job_slots.start("t", "gen_image", GEN_IMAGE.job_id, now=NOW, lease_until=NOW + timedelta(minutes=2))

    outcome = run(fakes, GEN_IMAGE)

    assert outcome.result is JobResult.SKIPPED
    assert fakes.creatify.calls == []
    assert fakes.provider_queue.sent == []


def test_many_copies_of_an_unanswered_job_leave_exactly_one_check_queued(fakes: FakeRuntime) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", lost_answer())
    run(fakes, GEN_IMAGE, signed_callbacks=True)
    check = put_back(fakes)
    fakes.clock.advance(seconds=CHECK_AGAIN)

    outcomes = [run(fakes, job, signed_callbacks=True) for job in [GEN_IMAGE, check, check, GEN_IMAGE]]

    assert [o.result for o in outcomes] == [
        JobResult.SKIPPED,
        JobResult.CHECK_SCHEDULED,
        JobResult.SKIPPED,
        JobResult.SKIPPED,
    ]
    assert len(fakes.provider_queue.sent) == 2  # the first check and the one it put back


def test_a_run_that_broke_off_lets_its_redelivered_message_look_for_the_call_it_may_have_made(
    fakes: FakeRuntime,
) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", RuntimeError("the worker broke"))  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        run(fakes, GEN_IMAGE)

    again = run(fakes, GEN_IMAGE, signed_callbacks=True)

    assert again == JobOutcome(JobResult.CHECK_SCHEDULED, "earlier call may still be in flight")
    assert fakes.creatify.count("gen_image") == 1
