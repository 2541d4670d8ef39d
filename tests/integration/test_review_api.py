"""Reviewing a preview through the API on the embedded stack: approve, regenerate, reject, deadlines."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reelay.deps import runtime
from reelay.logic.reconcile import reconcile_open_tasks
from reelay.models.status import TaskStatus
from reelay.models.task import Task
from tests.integration.pipeline import TenantApi, detail_types, provider_calls, stored, wait_for

S = TaskStatus


@pytest.fixture
def api(embedded) -> TenantApi:
    return TenantApi.create(embedded)


def preview(api: TenantApi, simulator, **fields: Any) -> dict[str, Any]:
    """A task stopped at its preview, waiting for review."""
    task = api.submit(simulator.sample_product_url("mug"), auto_video=False, **fields)
    return api.run_until(task["id"], "image_generated")


def post(api: TenantApi, task_id: str, action: str, body: dict[str, Any] | None = None) -> Any:
    return api.request("POST", f"/v1/product-videos/{task_id}/{action}", json_body=body or {})


def concurrently(*calls: Any) -> list[Any]:
    answers: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        answers[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


# ---------------------------------------------------------------------------- regenerate


def test_regenerate_makes_a_new_linked_task_with_a_new_preview_and_the_old_one_keeps_its_status(
    api: TenantApi, simulator
) -> None:
    old = preview(api, simulator, image_prompt="on a table")

    answer = post(api, old["id"], "regenerate", {"image_prompt": "on a beach at dawn"})

    assert answer.status == 201, answer.body
    new = answer.json()
    assert new["id"] != old["id"]
    assert new["regen_source_id"] == old["id"]
    assert new["image_prompt"] == "on a beach at dawn"
    assert new["auto_video"] is False
    again = api.get(old["id"])
    assert again["status"] == "image_generated"
    assert again["regenerated_as"] == new["id"]
    done = api.run_until(new["id"], "image_generated")
    assert done["generated_photo_url"] and done["generated_photo_url"] != old["generated_photo_url"]
    (call,) = provider_calls(simulator, "regen_image")
    assert old["id"] not in call.path  # Creatify's own id, not Reelay's
    assert stored(old["id"]).provider_task_id in call.path
    assert stored(new["id"]).credits_spent == 1


def test_regenerating_twice_or_at_once_spends_one_credit_and_answers_the_same_task(
    api: TenantApi, simulator
) -> None:
    old = preview(api, simulator)

    answers = concurrently(*[lambda: post(api, old["id"], "regenerate")] * 2)
    later = post(api, old["id"], "regenerate")

    assert sorted(a.status for a in answers) == [200, 201]
    assert later.status == 200
    assert len({a.json()["id"] for a in [*answers, later]}) == 1
    api.run_until(later.json()["id"], "image_generated")
    assert len(provider_calls(simulator, "regen_image")) == 1


def test_a_regenerated_preview_can_no_longer_be_approved_or_rejected(api: TenantApi, simulator) -> None:
    old = preview(api, simulator)
    assert post(api, old["id"], "regenerate").status == 201

    approve = post(api, old["id"], "video")
    reject = post(api, old["id"], "reject", {"reason": "late"})

    assert approve.status == 409 and "regenerated" in approve.json()["error"]["message"]
    assert reject.status == 409 and "regenerated" in reject.json()["error"]["message"]


# ---------------------------------------------------------------------------- reject


def test_reject_fails_the_task_with_the_reason_and_announces_it_once(
    api: TenantApi, simulator, embedded
) -> None:
    task = preview(api, simulator)
    embedded.consumers.events()  # the Image Generated announcement, out of the way

    first = post(api, task["id"], "reject", {"reason": "the mug is upside down"})
    again = post(api, task["id"], "reject", {"reason": "clicked twice"})
    embedded.stack.pump()

    assert first.status == 200, first.body
    assert first.json()["status"] == "failed"
    assert first.json()["failed_reason"] == "rejected: the mug is upside down"
    assert again.status == 200
    assert again.json()["failed_reason"] == "rejected: the mug is upside down"
    events = wait_for(embedded.consumers.events, what="the failure event")
    assert detail_types(events) == ["Product Video Failed"]
    assert events[0]["detail"]["failed_reason"] == "rejected: the mug is upside down"
    assert provider_calls(simulator, "gen_video") == []


def test_a_rejection_racing_an_approval_lets_exactly_one_win(api: TenantApi, simulator) -> None:
    task = preview(api, simulator)

    approve, reject = concurrently(
        lambda: post(api, task["id"], "video"), lambda: post(api, task["id"], "reject", {"reason": "no"})
    )

    assert sorted([approve.status, reject.status]) in ([202, 409], [200, 409])
    final = api.run_until(task["id"])
    assert final["status"] == ("video_generated" if approve.status == 202 else "failed")


# ---------------------------------------------------------------------------- every other status


def _stored_task(api: TenantApi, status: S, auto_video: bool = False) -> str:
    task_id = f"review-{status.value}-{auto_video}"
    runtime().tasks.create(
        Task(
            id=task_id,
            tenant_id=api.tenant_id,
            status=status,
            auto_video=auto_video,
            product_url="https://cdn.example.com/p.png",
            provider_task_id="0b6f9f3e-7f71-4b7e-9a0a-6d1c8f2e4a10",
        ),
        stays_open=False,
    )
    return task_id


@pytest.mark.parametrize("action", ["regenerate", "reject"])
@pytest.mark.parametrize("status", [s for s in S if s is not S.IMAGE_GENERATED])
def test_regenerate_and_reject_answer_409_naming_the_status_anywhere_but_review(
    api: TenantApi, action: str, status: S
) -> None:
    task_id = _stored_task(api, status)

    answer = post(api, task_id, action)

    assert answer.status == 409, answer.body
    error = answer.json()["error"]
    assert error["code"] == "wrong_status"
    assert f"the task is {status.value}" in error["message"]
    assert stored(task_id).status is status


@pytest.mark.parametrize("action", ["regenerate", "reject"])
def test_a_preview_whose_video_was_asked_for_is_no_longer_reviewed(api: TenantApi, action: str) -> None:
    task_id = _stored_task(api, S.IMAGE_GENERATED, auto_video=True)
    answer = post(api, task_id, action)
    assert answer.status == 409
    assert "already asked for" in answer.json()["error"]["message"]


@pytest.mark.parametrize("action", ["regenerate", "reject"])
def test_review_of_an_unknown_or_another_tenants_task_is_a_404(
    api: TenantApi, simulator, action: str
) -> None:
    task = preview(api, simulator)
    other = TenantApi.create(api.embedded, "Globex")
    assert post(other, task["id"], action).status == 404
    assert post(api, "no-such-task", action).status == 404
    assert api.get(task["id"])["status"] == "image_generated"


def test_two_concurrent_approvals_spend_the_video_credits_once(api: TenantApi, simulator) -> None:
    task = preview(api, simulator)

    answers = concurrently(*[lambda: post(api, task["id"], "video")] * 2)

    assert [a.status for a in answers] == [202, 202]
    assert api.run_until(task["id"])["status"] == "video_generated"
    assert len(provider_calls(simulator, "gen_video")) == 1


# ---------------------------------------------------------------------------- review deadlines


def _after(hours: float) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


def test_a_preview_nobody_reviews_in_time_is_rejected_by_the_reconciler(api: TenantApi, simulator) -> None:
    task = preview(api, simulator, review_deadline_hours=2, review_deadline_action="reject")

    early = reconcile_open_tasks(runtime(), now=_after(1))
    late = reconcile_open_tasks(runtime(), now=_after(2.1))

    assert early.review_deadlines == 0
    assert late.review_deadlines == 1
    final = api.get(task["id"])
    assert final["status"] == "failed"
    assert final["failed_reason"] == "rejected: nobody reviewed the preview within 2 hours"


def test_a_preview_nobody_reviews_in_time_is_approved_when_its_deadline_says_so(
    api: TenantApi, simulator
) -> None:
    task = preview(api, simulator, review_deadline_hours=1, review_deadline_action="approve")

    report = reconcile_open_tasks(runtime(), now=_after(1.5))

    assert report.review_deadlines == 1
    assert report.timed_out == 0
    assert api.run_until(task["id"])["status"] == "video_generated"


def test_a_preview_reviewed_before_its_deadline_is_left_to_the_review(api: TenantApi, simulator) -> None:
    task = preview(api, simulator, review_deadline_hours=1, review_deadline_action="reject")
    assert post(api, task["id"], "video").status == 202
    assert api.run_until(task["id"])["status"] == "video_generated"

    report = reconcile_open_tasks(runtime(), now=_after(1.5))

    assert report.review_deadlines == 0
    assert api.get(task["id"])["status"] == "video_generated"


def test_a_preview_without_a_deadline_waits_for_its_owner_however_long(api: TenantApi, simulator) -> None:
    task = preview(api, simulator)

    report = reconcile_open_tasks(runtime(), now=_after(24 * 30))

    assert (report.review_deadlines, report.timed_out) == (0, 0)
    assert api.get(task["id"])["status"] == "image_generated"
