"""The reconciler finishes what lost callbacks left open, asking Creatify about at most 100 ids at a time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest

from reelay.deps import runtime
from reelay.logic.reconcile import reconcile_open_tasks
from reelay.models.status import TaskStatus
from reelay.models.task import Task
from reelay.models.upstream import MAX_IDS_PER_LIST
from tests.integration.pipeline import (
    TenantApi,
    detail_types,
    provider_calls,
    stored,
    wait_for,
)

RECONCILER = "ReconcilerFunction"


def queue_has_messages(embedded, logical_id: str) -> bool:
    attributes = embedded.clients("sqs").get_queue_attributes(
        QueueUrl=embedded.deployed.queue_url(logical_id), AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) > 0


STALE_AT_ONCE = {"RECONCILE_AFTER_SECONDS": "0"}


def once_lost() -> datetime:
    """A moment when a job queued now counts as lost (due longer than the settings' bound ago)."""
    return datetime.now(UTC) + timedelta(seconds=runtime().settings.provider_job_lost_after_seconds + 1)


@pytest.mark.embedded_options(extra_env=STALE_AT_ONCE)
def test_the_reconciler_completes_a_task_whose_callbacks_were_all_dropped(embedded, simulator):
    simulator.set_faults(webhook_drop_rate=1.0)
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url())["id"]
    embedded.stack.pump()
    provider_id = stored(task_id).provider_task_id
    assert provider_id
    reports = []

    def reconciled_to(status: str) -> bool:
        reports.append(embedded.stack.run_schedule(RECONCILER))
        embedded.stack.pump()
        return api.status(task_id) == status

    wait_for(lambda: reconciled_to("video_generating"), timeout=10, what="image stage via the reconciler")
    wait_for(lambda: reconciled_to("video_generated"), timeout=10, what="video stage via the reconciler")
    embedded.stack.pump()

    assert sum(report["advanced"] for report in reports) >= 2
    assert all(report["errors"] == [] for report in reports)
    assert simulator.webhooks_sent == [] and len(simulator.webhooks_dropped) == 2
    assert len(provider_calls(simulator, "gen_image")) == 1
    assert len(provider_calls(simulator, "gen_video")) == 1
    assert detail_types(embedded.consumers.events()) == ["Product Video Generated"]
    assert len(embedded.consumers.notifications()) == 1
    # A finished task is off the reconciler's list.
    assert embedded.stack.run_schedule(RECONCILER)["examined"] == 0


@pytest.mark.embedded_options(extra_env=STALE_AT_ONCE)
def test_the_reconciler_asks_creatify_about_at_most_100_ids_per_call(embedded, simulator):
    api = TenantApi.create(embedded)
    real = api.submit(simulator.sample_product_url())["id"]
    embedded.stack.pump(until=lambda: stored(real).provider_task_id is not None)
    simulator.set_faults(webhook_drop_rate=1.0)
    tasks = runtime().tasks
    unknown_at_creatify = 2 * MAX_IDS_PER_LIST + 30
    for n in range(unknown_at_creatify):
        tasks.create(
            Task(
                id=f"bulk-{n:03d}",
                tenant_id=api.tenant_id,
                product_url="https://cdn.example.com/p.png",
                status=TaskStatus.IMAGE_GENERATING,
                provider_task_id=str(uuid.uuid4()),
            ),
            stays_open=True,
        )
    wait_for(lambda: simulator.task(stored(real).provider_task_id)["status"] != "initializing")
    before = len(simulator.calls(method="GET"))

    report = embedded.stack.run_schedule(RECONCILER)

    lists = [
        parse_qs(call.query)["ids"][0].split(",")
        for call in simulator.calls(method="GET")[before:]
        if call.path == "/api/product_to_videos/"
    ]
    assert [len(ids) for ids in lists] == [MAX_IDS_PER_LIST, MAX_IDS_PER_LIST, 31]
    assert stored(real).provider_task_id in {pid for ids in lists for pid in ids}
    assert report["examined"] == unknown_at_creatify + 1
    assert report["missing_at_provider"] == unknown_at_creatify
    assert report["errors"] == []


