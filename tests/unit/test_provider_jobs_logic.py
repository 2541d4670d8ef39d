"""The provider worker (`run_provider_job`) against in-memory stores and a scripted Creatify.

What it promises: Creatify is paid at most once per job however often the job arrives, a
failure that certainly did no work waits and tries again, one that may have done work is
looked up instead of repeated, and a refusal fails the task with Creatify's reason.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest

from reelay.logic.provider_jobs import (
    UNKNOWN_OUTCOME_GRACE,
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
# A call whose outcome is unknown is looked at again a minute later.
CHECK_AGAIN = 60


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


def lost_answer() -> CreatifyOutcomeUnknown:
    return CreatifyOutcomeUnknown("read timed out", method="POST", path=IMAGE_PATH)


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
    assert fakes.provider_queue.sent == [(GEN_IMAGE, CHECK_AGAIN)]
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
    job = GEN_IMAGE.model_copy(update={"retries": retries})

    outcome = run(fakes, job)

    assert outcome == JobOutcome(JobResult.RETRY_SCHEDULED, "Creatify is busy (503)")
    assert fakes.claims.claimed_at("t", "gen_image") is None
    assert fakes.provider_queue.sent == [(job.model_copy(update={"retries": retries + 1}), delay)]
    assert fakes.tasks.get("t").status is S.INITIALIZING


def test_a_retry_after_longer_than_the_schedule_is_respected(fakes: FakeRuntime) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", CreatifyRetryable("429", status_code=429, retry_after=45.0))

    run(fakes, GEN_IMAGE)

    assert fakes.provider_queue.sent == [(GEN_IMAGE.model_copy(update={"retries": 1}), 45)]


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
    last = GEN_IMAGE.model_copy(update={"retries": 8})  # the schedule has 8 delays

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
    assert fakes.provider_queue.jobs == [GEN_IMAGE.model_copy(update={"retries": 1})]


# ---------------------------------------------------------------------------- outcome unknown


def test_an_unanswered_gen_image_keeps_the_claim_and_schedules_a_check_not_a_second_call(
    fakes: FakeRuntime,
) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", lost_answer(), took_effect=True)

    outcome = run(fakes, GEN_IMAGE)

    assert outcome.result is JobResult.CHECK_SCHEDULED
    assert fakes.claims.claimed_at("t", "gen_image") == NOW
    assert fakes.provider_queue.sent == [(GEN_IMAGE, CHECK_AGAIN)]
    assert fakes.tasks.get("t").provider_task_id is None


def test_the_check_finds_the_creatify_task_by_its_callback_url_and_records_it_without_paying_again(
    fakes: FakeRuntime,
) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", lost_answer(), took_effect=True)
    run(fakes, GEN_IMAGE, signed_callbacks=True)
    (made,) = fakes.creatify.tasks
    fakes.clock.advance(seconds=CHECK_AGAIN)

    outcome = run(fakes, GEN_IMAGE, signed_callbacks=True)

    assert outcome == JobOutcome(JobResult.RECOVERED, made)
    assert fakes.tasks.get("t").provider_task_id == made
    assert fakes.creatify.count("gen_image") == 1


def test_a_check_within_the_grace_period_waits_for_the_call_still_in_flight(fakes: FakeRuntime) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", lost_answer())  # the call never landed
    run(fakes, GEN_IMAGE, signed_callbacks=True)
    fakes.clock.advance(seconds=CHECK_AGAIN)

    outcome = run(fakes, GEN_IMAGE, signed_callbacks=True)

    assert outcome.result is JobResult.CHECK_SCHEDULED
    assert fakes.creatify.count("gen_image") == 1


def test_a_call_that_never_landed_is_made_again_after_the_grace_period(fakes: FakeRuntime) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", lost_answer())  # the call never landed
    run(fakes, GEN_IMAGE, signed_callbacks=True)
    fakes.clock.advance(seconds=UNKNOWN_OUTCOME_GRACE.total_seconds() + 1)

    outcome = run(fakes, GEN_IMAGE, signed_callbacks=True)

    assert outcome.result is JobResult.SUBMITTED
    assert fakes.creatify.count("gen_image") == 2
    assert len(fakes.creatify.tasks) == 1
    assert fakes.claims.claimed_at("t", "gen_image") == fakes.clock.now


def test_without_callback_urls_an_unknown_outcome_fails_the_task_rather_than_risk_paying_twice(
    fakes: FakeRuntime,
) -> None:
    new_task(fakes)
    fakes.creatify.fail_next("gen_image", lost_answer(), took_effect=True)
    run(fakes, GEN_IMAGE)
    fakes.clock.advance(seconds=UNKNOWN_OUTCOME_GRACE.total_seconds() + 1)

    outcome = run(fakes, GEN_IMAGE)

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
    with contextlib.suppress(CreatifyConfigurationError):
        run(fakes, GEN_IMAGE)
    fakes.clock.advance(minutes=10)  # the secret is fixed; the job comes back

    outcome = run(fakes, GEN_IMAGE)

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


def test_an_unanswered_gen_video_that_landed_is_recovered_by_looking_the_task_up(fakes: FakeRuntime) -> None:
    approved_preview(fakes)
    lost = CreatifyOutcomeUnknown("read timed out", method="POST", path="/gen_video/")
    fakes.creatify.fail_next("gen_video", lost, took_effect=True)
    assert run(fakes, GEN_VIDEO).result is JobResult.CHECK_SCHEDULED
    fakes.clock.advance(seconds=CHECK_AGAIN)

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
