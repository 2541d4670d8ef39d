"""History writes on the template's table in moto: appended with the change, bounded, once on a repeat."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from reelay.dal.deliveries import DeliveryRecords
from reelay.dal.history_writes import TaskHistoryLog
from reelay.dal.tasks import TaskRepository
from reelay.errors import TaskNotFound
from reelay.logic.apply_update import advance
from reelay.models.status import TaskStatus
from reelay.models.task import StatusUpdate, Task
from reelay.models.task_history import (
    HISTORY_LIMIT,
    Actor,
    CallOutcome,
    HistoryNote,
    call_entry,
    delivery_entry,
)
from reelay_local.aws.template import load_template, table_create_kwargs

TABLE = "reelay-history-test"
T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
S = TaskStatus


@pytest.fixture
def dynamodb() -> Iterator[object]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**table_create_kwargs(load_template(), "TasksTable", table_name=TABLE))
        yield client


@pytest.fixture
def tasks(dynamodb: object) -> TaskRepository:
    repo = TaskRepository(TABLE, client=dynamodb)
    repo.create(Task(id="t", tenant_id="acme", product_url="https://shop.example/p"), stays_open=True)
    return repo


def test_a_new_task_stores_no_history_only_that_it_is_kept_from_the_start(tasks, dynamodb):
    item = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "TASK#t"}, "sk": {"S": "TASK"}})["Item"]

    assert "history" not in item and item["history_from_start"] == {"BOOL": True}
    assert tasks.get("t").history_from_start is True


def test_a_task_stored_by_an_earlier_version_reads_as_having_no_history_from_its_start(tasks, dynamodb):
    dynamodb.update_item(
        TableName=TABLE,
        Key={"pk": {"S": "TASK#t"}, "sk": {"S": "TASK"}},
        UpdateExpression="REMOVE history_from_start",
    )

    assert tasks.get("t").history_from_start is False


def test_a_status_step_records_who_made_it_and_a_step_that_does_not_apply_records_nothing(tasks):
    advance(tasks, tasks.get("t"), StatusUpdate(status=S.IMAGE_GENERATING), T0, by=Actor.WORKER)
    advance(tasks, tasks.get("t"), StatusUpdate(status=S.IMAGE_GENERATING), T0, by=Actor.CALLBACK)

    history = tasks.get("t").history
    assert history == [{"k": "s", "t": int(T0.timestamp() * 1000), "to": "image_generating", "by": "worker"}]


def test_a_paid_call_recorded_twice_is_in_the_history_once(tasks):
    entry = call_entry("gen_image", CallOutcome.SUBMITTED, T0)
    for _ in range(2):
        assert tasks.attach_provider_task(
            "t", "p-1", credits_spent=1, job="gen_image", history=HistoryNote(entry=entry)
        )

    task = tasks.get("t")
    assert task.history == [entry] and task.credits_spent == 1


def test_notes_stop_at_the_bound_and_are_counted_past_it(tasks, dynamodb):
    log = TaskHistoryLog(TABLE, client=dynamodb)
    kept = [
        log.note("t", call_entry("gen_video", CallOutcome.CHECK_SCHEDULED, T0, reason=str(n)))
        for n in range(HISTORY_LIMIT + 2)
    ]

    task = tasks.get("t")
    assert kept == [True] * HISTORY_LIMIT + [False, False]
    assert len(task.history) == HISTORY_LIMIT and task.history_dropped == 2
    assert task.history[-1]["why"] == str(HISTORY_LIMIT - 1)


def test_a_note_for_a_task_that_does_not_exist_creates_nothing(dynamodb, tasks):
    log = TaskHistoryLog(TABLE, client=dynamodb)

    with pytest.raises(TaskNotFound):
        log.note("missing", call_entry("gen_image", CallOutcome.FAILED, T0))
    assert "Item" not in dynamodb.get_item(
        TableName=TABLE, Key={"pk": {"S": "TASK#missing"}, "sk": {"S": "TASK"}}
    )


def test_a_delivery_past_the_bound_is_still_recorded_and_its_entry_counted(tasks, dynamodb):
    # The delivery worker reads no task: the write itself finds the history full.
    log = TaskHistoryLog(TABLE, client=dynamodb)
    for n in range(HISTORY_LIMIT - 1):
        log.note("t", call_entry("gen_video", CallOutcome.CHECK_SCHEDULED, T0, reason=str(n)))
    deliveries = DeliveryRecords(TABLE, client=dynamodb)
    entry = delivery_entry(1, "retry_scheduled", T0, status_code=500, latency_ms=12)

    assert deliveries.record("t", 1, {"result": "retry_scheduled"}, history=entry)
    assert deliveries.record("t", 2, {"result": "delivered"}, history={**entry, "n": 2})
    assert not deliveries.record("t", 1, {"result": "late duplicate"}, history=entry)

    task = tasks.get("t")
    assert task.delivery_attempts == 2 and task.last_delivery["result"] == "delivered"
    assert len(task.history) == HISTORY_LIMIT and task.history[-1] == entry
    assert task.history_dropped == 1  # the second attempt's entry, counted once


def test_a_regeneration_linked_twice_is_recorded_once_and_the_first_link_wins(tasks):
    tasks.link_regeneration("t", "new-1")
    again = tasks.link_regeneration("t", "new-1")
    other = tasks.link_regeneration("t", "new-2")

    assert again.regenerated_as == "new-1" and other.regenerated_as == "new-1"
    assert [(e["o"], e["new"]) for e in tasks.get("t").history] == [("regenerated", "new-1")]
