"""The credit budget repository against moto's server over HTTP, from many threads at once.

Each thread has its own client and HTTP connection, as concurrent provider workers do. The
server runs each request atomically, as DynamoDB does (the local stack's
`moto_dynamodb.install()`; moto's own server lets two transactions interleave, and then 11 or
19 of these 50 reservations pass a limit of 10 whatever their conditions say). What is checked
is that the conditions, not luck, keep the count within the limit, never below zero, and never
counting one job twice: without the limit's condition the first test fails.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from reelay.dal import keys
from reelay.dal.claims import ClaimRepository
from reelay.dal.credit_budgets import CreditBudgetRepository
from reelay.dal.job_slots import JobSlotRepository
from reelay.models.jobs import FIRST_JOB
from reelay.ports.job_stores import PaidCall, Reservation
from reelay_local.aws import moto_dynamodb
from reelay_local.aws.moto_server import FAKE_ACCESS_KEY, FAKE_SECRET_KEY, REGION, MotoServer
from reelay_local.aws.template import load_template, table_create_kwargs, table_ttl_spec

TABLE = "reelay-budgets-test"
TENANT = "acme"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TODAY = date(2026, 3, 1)
T = TypeVar("T")


@pytest.fixture(scope="module")
def server() -> Iterator[MotoServer]:
    moto_dynamodb.install()
    # Not isolating: this process's other tests keep their own endpoints.
    running = MotoServer().start(isolate=False)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def client_for(server: MotoServer) -> Iterator[Callable[[], Any]]:
    """A new DynamoDB client over HTTP (its own connection pool) per call, on a fresh table."""

    def new_client() -> Any:
        return boto3.client(
            "dynamodb",
            endpoint_url=server.endpoint_url,
            region_name=REGION,
            aws_access_key_id=FAKE_ACCESS_KEY,
            aws_secret_access_key=FAKE_SECRET_KEY,
            config=Config(retries={"mode": "standard"}, max_pool_connections=4),
        )

    admin = new_client()
    template = load_template()
    admin.create_table(**table_create_kwargs(template, "TasksTable", table_name=TABLE))
    ttl = table_ttl_spec(template, "TasksTable")
    if ttl:
        admin.update_time_to_live(TableName=TABLE, TimeToLiveSpecification=ttl)
    yield new_client
    admin.delete_table(TableName=TABLE)


@pytest.fixture
def eager_thread_switches() -> Iterator[None]:
    """Threads switch every few microseconds instead of every 5 ms: races show up in a short test."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def all_at_once(
    count: int,
    client_for: Callable[[], Any],
    work: Callable[[Any, int], T],
    repository: Callable[..., Any] = CreditBudgetRepository,
) -> list[T]:
    """`work(repository, n)` for n in 0..count-1, each on its own thread and client, started together."""
    repositories = [repository(TABLE, client=client_for()) for _ in range(count)]
    start = threading.Barrier(count)

    def one(n: int) -> T:
        start.wait()
        return work(repositories[n], n)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def reservation_items(client: Any) -> list[dict[str, Any]]:
    """The job items that hold a reservation (it lives beside the job's slot and claim)."""
    items = client.scan(TableName=TABLE)["Items"]
    return [i for i in items if i["entity"]["S"] == keys.ENTITY_JOB_SLOT and "reserved_at" in i]


pytestmark = pytest.mark.usefixtures("eager_thread_switches")


def test_fifty_parallel_reservations_on_a_budget_of_ten_credits_exactly_ten_succeed(client_for):
    def reserve(repo: CreditBudgetRepository, n: int) -> Reservation:
        return repo.reserve(TENANT, f"task-{n}", "gen_image", 1, limit=10, now=NOW)

    results = all_at_once(50, client_for, reserve)

    assert Counter(results) == {Reservation.RESERVED: 10, Reservation.OVER_BUDGET: 40}
    repo = CreditBudgetRepository(TABLE, client=client_for())
    assert repo.used(TENANT, TODAY) == 10
    assert len(reservation_items(client_for())) == 10


