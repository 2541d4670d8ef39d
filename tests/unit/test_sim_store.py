"""The simulator's state: paying and creating are one step, and statuses only move as allowed."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from reelay_local.simulators.creatify.store import (
    InsufficientCredits,
    Store,
    Task,
    TaskNotFound,
    WrongStatus,
    api_time,
    webhook_time,
)

MOMENT = datetime(2025, 5, 30, 11, 11, 5, 449603, tzinfo=UTC)


def task(task_id: str, account: str = "acct") -> Task:
    return Task(
        id=task_id,
        account=account,
        product_url="https://cdn.example.com/a.png",
        type="product_anyshot",
        aspect_ratio="16x9",
        created_at=MOMENT,
        updated_at=MOMENT,
    )


@pytest.fixture
def store() -> Store:
    store = Store()
    store.add_account("acct", "key", 2)
    store.add_account("other", "key2", 10)
    return store


def test_a_refused_charge_creates_nothing(store: Store) -> None:
    store.create("acct", 1, task("a"))
    with pytest.raises(InsufficientCredits) as caught:
        store.create("acct", 3, task("b"))
    assert str(caught.value) == "Insufficient credits: 3 required, 1 remaining."
    assert [t.id for t in store.list("acct", None)] == ["a"]
    assert store.credits("acct") == 1


def test_racing_requests_cannot_both_spend_the_last_credit(store: Store) -> None:
    store.create("acct", 1, task("first"))
    results: list[str] = []

    def attempt(name: str) -> None:
        try:
            store.create("acct", 1, task(name))
            results.append("created")
        except InsufficientCredits:
            results.append("refused")

    threads = [threading.Thread(target=attempt, args=(f"t{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["created"] + ["refused"] * 7
    assert store.credits("acct") == 0


def test_other_accounts_tasks_look_missing(store: Store) -> None:
    store.create("other", 1, task("theirs", account="other"))
    with pytest.raises(TaskNotFound):
        store.get("acct", "theirs")
    assert store.list("acct", ["theirs"]) == []


def test_video_starts_only_from_image_generated(store: Store) -> None:
    store.create("other", 1, task("x", account="other"))
    with pytest.raises(WrongStatus):
        store.start_video("other", "x", 3, {})
    store.advance("x", frozenset({"initializing"}), "image_generated")
    started = store.start_video("other", "x", 3, {"video_prompt": "pan"})
    assert (started.status, started.video_prompt, store.credits("other")) == ("video_generating", "pan", 6)


def test_advance_ignores_a_task_that_has_moved_on(store: Store) -> None:
    store.create("acct", 1, task("a"))
    assert store.advance("a", frozenset({"initializing"}), "failed", failed_reason="x") is not None
    assert store.advance("a", frozenset({"initializing", "image_generating"}), "image_generated") is None
    assert store.get("acct", "a").status == "failed"


def test_returned_tasks_are_copies(store: Store) -> None:
    created = store.create("acct", 1, task("a"))
    created.status = "video_generated"
    assert store.get("acct", "a").status == "initializing"


def test_timestamps_in_api_and_webhook_forms() -> None:
    assert api_time(MOMENT) == "2025-05-30T11:11:05Z"
    assert webhook_time(MOMENT) == "2025-05-30T04:11:05.449603-07:00"