@pytest.mark.embedded_options(extra_env=STALE_AT_ONCE)
def test_tasks_creatify_does_not_know_never_hold_the_reconciler_back_from_the_others(embedded, simulator):
    simulator.set_faults(webhook_drop_rate=1.0)
    api = TenantApi.create(embedded)
    tasks = runtime().tasks
    lost = 3
    for n in range(lost):  # older than any real task, and never going to change
        tasks.create(
            Task(
                id=f"lost-{n}",
                tenant_id=api.tenant_id,
                product_url="https://cdn.example.com/p.png",
                status=TaskStatus.IMAGE_GENERATING,
                provider_task_id=str(uuid.uuid4()),
            ),
            stays_open=True,
        )
    task_id = api.submit(simulator.sample_product_url())["id"]
    embedded.stack.pump(until=lambda: stored(task_id).provider_task_id is not None)
    wait_for(lambda: simulator.task(stored(task_id).provider_task_id)["status"] == "image_generated")

    # Each run reads only as many open tasks as there are lost ones, oldest first.
    reports = [reconcile_open_tasks(runtime(), max_tasks=lost) for _ in range(2)]

    assert reports[0].missing_at_provider == lost
    assert reports[1].advanced == 1
    assert stored(task_id).status == "image_generated"


@pytest.mark.embedded_options(extra_env=STALE_AT_ONCE)
def test_a_task_whose_gen_image_job_was_lost_gets_it_again_and_completes(embedded, simulator):
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url())["id"]
    # The INSERT's job is lost: the provider queue is emptied before the worker sees it.
    outbox = embedded.stack.stream_sources["TaskStreamFunction"]
    wait_for(lambda: outbox.poll_once() >= 0 and queue_has_messages(embedded, "ProviderQueue"))
    embedded.clients("sqs").purge_queue(QueueUrl=embedded.deployed.queue_url("ProviderQueue"))
    embedded.stack.pump()
    assert stored(task_id).provider_task_id is None

    report = reconcile_open_tasks(runtime(), now=once_lost())
    done = api.run_until(task_id)

    assert report.jobs_requeued == 1
    assert done["status"] == "video_generated"
    assert len(provider_calls(simulator, "gen_image")) == 1


@pytest.mark.embedded_options(extra_env=STALE_AT_ONCE)
def test_a_job_waiting_in_the_queue_is_never_queued_again_however_often_the_reconciler_runs(
    embedded, simulator
):
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url())["id"]
    # The INSERT's job waits in the queue (a backlog behind ProviderConcurrency): no worker runs.
    outbox = embedded.stack.stream_sources["TaskStreamFunction"]
    wait_for(lambda: outbox.poll_once() >= 0 and queue_has_messages(embedded, "ProviderQueue"))

    reports = [embedded.stack.run_schedule(RECONCILER) for _ in range(3)]
    done = api.run_until(task_id)

    assert [(r["jobs_requeued"], r["jobs_waiting"]) for r in reports] == [(0, 1)] * 3
    assert done["status"] == "video_generated"
    assert len(provider_calls(simulator, "gen_image")) == 1


@pytest.mark.embedded_options(extra_env={**STALE_AT_ONCE, "PROVIDER_TIMEOUT_SECONDS": "60"})
def test_a_task_quiet_past_the_provider_timeout_fails_and_is_announced(embedded, simulator):
    simulator.set_faults(webhook_drop_rate=1.0)
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url())["id"]
    embedded.stack.pump(until=lambda: stored(task_id).provider_task_id is not None)
    later = stored(task_id).updated_at + timedelta(seconds=61)

    report = reconcile_open_tasks(runtime(), now=later)
    embedded.stack.pump()

    assert report.timed_out == 1
    task = stored(task_id)
    assert (task.status, task.failed_reason) == (TaskStatus.FAILED, "timed out waiting for provider")
    assert detail_types(embedded.consumers.events()) == ["Product Video Failed"]


@pytest.mark.embedded_options(extra_env=STALE_AT_ONCE)
def test_a_preview_whose_gen_video_job_was_lost_gets_it_again_and_completes(embedded, simulator):
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url(), auto_video=False)["id"]
    api.run_until(task_id, "image_generated")
    assert api.request("POST", f"/v1/product-videos/{task_id}/video", json_body={}).status == 202
    outbox = embedded.stack.stream_sources["TaskStreamFunction"]
    wait_for(lambda: outbox.poll_once() >= 0 and queue_has_messages(embedded, "ProviderQueue"))
    embedded.clients("sqs").purge_queue(QueueUrl=embedded.deployed.queue_url("ProviderQueue"))

    report = reconcile_open_tasks(runtime(), now=once_lost())
    done = api.run_until(task_id)

    assert report.jobs_requeued == 1
    assert done["status"] == "video_generated"
    assert len(provider_calls(simulator, "gen_video")) == 1