def test_images_and_videos_racing_for_one_budget_never_pass_it(client_for):
    def reserve(repo: CreditBudgetRepository, n: int) -> tuple[Reservation, int]:
        credits = 3 if n % 2 else 1
        return repo.reserve(TENANT, f"task-{n}", "job", credits, limit=10, now=NOW), credits

    results = all_at_once(30, client_for, reserve)

    reserved = sum(credits for result, credits in results if result is Reservation.RESERVED)
    used = CreditBudgetRepository(TABLE, client=client_for()).used(TENANT, TODAY)
    assert used == reserved
    # Full, or so nearly full that no racer that lost could have fitted.
    assert 10 - min(c for r, c in results if r is Reservation.OVER_BUDGET) < used <= 10


def test_one_job_reserved_from_twenty_threads_at_once_is_counted_once(client_for):
    def reserve(repo: CreditBudgetRepository, n: int) -> Reservation:
        return repo.reserve(TENANT, "task-1", "gen_video", 3, limit=None, now=NOW)

    results = all_at_once(20, client_for, reserve)

    assert Counter(results) == {Reservation.RESERVED: 1, Reservation.ALREADY_HELD: 19}
    assert CreditBudgetRepository(TABLE, client=client_for()).used(TENANT, TODAY) == 3


def test_a_reservation_released_from_twenty_threads_at_once_is_given_back_once(client_for):
    repo = CreditBudgetRepository(TABLE, client=client_for())
    repo.reserve(TENANT, "task-1", "gen_video", 3, limit=10, now=NOW)
    repo.reserve(TENANT, "task-2", "gen_image", 1, limit=10, now=NOW)

    results = all_at_once(20, client_for, lambda r, n: r.release("task-1", "gen_video"))

    assert results.count(True) == 1
    assert repo.used(TENANT, TODAY) == 1
    assert [i["sk"]["S"] for i in reservation_items(client_for())] == ["JOB#gen_image"]


def test_credits_given_back_make_room_for_another_job(client_for):
    repo = CreditBudgetRepository(TABLE, client=client_for())
    assert repo.reserve(TENANT, "task-1", "gen_video", 3, limit=3, now=NOW) is Reservation.RESERVED
    assert repo.reserve(TENANT, "task-2", "gen_image", 1, limit=3, now=NOW) is Reservation.OVER_BUDGET

    assert repo.release("task-1", "gen_video") is True
    assert repo.reserve(TENANT, "task-2", "gen_image", 1, limit=3, now=NOW) is Reservation.RESERVED
    assert repo.used(TENANT, TODAY) == 1


def test_a_job_reserved_again_after_its_release_is_counted_again(client_for):
    repo = CreditBudgetRepository(TABLE, client=client_for())
    repo.reserve(TENANT, "task-1", "gen_image", 1, limit=5, now=NOW)
    repo.release("task-1", "gen_image")

    assert repo.reserve(TENANT, "task-1", "gen_image", 1, limit=5, now=NOW) is Reservation.RESERVED
    assert repo.used(TENANT, TODAY) == 1


def test_more_credits_than_the_whole_budget_are_refused_on_a_fresh_day(client_for):
    repo = CreditBudgetRepository(TABLE, client=client_for())

    assert repo.reserve(TENANT, "task-1", "gen_video", 3, limit=2, now=NOW) is Reservation.OVER_BUDGET
    assert repo.used(TENANT, TODAY) == 0
    assert reservation_items(client_for()) == []


def test_a_release_whose_day_is_gone_drops_the_reservation_and_never_goes_negative(client_for):
    client = client_for()
    repo = CreditBudgetRepository(TABLE, client=client)
    repo.reserve(TENANT, "task-1", "gen_image", 1, limit=5, now=NOW)
    client.delete_item(TableName=TABLE, Key=keys.credit_budget_key(TENANT, TODAY))  # as TTL would

    assert repo.release("task-1", "gen_image") is False
    assert reservation_items(client) == []
    assert "Item" not in client.get_item(TableName=TABLE, Key=keys.credit_budget_key(TENANT, TODAY))


def test_both_items_carry_a_time_to_live(client_for):
    client = client_for()
    CreditBudgetRepository(TABLE, client=client).reserve(TENANT, "task-1", "gen_image", 1, limit=5, now=NOW)

    budget = client.get_item(TableName=TABLE, Key=keys.credit_budget_key(TENANT, TODAY))["Item"]
    (reservation,) = reservation_items(client)
    day_end = int(datetime(2026, 3, 2, tzinfo=UTC).timestamp())
    assert int(budget["expires_at"]["N"]) > day_end
    assert int(reservation["expires_at"]["N"]) > int(NOW.timestamp())


