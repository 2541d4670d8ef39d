"""The provider worker spends credits; redeliveries, throttling and lost answers never pay twice."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from reelay.deps import Deps, runtime
from reelay.logic.provider_jobs import run_provider_job
from reelay.models.jobs import ProviderJob, ProviderJobKind
from reelay.models.upstream import GenImageRequest
from reelay_local.aws.event_sources import sqs_lambda_event
from tests.integration.pipeline import (
    SIM_API_ID,
    TenantApi,
    detail_types,
    provider_calls,
    queue_depth,
    stored,
    successful_provider_calls,
    wait_for,
)

PROVIDER_WORKER = "ProviderWorkerFunction"


def redelivery(embedded: Any, *jobs: ProviderJob) -> dict[str, Any]:
    """The SQS event Lambda hands the worker when these messages come back off the provider queue."""
    messages = [
        {
            "MessageId": f"redelivered-{i}",
            "ReceiptHandle": f"receipt-{i}",
            "Body": job.to_json(),
            "Attributes": {"ApproximateReceiveCount": "2"},
        }
        for i, job in enumerate(jobs)
    ]
    queue_arn = embedded.clients("sqs").get_queue_attributes(
        QueueUrl=embedded.deployed.queue_url("ProviderQueue"), AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    return sqs_lambda_event(messages, queue_arn, "us-east-1")


def test_a_redelivered_provider_job_never_makes_a_second_paid_call(embedded, simulator):
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url())["id"]
    gen_image = ProviderJob(kind=ProviderJobKind.GEN_IMAGE, task_id=task_id)
    gen_video = ProviderJob(kind=ProviderJobKind.GEN_VIDEO, task_id=task_id)
    embedded.stack.pump(until=lambda: stored(task_id).provider_task_id is not None)

    # At-least-once: the same message again, twice in one batch, and once more later off the queue.
    answer = embedded.stack.functions[PROVIDER_WORKER].invoke(redelivery(embedded, gen_image, gen_image))
    assert answer == {"batchItemFailures": []}
    runtime().provider_queue.send(gen_image)
    api.run_until(task_id, "video_generating", "video_generated")
    embedded.stack.functions[PROVIDER_WORKER].invoke(redelivery(embedded, gen_video, gen_image, gen_video))
    done = api.run_until(task_id)

    assert done["status"] == "video_generated"
    assert len(provider_calls(simulator, "gen_image")) == 1
    assert len(provider_calls(simulator, "gen_video")) == 1
    assert stored(task_id).credits_spent == 4
    assert simulator.credits(SIM_API_ID) == 100 - 4
    assert detail_types(embedded.consumers.events()) == ["Product Video Generated"]


def test_two_workers_given_the_same_job_at_once_call_gen_image_once(embedded, simulator):
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url())["id"]
    job = ProviderJob(kind=ProviderJobKind.GEN_IMAGE, task_id=task_id)
    simulator.set_faults(latency_seconds=0.3)  # both calls are in flight together
    deps = runtime()
    outcomes: list[str] = []

    def work() -> None:
        outcomes.append(run_provider_job(job, deps).result)

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=10)

    assert len(outcomes) == 2
    assert sorted(outcomes)[-1] == "submitted"
    assert sorted(outcomes)[0] in ("check_scheduled", "recovered", "skipped")
    assert len(provider_calls(simulator, "gen_image")) == 1
    assert stored(task_id).provider_task_id is not None


def test_a_throttled_or_unavailable_creatify_puts_the_job_back_and_the_task_still_completes(
    embedded, simulator
):
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url())["id"]
    # More refusals than the client's own three attempts, so the job itself must go back.
    simulator.set_faults(error_queue=[503, 503, 429])

    embedded.stack.pump(until=lambda: len(provider_calls(simulator, "gen_image")) == 3)
    assert queue_depth(embedded, "ProviderQueue")["MessagesDelayed"] == 1
    assert stored(task_id).status == "initializing" and stored(task_id).provider_task_id is None

    done = api.run_until(task_id, timeout=20)

    assert done["status"] == "video_generated"
    assert [c.status_code for c in provider_calls(simulator, "gen_image")] == [503, 503, 429, 200]
    assert len(successful_provider_calls(simulator, "gen_image")) == 1
    assert stored(task_id).credits_spent == 4
    assert detail_types(embedded.consumers.events()) == ["Product Video Generated"]


@pytest.mark.embedded_options(extra_env={"CREATIFY_READ_TIMEOUT_SECONDS": "0.5"})
def test_a_gen_image_whose_answer_never_came_is_not_repeated_and_the_callback_recovers_the_task(
    embedded, simulator
):
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url())["id"]
    simulator.set_faults(hang_rate=1.0, hang_seconds=3.0)

    embedded.stack.pump(until=lambda: provider_calls(simulator, "gen_image"))
    simulator.set_faults(hang_rate=0.0)
    # Creatify made the task and calls back; the callback names it before the worker could.
    done = api.run_until(task_id)
    # The job put back to look again finds the task already known.
    late = embedded.stack.functions[PROVIDER_WORKER].invoke(
        redelivery(embedded, ProviderJob(kind=ProviderJobKind.GEN_IMAGE, task_id=task_id))
    )

    assert done["status"] == "video_generated"
    assert late == {"batchItemFailures": []}
    assert len(provider_calls(simulator, "gen_image")) == 1
    assert stored(task_id).credits_spent == 4
    assert detail_types(embedded.consumers.events()) == ["Product Video Generated"]


@pytest.mark.embedded_options(
    extra_env={"CREATIFY_READ_TIMEOUT_SECONDS": "0.5", "RECONCILE_AFTER_SECONDS": "0"}
)
def test_a_gen_image_whose_answer_never_came_is_found_at_once_by_looking_it_up_not_by_calling_again(
    embedded, simulator
):
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url())["id"]
    simulator.set_faults(hang_rate=1.0, hang_seconds=3.0, webhook_drop_rate=1.0)

    # The same run that timed out lists Creatify's tasks and recognises its callback URL.
    embedded.stack.pump(until=lambda: stored(task_id).provider_task_id is not None)
    simulator.set_faults(hang_rate=0.0)
    provider_id = stored(task_id).provider_task_id
    assert simulator.calls(method="GET", path_contains="/api/product_to_videos/")  # looked up, not re-made
    assert simulator.task(provider_id)["webhook_url"] == runtime().callback_signer.callback_url(
        embedded.api_url, task_id
    )
    assert queue_depth(embedded, "ProviderQueue")["MessagesDelayed"] == 0  # nothing to look at later

    def finished() -> bool:
        embedded.stack.pump()
        embedded.stack.run_schedule("ReconcilerFunction")
        return api.status(task_id) == "video_generated"

    wait_for(finished, timeout=20, what="the reconciler to finish the task")
    embedded.stack.pump()
    assert len(provider_calls(simulator, "gen_image")) == 1
    assert len(provider_calls(simulator, "gen_video")) == 1
    assert stored(task_id).credits_spent == 4
    assert detail_types(embedded.consumers.events()) == ["Product Video Generated"]


def test_a_request_creatify_rejects_fails_the_task_with_creatify_s_reason_and_spends_nothing(
    embedded, simulator
):
    api = TenantApi.create(embedded)
    credits_before = simulator.credits(SIM_API_ID)
    unknown_avatar = "00000000-0000-4000-8000-000000000000"
    task_id = api.submit(
        simulator.sample_product_url(), type="product_avatar", override_avatar=unknown_avatar
    )["id"]

    done = api.run_until(task_id)

    assert done["status"] == "failed"
    assert "override_avatar" in done["failed_reason"]
    assert "Creatify rejected gen_image" in done["failed_reason"]
    assert simulator.credits(SIM_API_ID) == credits_before
    assert detail_types(embedded.consumers.events()) == ["Product Video Failed"]


class _ClaimLetGoDuringLookup:
    """Creatify as a redelivered copy of a job sees it while the run holding the claim gives way.

    The run holding the claim met a safe-to-retry answer (429): it lets the claim go and puts
    its job back. Here that happens while this copy looks Creatify up, and the job put back
    comes off the queue while this copy's own gen_image call is in flight.
    """

    def __init__(self, deps: Any, job: ProviderJob) -> None:
        self._deps = deps
        self._job = job
        self.put_back_outcome: str | None = None

    def list(self, *args: Any, **kwargs: Any) -> Any:
        self._deps.claims.release(self._job.task_id, self._job.kind.value)
        return self._deps.creatify.list(*args, **kwargs)

    def gen_image(self, body: Any) -> Any:
        put_back = self._job.replace(retries=1)
        self.put_back_outcome = run_provider_job(put_back, self._deps).result
        return self._deps.creatify.gen_image(body)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._deps.creatify, name)


def test_a_claim_let_go_after_a_throttled_call_is_taken_again_so_only_one_run_pays(embedded, simulator):
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url())["id"]  # not pumped: no job has run
    job = ProviderJob(kind=ProviderJobKind.GEN_IMAGE, task_id=task_id)
    deps = runtime()
    assert deps.claims.claim(task_id, job.kind.value)  # the first run holds the claim
    racing = _ClaimLetGoDuringLookup(deps, job)
    redelivered = Deps(
        config=deps.settings,
        tasks=deps.tasks,
        claims=deps.claims,
        creatify=racing,
        callback_signer=deps.callback_signer,
        provider_queue=deps.provider_queue,
    )

    outcome = run_provider_job(job, redelivered)

    assert outcome.result == "submitted"
    # The copy put back meanwhile finds this run holding the job's slot and ends at once.
    assert racing.put_back_outcome == "skipped"
    assert len(provider_calls(simulator, "gen_image")) == 1
    assert stored(task_id).status != "failed"
    assert stored(task_id).provider_task_id == outcome.detail


def test_a_second_creatify_task_for_one_job_never_fails_the_task_that_already_has_one(embedded, simulator):
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url())["id"]  # not pumped: no job has run
    deps = runtime()
    already = deps.creatify.gen_image(GenImageRequest(product_url=simulator.sample_product_url()))

    class RecordedMeanwhile:
        """Another call's Creatify task gets recorded while this run's call is in flight."""

        def gen_image(self, body: Any) -> Any:
            assert deps.tasks.attach_provider_task(task_id, str(already.id), credits_spent=1, job="gen_image")
            return deps.creatify.gen_image(body)

        def __getattr__(self, name: str) -> Any:
            return getattr(deps.creatify, name)

    late = Deps(
        config=deps.settings,
        tasks=deps.tasks,
        claims=deps.claims,
        creatify=RecordedMeanwhile(),
        callback_signer=deps.callback_signer,
        provider_queue=deps.provider_queue,
    )

    outcome = run_provider_job(ProviderJob(kind=ProviderJobKind.GEN_IMAGE, task_id=task_id), late)

    assert outcome.result == "skipped"
    assert stored(task_id).status != "failed"
    assert stored(task_id).provider_task_id == str(already.id)
    assert stored(task_id).credits_spent == 1


def test_a_task_waits_for_credits_instead_of_failing_and_goes_on_once_they_are_topped_up(embedded, simulator):
    simulator.add_account(SIM_API_ID, "sim-api-key", credits=0)
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url())["id"]
    wait_for(
        lambda: embedded.stack.pump_once() >= 0 and provider_calls(simulator, "gen_image"),
        what="the refused gen_image",
    )
    embedded.stack.pump()
    assert [call.status_code for call in provider_calls(simulator, "gen_image")] == [402]
    assert stored(task_id).status.value == "initializing"

    simulator.add_account(SIM_API_ID, "sim-api-key", credits=10)
    done = api.run_until(task_id, timeout=30)

    assert done["status"] == "video_generated"
    assert [call.status_code for call in provider_calls(simulator, "gen_image")] == [402, 200]
    assert simulator.credits(SIM_API_ID) == 10 - 1 - 3
