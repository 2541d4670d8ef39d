"""A task's history from in-memory stores: what each stage records, what is derived, and the bound."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reelay.logic.apply_update import advance_task, apply_provider_state
from reelay.logic.deliver import deliver
from reelay.logic.provider_history import record_job_outcome
from reelay.logic.provider_jobs import JobResult, run_provider_job
from reelay.logic.reconcile import reconcile_open_tasks
from reelay.logic.request_video import request_video
from reelay.logic.review import regenerate_preview, reject_preview
from reelay.logic.task_history import history_of
from reelay.models.api import RegenerateRequest, RejectRequest, VideoRequest
from reelay.models.jobs import DeliveryJob, ProviderJob, ProviderJobKind
from reelay.models.status import TaskStatus
from reelay.models.task import ExternalRef, StatusUpdate
from reelay.models.task_history import HISTORY_LIMIT, REASON_MAX, Actor, CallOutcome, call_entry
from reelay.models.tenant import Tenant
from reelay.ports.creatify_errors import CreatifyRetryable
from tests.unit.fakes import TENANT, FakeRuntime, a_task

S = TaskStatus
NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def fakes() -> FakeRuntime:
    return FakeRuntime.at(NOW)


def kinds(fakes: FakeRuntime, task_id: str) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for entry in history_of(fakes.tasks.get(task_id)).entries:
        if entry.kind == "state":
            rows.append(("state", str(entry.from_status), str(entry.to_status), entry.by))
        elif entry.kind == "provider_call":
            rows.append(("call", entry.job, entry.outcome.value, entry.by))
        elif entry.kind == "delivery":
            rows.append(("delivery", str(entry.attempt), entry.outcome))
        else:
            rows.append(("review", entry.action))
    return rows


def run_job(fakes: FakeRuntime, job: ProviderJob) -> JobResult:
    deps = fakes.deps()
    outcome = run_provider_job(job, deps, now=fakes.clock())
    record_job_outcome(job, outcome, deps)
    return outcome.result


def test_a_retried_call_is_recorded_with_creatify_s_answer_then_the_call_that_took_and_its_step(fakes):
    fakes.seed(a_task("t"))
    fakes.creatify.fail_next("gen_image", CreatifyRetryable("Creatify answered 429 Too Many Requests"))
    job = ProviderJob(kind=ProviderJobKind.GEN_IMAGE, task_id="t")

    assert run_job(fakes, job) is JobResult.RETRY_SCHEDULED
    assert run_job(fakes, fakes.provider_queue.jobs[-1]) is JobResult.SUBMITTED

    task = fakes.tasks.get("t")
    fakes.creatify.move(task.provider_task_id, S.IMAGE_GENERATED, generated_photo_url="https://cdn/p.jpg")
    apply_provider_state(task, fakes.creatify.get(task.provider_task_id), fakes.deps(), by=Actor.CALLBACK)

    assert kinds(fakes, "t") == [
        ("state", "None", "initializing", "api"),
        ("call", "gen_image", "retry_scheduled", "worker"),
        ("call", "gen_image", "submitted", "worker"),
        ("state", "initializing", "image_generated", "callback"),
    ]
    retry = history_of(fakes.tasks.get("t")).entries[1]
    assert retry.reason == "Creatify answered 429 Too Many Requests" and retry.retry == 1


def test_a_redelivered_job_that_finds_the_call_done_records_nothing_twice(fakes):
    fakes.seed(a_task("t"))
    job = ProviderJob(kind=ProviderJobKind.GEN_IMAGE, task_id="t")
    run_job(fakes, job)
    before = fakes.tasks.get("t").history

    assert run_job(fakes, job) is JobResult.SKIPPED
    assert fakes.tasks.get("t").history == before


def test_a_lost_job_put_back_by_the_reconciler_is_recorded_in_the_write_that_touches_the_task(fakes):
    # Queued longer ago than provider_job_lost_after_seconds (900 s), and no run started it.
    fakes.seed(a_task("t", updated_at=NOW - timedelta(minutes=16)))

    reconcile_open_tasks(fakes.deps(reconcile_after_seconds=120), now=NOW)

    assert kinds(fakes, "t")[-1] == ("call", "gen_image", "requeued", "reconciler")


def test_a_webhook_url_the_guard_refuses_at_delivery_is_recorded_with_the_refusal(fakes):
    fakes.tenants.create(
        Tenant(tenant_id=TENANT, name="Acme", api_key_hash="0" * 64, webhook_secret="whsec_x")
    )
    # Stored before the door checked URLs: the delivery worker's own check refuses it.
    fakes.seed(a_task("t", S.VIDEO_GENERATED, webhook_url="http://169.254.169.254/latest/meta-data"))

    deliver(DeliveryJob(task_id="t", event_id="e1"), fakes.deps())

    entry = history_of(fakes.tasks.get("t")).entries[-1]
    assert (entry.kind, entry.attempt, entry.outcome, entry.status_code) == ("delivery", 1, "refused", None)
    assert "169.254.169.254" in entry.error


def test_review_actions_are_recorded_once_however_often_they_are_repeated(fakes):
    deps = fakes.deps()
    for task_id in ("approve-me", "regen-me", "reject-me"):
        fakes.seed(a_task(task_id, auto_video=False, provider_task_id=f"p-{task_id}"))
        preview = StatusUpdate(status=S.IMAGE_GENERATED, generated_photo_url="https://cdn/p.jpg")
        advance_task(deps, fakes.tasks.get(task_id), preview, by=Actor.CALLBACK)

    for _ in range(2):
        request_video(TENANT, "approve-me", VideoRequest(), deps)
        new = regenerate_preview(TENANT, "regen-me", RegenerateRequest(), deps).task
        reject_preview(TENANT, "reject-me", RejectRequest(reason="blurry"), deps)

    assert kinds(fakes, "approve-me")[2:] == [("review", "approved")]
    assert kinds(fakes, "regen-me")[2:] == [("review", "regenerated")]
    assert history_of(fakes.tasks.get("regen-me")).entries[2].regenerated_as == new.id
    assert kinds(fakes, "reject-me")[2:] == [("state", "image_generated", "failed", "review")]
    assert history_of(fakes.tasks.get("reject-me")).entries[2].reason == "rejected: blurry"
    assert history_of(fakes.tasks.get(new.id)).entries[0].by == "review (regenerates regen-me)"


def test_a_task_stored_before_histories_were_kept_does_not_guess_where_its_first_recorded_step_began():
    step = {"k": "s", "t": 1000, "to": "video_generated", "by": "callback"}
    legacy = a_task("t", S.VIDEO_GENERATED, history=[step], history_from_start=False)

    entries = history_of(legacy).entries
    assert (entries[1].from_status, entries[1].to_status) == (None, S.VIDEO_GENERATED)


def test_the_submission_is_derived_from_the_task_s_source():
    shop = a_task("s", external_ref=ExternalRef(source="shopify", shop="acme.myshopify.com"))

    (first,) = history_of(shop).entries
    assert (first.from_status, first.to_status, first.by, first.at) == (
        None,
        S.INITIALIZING,
        "shop (shopify)",
        shop.created_at,
    )


def test_past_the_bound_entries_are_counted_not_kept_and_steps_are_still_recorded(fakes):
    fakes.seed(a_task("t"))
    deps = fakes.deps()
    for n in range(HISTORY_LIMIT + 3):
        entry = call_entry("gen_image", CallOutcome.CHECK_SCHEDULED, NOW, reason=f"check {n}")
        deps.history.note("t", entry)
    run_job(fakes, ProviderJob(kind=ProviderJobKind.GEN_IMAGE, task_id="t"))
    advance_task(deps, fakes.tasks.get("t"), StatusUpdate(status=S.IMAGE_GENERATING))

    task = fakes.tasks.get("t")
    history = history_of(task)
    assert task.history_dropped == 3 and history.dropped == 3
    # The paid call and its step are kept past the bound: they are never more than seven.
    assert kinds(fakes, "t")[-2:] == [
        ("call", "gen_image", "submitted", "worker"),
        ("state", "initializing", "image_generating", "worker"),
    ]


def test_a_long_reason_is_cut_so_one_entry_cannot_grow_the_item_much():
    entry = call_entry("gen_video", CallOutcome.FAILED, NOW, reason="x" * 5000)

    assert len(entry["why"]) == REASON_MAX and entry["why"].endswith("…")


def test_an_entry_this_version_cannot_read_is_left_out():
    step = {"k": "s", "t": 1000, "to": "image_generating", "by": "worker"}
    newer_outcome = {"k": "c", "t": 500, "job": "gen_image", "o": "teleported", "by": "worker"}
    task = a_task("t", history=[{"k": "z", "t": 0}, newer_outcome, step])

    entries = history_of(task).entries
    assert [e.kind for e in entries] == ["state", "state"]
    assert entries[1].from_status is S.INITIALIZING


class _BrokenHistory:
    def note(self, task_id: str, entry: dict) -> bool:
        raise RuntimeError("DynamoDB is throttling")


def test_a_note_that_cannot_be_written_never_fails_the_job_it_records(fakes):
    fakes.seed(a_task("t"))
    job = ProviderJob(kind=ProviderJobKind.GEN_IMAGE, task_id="t")
    fakes.creatify.fail_next("gen_image", CreatifyRetryable("Creatify answered 503"))
    deps = fakes.deps()
    deps.__dict__["history"] = _BrokenHistory()
    outcome = run_provider_job(job, deps, now=fakes.clock())

    assert outcome.result is JobResult.RETRY_SCHEDULED
    assert record_job_outcome(job, outcome, deps) is False