def test_a_transaction_cancelled_by_a_conflicting_one_is_tried_again(client_for):
    """DynamoDB cancels a transaction that meets another on the same item; moto never does."""
    client = client_for()
    conflicts = [1]

    def conflict_once(**_: Any) -> None:
        if conflicts:
            conflicts.pop()
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                    "CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}],
                },
                "TransactWriteItems",
            )

    client.meta.events.register("before-call.dynamodb.TransactWriteItems", conflict_once)
    repo = CreditBudgetRepository(TABLE, client=client)

    assert repo.reserve(TENANT, "task-1", "gen_image", 1, limit=5, now=NOW) is Reservation.RESERVED
    assert conflicts == []
    assert repo.used(TENANT, TODAY) == 1


# ---------------------------------------------------------------------------- a job's start pays once
# A first run starts its job's slot, takes the claim and reserves in one transaction with the
# day's count (dal.job_slots): the same guarantees, from one write.

LEASE = timedelta(minutes=2)


def paid_start(
    repo: JobSlotRepository, task_id: str, credits: int, limit: int | None, now: datetime = NOW
) -> Any:
    paying = PaidCall(tenant_id=TENANT, credits=credits, limit=limit)
    return repo.start(task_id, "gen_video", FIRST_JOB, now=now, lease_until=now + LEASE, paying=paying)


def test_twenty_parallel_starts_of_one_job_claim_it_once_and_count_its_credits_once(client_for):
    starts = all_at_once(
        20, client_for, lambda repo, n: paid_start(repo, "task-1", 3, 10), repository=JobSlotRepository
    )

    winners = [run for run in starts if run is not None and run.took_claim]
    assert len(winners) == 1
    assert winners[0].reservation is Reservation.RESERVED
    assert all(run is None for run in starts if run is not winners[0])  # the slot was held
    assert CreditBudgetRepository(TABLE, client=client_for()).used(TENANT, TODAY) == 3
    assert [i["sk"]["S"] for i in reservation_items(client_for())] == ["JOB#gen_video"]


def test_a_start_after_the_lease_finds_the_claim_held_and_reserves_nothing(client_for):
    repo = JobSlotRepository(TABLE, client=client_for())
    assert paid_start(repo, "task-1", 3, 10).took_claim

    again = paid_start(repo, "task-1", 3, 10, now=NOW + 2 * LEASE)  # the first run crashed

    assert again is not None  # the slot is free again: this run recovers the unknown outcome
    assert (again.took_claim, again.reservation, again.claimed_at) == (False, None, NOW)
    assert CreditBudgetRepository(TABLE, client=client_for()).used(TENANT, TODAY) == 3


def test_fifty_parallel_paid_starts_on_a_budget_of_ten_credits_reserve_exactly_ten(client_for):
    starts = all_at_once(
        50, client_for, lambda repo, n: paid_start(repo, f"task-{n}", 1, 10), repository=JobSlotRepository
    )

    assert all(run is not None and run.took_claim for run in starts)
    assert Counter(run.reservation for run in starts) == {
        Reservation.RESERVED: 10,
        Reservation.OVER_BUDGET: 40,
    }
    assert CreditBudgetRepository(TABLE, client=client_for()).used(TENANT, TODAY) == 10
    assert len(reservation_items(client_for())) == 10


def test_a_reservation_left_without_its_claim_is_never_counted_twice(client_for):
    """A crash between giving the claim up and giving the credits back leaves the reservation alone."""
    client = client_for()
    budgets = CreditBudgetRepository(TABLE, client=client)
    repo = JobSlotRepository(TABLE, client=client)
    assert paid_start(repo, "task-1", 3, 10).took_claim
    ClaimRepository(TABLE, client=client).release("task-1", "gen_video")

    again = paid_start(repo, "task-1", 3, 10, now=NOW + 2 * LEASE)

    assert again is not None and again.took_claim and again.reservation is None
    assert budgets.reserve(TENANT, "task-1", "gen_video", 3, limit=10, now=NOW) is Reservation.ALREADY_HELD
    assert budgets.used(TENANT, TODAY) == 3
    assert budgets.release("task-1", "gen_video") is True
    assert budgets.used(TENANT, TODAY) == 0
    assert repo.get("task-1", "gen_video") is not None  # the slot outlives its claim and credits
