"""The task, claim, delivery and tenant repositories against moto's DynamoDB, on the template's table.

Status steps go through logic's `advance`, which decides each step's conditions with the task
lifecycle; what is tested here is that the table makes each decided step at most once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from reelay.dal.claims import ClaimRepository
from reelay.dal.deliveries import DeliveryRecords
from reelay.dal.task_items import task_from_stream_image
from reelay.dal.tasks import TaskRepository
from reelay.dal.tenants import TenantRepository
from reelay.errors import ApiKeyInUse, InvalidCursor, TaskNotFound, TenantExists
from reelay.logic.apply_update import advance as apply_news
from reelay.logic.task_lifecycle import REVIEW_STATUS, step_for, waits_on_provider
from reelay.models.status import TaskStatus
from reelay.models.task import ExternalRef, StatusUpdate, Task
from reelay.models.task_history import CallOutcome, HistoryNote, call_entry, state_entry
from reelay.models.task_ids import derive_task_id
from reelay.models.tenant import Tenant
from reelay.ports.stores import CreateResult, ReopenResult
from reelay_local.aws.template import load_template, table_create_kwargs, table_ttl_spec

TABLE = "reelay-tasks-test"
T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
S = TaskStatus


@pytest.fixture(scope="module")
def template() -> dict:
    return load_template()


@pytest.fixture
def dynamodb(template: dict) -> Iterator[object]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**table_create_kwargs(template, "TasksTable", table_name=TABLE))
        ttl = table_ttl_spec(template, "TasksTable")
        if ttl:
            client.update_time_to_live(TableName=TABLE, TimeToLiveSpecification=ttl)
        yield client


@pytest.fixture
def repo(dynamodb: object) -> TaskRepository:
    return TaskRepository(TABLE, client=dynamodb, open_shards=4)


@pytest.fixture
def claims(dynamodb: object) -> ClaimRepository:
    return ClaimRepository(TABLE, client=dynamodb)


@pytest.fixture
def deliveries(dynamodb: object) -> DeliveryRecords:
    return DeliveryRecords(TABLE, client=dynamodb)


def create(repo: TaskRepository, task: Task) -> CreateResult:
    """Create as submitting does: on the open list when the lifecycle says the task waits on Creatify."""
    return repo.create(task, stays_open=waits_on_provider(task.status, task.auto_video))


def reopen(repo: TaskRepository, task_id: str, **options: str) -> ReopenResult:
    """Ask for the video as the approval does: from the review status, back on the open list."""
    return repo.reopen_for_video(task_id, at_status=REVIEW_STATUS, stays_open=True, **options)


def new_task(
    tenant: str = "acme", key: str = "k-1", *, created_at: datetime = T0, auto_video: bool = True
) -> Task:
    return Task(
        id=derive_task_id(tenant, key),
        tenant_id=tenant,
        product_url="https://shop.example/p.jpg",
        webhook_url="https://hooks.example/reelay",
        external_ref=ExternalRef(source="shopify", shop="acme.myshopify.com", product_id="42"),
        idempotency_key=key,
        auto_video=auto_video,
        created_at=created_at,
        updated_at=created_at,
    )


def advance(repo: TaskRepository, task: Task, *statuses: TaskStatus) -> Task:
    for status in statuses:
        result = apply_news(
            repo, task, StatusUpdate(status=status), now=task.updated_at + timedelta(seconds=1)
        )
        assert result.applied, status
        task = result.task
    return task


def open_ids(repo: TaskRepository, before: datetime = T0 + timedelta(days=1)) -> set[str]:
    return {task.id for task in repo.iter_open(before, limit=1000)}


# ---------------------------------------------------------------------------- table definition


def test_the_test_table_has_the_templates_keys_indexes_and_stream(dynamodb) -> None:
    table = dynamodb.describe_table(TableName=TABLE)["Table"]
    assert {k["AttributeName"] for k in table["KeySchema"]} == {"pk", "sk"}
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {"by-tenant", "open-tasks"}
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


# ---------------------------------------------------------------------------- create and get


def test_creating_the_same_request_twice_returns_the_first_task(repo) -> None:
    first = create(repo, new_task())
    assert first.created
    retry = new_task()
    retry = retry.replace(image_prompt="ignored: the stored task wins")
    second = create(repo, retry)
    assert not second.created
    assert second.task == first.task
    assert second.task.image_prompt is None


def test_get_returns_the_task_as_created_and_none_for_an_unknown_id(repo) -> None:
    task = new_task()
    create(repo, task)
    assert repo.get(task.id) == task
    assert repo.get("no-such-task") is None


def test_a_stored_task_round_trips_every_field(repo) -> None:
    task = new_task().replace(
        image_prompt="on a beach",
        credits_spent=4,
        last_delivery={"status": 200, "ms": 12.5, "ok": True, "body": None},
        created_at=datetime(2025, 3, 1, 12, 0, 0, 120000, tzinfo=UTC),
    )
    create(repo, task)
    assert repo.get(task.id) == task


def test_a_stream_image_of_a_task_reads_back_and_a_claim_image_is_skipped(repo, claims, dynamodb) -> None:
    task = new_task()
    create(repo, task)
    claims.claim(task.id, "gen_image")
    items = dynamodb.scan(TableName=TABLE)["Items"]
    by_sk = {item["sk"]["S"]: item for item in items}
    assert task_from_stream_image(by_sk["TASK"]) == task
    assert task_from_stream_image(by_sk["JOB#gen_image"]) is None


# ---------------------------------------------------------------------------- forward-only apply


def test_each_forward_step_applies_and_bumps_version(repo) -> None:
    task = create(repo, new_task()).task
    for version, status in enumerate(
        [S.IMAGE_GENERATING, S.IMAGE_GENERATED, S.VIDEO_GENERATING, S.VIDEO_GENERATED], start=2
    ):
        task = advance(repo, task, status)
        assert task.status is status
        assert task.version == version
    assert repo.get(task.id) == task


def test_apply_stores_the_updates_result_fields_and_keeps_others(repo) -> None:
    task = create(repo, new_task()).task
    photo = "https://cdn.example/photo.png"
    result = apply_news(
        repo,
        task,
        StatusUpdate(status=S.IMAGE_GENERATED, provider_task_id="p-1", generated_photo_url=photo),
        now=T0 + timedelta(minutes=1),
    )
    assert result.applied
    assert result.task.generated_photo_url == photo
    assert result.task.provider_task_id == "p-1"
    assert result.task.updated_at == T0 + timedelta(minutes=1)
    assert result.task.created_at == T0
    # A later update without the photo does not erase it.
    after = apply_news(
        repo, result.task, StatusUpdate(status=S.VIDEO_GENERATING, motion_style="display")
    ).task
    assert after.generated_photo_url == photo
    assert after.motion_style == "display"


@pytest.mark.parametrize(
    ("reached", "incoming"),
    [
        ([S.IMAGE_GENERATING], S.IMAGE_GENERATING),  # repeat
        ([S.IMAGE_GENERATED], S.IMAGE_GENERATING),  # regression
        ([S.IMAGE_GENERATING, S.VIDEO_GENERATING], S.IMAGE_GENERATED),  # late, out of order
        ([], S.INITIALIZING),  # never a step forward
        ([S.IMAGE_GENERATED, S.VIDEO_GENERATED], S.FAILED),  # after terminal
        ([S.FAILED], S.VIDEO_GENERATED),  # after terminal
        ([S.FAILED], S.FAILED),  # repeat of terminal
    ],
)
def test_repeats_regressions_and_news_after_the_end_change_nothing(repo, reached, incoming) -> None:
    task = advance(repo, create(repo, new_task()).task, *reached)
    result = apply_news(repo, task, StatusUpdate(status=incoming, failed_reason="late news"))
    assert not result.applied
    assert result.task == task
    assert repo.get(task.id) == task


@pytest.mark.parametrize("reached", [[], [S.IMAGE_GENERATING], [S.IMAGE_GENERATED], [S.VIDEO_GENERATING]])
def test_failed_applies_from_every_non_terminal_status(repo, reached) -> None:
    task = advance(repo, create(repo, new_task()).task, *reached)
    result = apply_news(repo, task, StatusUpdate(status=S.FAILED, failed_reason="provider said no"))
    assert result.applied
    assert result.task.status is S.FAILED
    assert result.task.failed_reason == "provider said no"


def test_applying_to_a_missing_task_raises_task_not_found(repo) -> None:
    with pytest.raises(TaskNotFound):
        apply_news(repo, new_task(key="never-created"), StatusUpdate(status=S.IMAGE_GENERATING))


class OneCallAtATime:
    """DynamoDB applies each single write to an item atomically; moto in-process does not (two
    threads can both pass a condition). Serializing whole API calls restores exactly that
    guarantee and no more: an implementation that reads, decides, then writes still races."""

    def __init__(self, client: object) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> object:
        call = getattr(self._client, name)

        def locked(*args: object, **kwargs: object) -> object:
            with self._lock:
                return call(*args, **kwargs)

        return locked


def test_the_same_update_from_two_threads_applies_exactly_once(dynamodb) -> None:
    repo = TaskRepository(TABLE, client=OneCallAtATime(dynamodb))
    for attempt in range(10):
        task = create(repo, new_task(key=f"race-{attempt}")).task
        barrier = threading.Barrier(2)
        results: list = []

        def send(task: Task = task, barrier: threading.Barrier = barrier, results: list = results) -> None:
            barrier.wait()
            results.append(apply_news(repo, task, StatusUpdate(status=S.IMAGE_GENERATING)))

        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(r.applied for r in results) == [False, True]
        assert repo.get(task.id).version == 2


# ---------------------------------------------------------------------------- open-tasks index


def test_a_new_task_is_on_the_open_list_until_its_video_is_generated(repo) -> None:
    task = create(repo, new_task()).task
    assert open_ids(repo) == {task.id}
    task = advance(repo, task, S.IMAGE_GENERATING, S.IMAGE_GENERATED, S.VIDEO_GENERATING)
    assert open_ids(repo) == {task.id}
    advance(repo, task, S.VIDEO_GENERATED)
    assert open_ids(repo) == set()


@pytest.mark.parametrize("reached", [[], [S.IMAGE_GENERATING], [S.IMAGE_GENERATED], [S.VIDEO_GENERATING]])
def test_a_failed_task_leaves_the_open_list(repo, reached) -> None:
    task = advance(repo, create(repo, new_task()).task, *reached)
    advance(repo, task, S.FAILED)
    assert open_ids(repo) == set()


def test_an_image_only_task_leaves_the_open_list_at_image_generated(repo) -> None:
    image_only = advance(repo, create(repo, new_task(key="img", auto_video=False)).task, S.IMAGE_GENERATING)
    with_video = advance(repo, create(repo, new_task(key="vid")).task, S.IMAGE_GENERATING)
    assert open_ids(repo) == {image_only.id, with_video.id}
    advance(repo, image_only, S.IMAGE_GENERATED)
    advance(repo, with_video, S.IMAGE_GENERATED)
    assert open_ids(repo) == {with_video.id}


def test_apply_uses_the_stored_auto_video_when_the_callers_copy_is_stale(repo) -> None:
    stored = create(repo, new_task(auto_video=False)).task
    stale = stored.replace(auto_video=True)
    result = apply_news(repo, stale, StatusUpdate(status=S.IMAGE_GENERATED))
    assert result.applied
    assert open_ids(repo) == set()


def test_a_step_decided_on_a_copy_that_has_since_moved_on_is_not_made(repo) -> None:
    listed = create(repo, new_task()).task
    moved = advance(repo, listed, S.IMAGE_GENERATING)
    timeout = StatusUpdate(status=S.FAILED, failed_reason="timed out waiting for provider")

    result = apply_news(repo, listed, timeout, only_if_unchanged=True)

    assert not result.applied
    assert result.task.status is S.IMAGE_GENERATING
    assert apply_news(repo, moved, timeout, only_if_unchanged=True).applied


def test_the_open_list_holds_only_tasks_with_no_news_since_the_cutoff_oldest_first(repo) -> None:
    tasks = [create(repo, new_task(key=f"k{i}", created_at=T0 + timedelta(minutes=i))).task for i in range(8)]
    advance(repo, tasks[0], S.IMAGE_GENERATING)  # news at T0 + 1 s
    stale = list(repo.iter_open(T0 + timedelta(minutes=5)))
    assert [t.id for t in stale] == [tasks[0].id] + [t.id for t in tasks[1:5]]
    assert [t.id for t in repo.iter_open(T0 + timedelta(minutes=5), limit=2)] == [tasks[0].id, tasks[1].id]


def test_the_open_list_spreads_over_shards_and_reads_them_all(repo, dynamodb) -> None:
    tasks = [create(repo, new_task(key=f"k{i}")).task for i in range(20)]
    shards = {item["open_pk"]["S"] for item in dynamodb.scan(TableName=TABLE)["Items"] if "open_pk" in item}
    assert len(shards) > 1
    assert open_ids(repo) == {t.id for t in tasks}


def test_a_video_request_reopens_an_image_only_task(repo) -> None:
    task = advance(repo, create(repo, new_task(auto_video=False)).task, S.IMAGE_GENERATING, S.IMAGE_GENERATED)
    assert open_ids(repo) == set()
    result = reopen(repo, task.id, motion_style="talking", video_prompt="smile")
    assert result.reopened
    assert result.task.auto_video
    assert (result.task.motion_style, result.task.video_prompt) == ("talking", "smile")
    assert open_ids(repo, datetime.now(UTC) + timedelta(minutes=1)) == {task.id}
    assert apply_news(repo, result.task, StatusUpdate(status=S.VIDEO_GENERATING)).applied


@pytest.mark.parametrize(
    "reached", [[S.IMAGE_GENERATING], [S.IMAGE_GENERATED, S.VIDEO_GENERATING], [S.FAILED]]
)
def test_a_video_request_before_or_after_image_generated_reports_the_current_status(repo, reached) -> None:
    task = advance(repo, create(repo, new_task(auto_video=False)).task, *reached)
    result = reopen(repo, task.id)
    assert not result.reopened
    assert result.task.status is reached[-1]


def test_a_second_video_request_does_not_reopen_again(repo) -> None:
    task = advance(repo, create(repo, new_task(auto_video=False)).task, S.IMAGE_GENERATED)
    assert reopen(repo, task.id).reopened
    again = reopen(repo, task.id)
    assert not again.reopened
    assert again.task.auto_video


def test_a_video_request_for_a_missing_task_raises_task_not_found(repo) -> None:
    with pytest.raises(TaskNotFound):
        reopen(repo, "missing")


def test_a_finished_task_gets_an_expiry_when_retention_is_set(dynamodb) -> None:
    repo = TaskRepository(TABLE, client=dynamodb, retention=timedelta(days=90))
    task = advance(repo, create(repo, new_task()).task, S.FAILED)
    item = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": f"TASK#{task.id}"}, "sk": {"S": "TASK"}})
    assert int(item["Item"]["expires_at"]["N"]) == int((task.updated_at + timedelta(days=90)).timestamp())


# ---------------------------------------------------------------------------- provider bookkeeping


def test_a_provider_job_is_claimed_once(repo, claims) -> None:
    task = create(repo, new_task()).task
    assert claims.claim(task.id, "gen_image") is True
    assert claims.claim(task.id, "gen_image") is False
    assert claims.claim(task.id, "gen_video") is True
    assert repo.get(task.id) == task  # claims live beside the task, not in it


def test_the_provider_task_id_is_recorded_once_and_never_replaced(repo) -> None:
    task = create(repo, new_task()).task
    assert repo.attach_provider_task(task.id, "p-1", credits_spent=1)
    assert repo.attach_provider_task(task.id, "p-1", credits_spent=3)  # gen_video, same provider task
    assert not repo.attach_provider_task(task.id, "p-2", credits_spent=1)
    stored = repo.get(task.id)
    assert (stored.provider_task_id, stored.credits_spent) == ("p-1", 4)
    with pytest.raises(TaskNotFound):
        repo.attach_provider_task("missing", "p-1")


def test_credits_of_a_job_recorded_twice_are_counted_once(repo) -> None:
    task = create(repo, new_task()).task
    # The worker and an early provider callback may both record the same gen_image.
    assert repo.attach_provider_task(task.id, "p-1", credits_spent=1, job="gen_image")
    assert repo.attach_provider_task(task.id, "p-1", credits_spent=1, job="gen_image")
    assert repo.attach_provider_task(task.id, "p-1", credits_spent=3, job="gen_video")
    assert not repo.attach_provider_task(task.id, "p-2", credits_spent=3, job="gen_video")
    assert repo.get(task.id).credits_spent == 4


def test_a_call_and_the_step_its_answer_makes_are_recorded_by_one_write(repo) -> None:
    task = advance(
        repo, create(repo, new_task()).task, TaskStatus.IMAGE_GENERATING, TaskStatus.IMAGE_GENERATED
    )
    step = replace(step_for(StatusUpdate(status=TaskStatus.VIDEO_GENERATING), task.auto_video), by="worker")
    note = HistoryNote(entry=call_entry("gen_video", CallOutcome.SUBMITTED, T0))

    result = repo.record_call(task.id, "p-1", step, credits_spent=3, job="gen_video", history=note, now=T0)

    assert result is not None and result.applied
    stored = repo.get(task.id)
    assert (stored.status, stored.provider_task_id, stored.credits_spent) == (
        TaskStatus.VIDEO_GENERATING,
        "p-1",
        3,
    )
    assert stored.history[-2:] == [note.entry, state_entry(TaskStatus.VIDEO_GENERATING, "worker", T0)]
    assert stored.version == task.version + 1


def test_a_call_recorded_already_or_a_step_that_no_longer_applies_writes_nothing(repo) -> None:
    task = advance(
        repo, create(repo, new_task()).task, TaskStatus.IMAGE_GENERATING, TaskStatus.IMAGE_GENERATED
    )
    step = step_for(StatusUpdate(status=TaskStatus.VIDEO_GENERATING), task.auto_video)
    assert repo.attach_provider_task(task.id, "p-1", credits_spent=3, job="gen_video")  # an early callback
    before = repo.get(task.id)

    assert repo.record_call(task.id, "p-1", step, credits_spent=3, job="gen_video") is None  # counted once
    assert repo.record_call(task.id, "p-2", step, credits_spent=3, job="gen_image") is None  # another id
    failed = advance(repo, before, TaskStatus.FAILED)
    late = step_for(StatusUpdate(status=TaskStatus.VIDEO_GENERATING), task.auto_video)
    assert repo.record_call(task.id, "p-1", late, credits_spent=1, job="regen_image") is None  # terminal
    assert repo.get(task.id) == failed


def test_a_released_claim_can_be_claimed_again(repo, claims) -> None:
    task = create(repo, new_task()).task
    assert claims.claim(task.id, "gen_image", now=T0)
    assert claims.claimed_at(task.id, "gen_image") == T0
    claims.release(task.id, "gen_image")
    assert claims.claimed_at(task.id, "gen_image") is None
    assert claims.claim(task.id, "gen_image", now=T0 + timedelta(seconds=5))


def test_a_stuck_claim_is_retaken_by_exactly_one_worker(repo, claims) -> None:
    task = create(repo, new_task()).task
    claims.claim(task.id, "gen_video", now=T0)
    later = T0 + timedelta(minutes=5)
    assert claims.retake(task.id, "gen_video", T0, now=later)
    assert not claims.retake(task.id, "gen_video", T0, now=later + timedelta(seconds=1))
    assert claims.claimed_at(task.id, "gen_video") == later
    assert not claims.retake(task.id, "gen_image", T0, now=later)  # never claimed


def test_a_checked_open_task_waits_a_full_interval_before_the_next_check(repo) -> None:
    task = create(repo, new_task()).task
    checked = T0 + timedelta(minutes=10)
    assert repo.touch_open(task, now=checked)
    assert open_ids(repo, before=checked) == set()
    assert open_ids(repo, before=checked + timedelta(seconds=1)) == {task.id}
    assert repo.get(task.id) == task  # no news is not a change to the task


def test_touching_a_task_that_moved_on_or_finished_changes_nothing(repo) -> None:
    task = create(repo, new_task(auto_video=False)).task
    moved = advance(repo, task, S.IMAGE_GENERATING)
    assert not repo.touch_open(task, now=T0 + timedelta(minutes=10))  # stale copy: status differs
    done = advance(repo, moved, S.IMAGE_GENERATED)
    assert not repo.touch_open(done, now=T0 + timedelta(minutes=10))
    assert open_ids(repo) == set()
    assert not repo.touch_open(new_task(key="missing"))


def test_delivery_attempts_are_recorded_and_never_wound_back(repo, deliveries) -> None:
    task = create(repo, new_task()).task
    assert deliveries.record(task.id, 2, {"status": 503, "at": "2025-03-01T12:00:05Z"})
    assert not deliveries.record(task.id, 1, {"status": 500})
    stored = repo.get(task.id)
    assert stored.delivery_attempts == 2
    assert stored.last_delivery == {"status": 503, "at": "2025-03-01T12:00:05Z"}
    assert stored.status is S.INITIALIZING
    with pytest.raises(TaskNotFound):
        deliveries.record("missing", 1, {})


# ---------------------------------------------------------------------------- listing


def create_many(repo: TaskRepository, count: int, tenant: str = "acme") -> list[Task]:
    return [
        create(repo, new_task(tenant, f"k{i}", created_at=T0 + timedelta(seconds=i))).task
        for i in range(count)
    ]


def test_a_tenant_lists_its_tasks_newest_first(repo) -> None:
    tasks = create_many(repo, 5)
    create_many(repo, 3, tenant="globex")
    page = repo.list_by_tenant("acme")
    assert [t.id for t in page.items] == [t.id for t in reversed(tasks)]
    assert page.next_cursor is None


def test_cursor_pagination_returns_every_task_exactly_once(repo) -> None:
    tasks = create_many(repo, 25)
    seen, sizes, cursor = [], [], None
    while True:
        page = repo.list_by_tenant("acme", limit=10, cursor=cursor)
        seen += [t.id for t in page.items]
        sizes.append(len(page.items))
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sizes == [10, 10, 5]
    assert seen == [t.id for t in reversed(tasks)]


def test_a_full_last_page_has_no_cursor(repo) -> None:
    create_many(repo, 20)
    first = repo.list_by_tenant("acme", limit=10)
    second = repo.list_by_tenant("acme", limit=10, cursor=first.next_cursor)
    assert len(second.items) == 10
    assert second.next_cursor is None


def test_a_status_filter_pages_through_matches_without_empty_pages(repo) -> None:
    tasks = create_many(repo, 30)
    failed = {advance(repo, t, S.FAILED).id for t in tasks if int(t.idempotency_key[1:]) % 4 == 0}
    seen, cursor = [], None
    while True:
        page = repo.list_by_tenant("acme", status=S.FAILED, limit=3, cursor=cursor)
        assert page.items, "a page with a cursor before it is never empty"
        assert all(t.status is S.FAILED for t in page.items)
        seen += [t.id for t in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(failed) == 8
    assert set(seen) == failed


def test_a_status_filter_with_no_match_gives_one_empty_last_page(repo) -> None:
    create_many(repo, 5)
    page = repo.list_by_tenant("acme", status=S.VIDEO_GENERATED)
    assert page.items == []
    assert page.next_cursor is None


def test_the_page_size_is_clamped_to_1_through_100(repo) -> None:
    create_many(repo, 3)
    assert len(repo.list_by_tenant("acme", limit=0).items) == 1
    assert len(repo.list_by_tenant("acme", limit=-5).items) == 1
    assert len(repo.list_by_tenant("acme", limit=1000).items) == 3


def test_another_tenants_cursor_is_rejected(repo) -> None:
    create_many(repo, 3, tenant="globex")
    cursor = repo.list_by_tenant("globex", limit=1).next_cursor
    assert cursor
    with pytest.raises(InvalidCursor):
        repo.list_by_tenant("acme", cursor=cursor)


@pytest.mark.parametrize(
    "cursor", ["!!!", "bm90IGpzb24", "eyJ0IjoiYWNtZSJ9", "eyJ0IjoiYWNtZSIsImsiOiJ4In0", "W10"]
)
def test_a_malformed_cursor_is_rejected(repo, cursor) -> None:
    with pytest.raises(InvalidCursor):
        repo.list_by_tenant("acme", cursor=cursor)


def test_invalid_cursor_is_a_value_error_for_the_api_edge() -> None:
    assert issubclass(InvalidCursor, ValueError)


# ---------------------------------------------------------------------------- tenants


def tenant(tenant_id: str = "acme", key_hash: str = "a" * 64) -> Tenant:
    return Tenant(
        tenant_id=tenant_id, name="Acme", api_key_hash=key_hash, webhook_secret="whsec_abc", created_at=T0
    )


def test_a_tenant_is_found_by_id_and_by_api_key_hash(dynamodb) -> None:
    tenants = TenantRepository(TABLE, client=dynamodb)
    tenants.create(tenant())
    assert tenants.get("acme") == tenant()
    assert tenants.find_by_api_key_hash("a" * 64) == tenant()
    assert tenants.get("acme").webhook_secret.get_secret_value() == "whsec_abc"
    assert tenants.get("globex") is None
    assert tenants.find_by_api_key_hash("b" * 64) is None


def test_the_authorizers_one_read_follows_rotation_and_revocation(dynamodb) -> None:
    tenants = TenantRepository(TABLE, client=dynamodb)
    tenants.create(tenant())
    assert tenants.tenant_id_for_api_key_hash("a" * 64) == "acme"
    now = datetime.now(UTC)
    overlap_end = now + timedelta(hours=1)
    tenants.rotate_api_key("acme", "b" * 64, overlap_end)

    for key_hash, at, expected in [
        ("a" * 64, overlap_end - timedelta(seconds=1), "acme"),  # the rotated-out key, in its overlap
        ("a" * 64, overlap_end, None),  # after it, though TTL has not removed the lookup yet
        ("b" * 64, overlap_end, "acme"),
        ("c" * 64, now, None),
    ]:
        assert tenants.tenant_id_for_api_key_hash(key_hash, now=at) == expected, (key_hash, at)
        found = tenants.find_by_api_key_hash(key_hash, now=at)
        assert (found.tenant_id if found else None) == expected

    tenants.revoke_api_keys("acme", previous_only=False, now=now)
    assert tenants.tenant_id_for_api_key_hash("a" * 64, now=now) is None
    assert tenants.tenant_id_for_api_key_hash("b" * 64, now=now) is None


def test_an_api_key_hash_cannot_belong_to_two_tenants(dynamodb) -> None:
    tenants = TenantRepository(TABLE, client=dynamodb)
    tenants.create(tenant())
    with pytest.raises(ApiKeyInUse):
        tenants.create(tenant("globex"))
    assert tenants.get("globex") is None  # nothing half-written
    assert tenants.find_by_api_key_hash("a" * 64).tenant_id == "acme"


def test_a_tenant_id_cannot_be_created_twice(dynamodb) -> None:
    tenants = TenantRepository(TABLE, client=dynamodb)
    tenants.create(tenant())
    with pytest.raises(TenantExists):
        tenants.create(tenant(key_hash="b" * 64))
    assert tenants.find_by_api_key_hash("b" * 64) is None


def test_a_tenants_webhook_secret_stays_out_of_its_repr() -> None:
    assert "whsec_abc" not in repr(tenant())
