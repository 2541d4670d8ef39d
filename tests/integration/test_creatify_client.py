"""The Creatify client against the Creatify simulator over real HTTP on 127.0.0.1.

Each test gets its own simulator account, so credit balances and task lists are its own; the
simulator itself is shared by the module and its fault knobs are reset around every test.
"""

from __future__ import annotations

import logging
import math
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs
from uuid import uuid4

import pytest

from reelay.clients.creatify import CreatifyClient
from reelay.clients.creatify_credentials import CreatifyCredentials
from reelay.models.creatify_catalog import Persona
from reelay.models.upstream import (
    GenImageRequest,
    GenVideoRequest,
    ProductToVideo,
    ProviderStatus,
    RegenImageRequest,
)
from reelay.ports.creatify_errors import (
    CreatifyAuthError,
    CreatifyError,
    CreatifyInsufficientCredits,
    CreatifyNotFound,
    CreatifyOutcomeUnknown,
    CreatifyRejected,
    CreatifyRetryable,
)
from reelay_local.simulators.creatify import CreatifySimulator, SimulatorConfig

NO_FAULTS: dict[str, Any] = {
    "latency_seconds": 0.0,
    "rate_429": 0.0,
    "rate_5xx": 0.0,
    "error_queue": [],
    "hang_rate": 0.0,
    "fail_rate": 0.0,
}


@pytest.fixture(scope="module")
def sim() -> Iterator[CreatifySimulator]:
    with CreatifySimulator(SimulatorConfig(image_seconds=0.3, video_seconds=0.5, media_size=64)) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def _no_faults(sim: CreatifySimulator) -> Iterator[None]:
    sim.set_faults(**NO_FAULTS)
    yield
    sim.set_faults(**NO_FAULTS)


@pytest.fixture
def account(sim: CreatifySimulator) -> CreatifyCredentials:
    credentials = CreatifyCredentials(api_id=f"acct-{uuid4().hex[:12]}", api_key=f"sk-{uuid4().hex}")
    sim.add_account(credentials.api_id, credentials.api_key, credits=100.0)
    return credentials


@pytest.fixture
def make_client(
    sim: CreatifySimulator, account: CreatifyCredentials
) -> Iterator[Callable[..., CreatifyClient]]:
    clients: list[CreatifyClient] = []

    def make(**options: Any) -> CreatifyClient:
        settings: dict[str, Any] = {
            "base_url": sim.base_url,
            "read_timeout": 3.0,
            "backoff_base": 0.01,
            "backoff_cap": 0.05,
        }
        settings.update(options)
        client = CreatifyClient(settings.pop("credentials", account), **settings)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., CreatifyClient]) -> CreatifyClient:
    return make_client()


@pytest.fixture
def product_url(sim: CreatifySimulator) -> str:
    return sim.sample_product_url("sneaker")


class UncheckedBody:
    """A gen_image body sent as given, past the checks GenImageRequest makes."""

    def __init__(self, **fields: object) -> None:
        self.fields = fields

    def to_body(self) -> dict[str, object]:
        return dict(self.fields)


def wait_for(
    client: CreatifyClient, task_id: object, status: ProviderStatus, timeout: float = 10.0
) -> ProductToVideo:
    deadline = time.monotonic() + timeout
    while True:
        task = client.get(str(task_id))
        if task.status == status:
            return task
        assert task.status != ProviderStatus.FAILED, task.failed_reason
        assert time.monotonic() < deadline, f"task still {task.status} after {timeout} s"
        time.sleep(0.05)


def calls(sim: CreatifySimulator, method: str, path_contains: str) -> list[Any]:
    return sim.calls(method=method, path_contains=path_contains)


def record_field(record: Any, name: str) -> Any:
    return record[name] if isinstance(record, dict) else getattr(record, name)


def settled_count(
    sim: CreatifySimulator, method: str, path_contains: str, at_least: int, timeout: float
) -> int:
    """The number of recorded calls once it stops growing (a hanging answer is recorded late)."""
    deadline = time.monotonic() + timeout
    while len(calls(sim, method, path_contains)) < at_least and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    return len(calls(sim, method, path_contains))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---- every endpoint -------------------------------------------------------------------------


def test_gen_image_then_gen_video_turns_the_same_task_into_a_video(
    sim: CreatifySimulator, client: CreatifyClient, account: CreatifyCredentials, product_url: str
) -> None:
    created = client.gen_image(GenImageRequest(product_url=product_url, image_prompt="on a track at dawn"))
    assert created.product_url
    assert created.image_prompt == "on a track at dawn"

    imaged = wait_for(client, created.id, ProviderStatus.IMAGE_GENERATED)
    assert imaged.generated_photo_url

    started = client.gen_video(
        str(created.id), GenVideoRequest(motion_style="display", video_prompt="slow pan")
    )
    assert started.id == created.id
    assert started.status in (ProviderStatus.VIDEO_GENERATING, ProviderStatus.VIDEO_GENERATED)

    finished = wait_for(client, created.id, ProviderStatus.VIDEO_GENERATED)
    assert finished.generated_video_url
    assert finished.video_prompt == "slow pan"
    assert client.remaining_credits() == pytest.approx(100.0 - 1 - 3)
    assert sim.credits(account.api_id) == pytest.approx(96.0)


def test_regen_image_answers_a_new_task_pointing_at_its_source(
    client: CreatifyClient, product_url: str
) -> None:
    source = client.gen_image(GenImageRequest(product_url=product_url))
    wait_for(client, source.id, ProviderStatus.IMAGE_GENERATED)

    regenerated = client.regen_image(str(source.id), RegenImageRequest(image_prompt="on a beach"))

    assert regenerated.id != source.id
    assert regenerated.regen_type == "regen_image"
    assert regenerated.regen_source_id == str(source.id)
    assert wait_for(client, regenerated.id, ProviderStatus.IMAGE_GENERATED).generated_photo_url


def test_get_and_list_read_back_the_accounts_tasks(
    sim: CreatifySimulator, client: CreatifyClient, product_url: str
) -> None:
    first = client.gen_image(GenImageRequest(product_url=product_url))
    second = client.gen_image(GenImageRequest(product_url=product_url, aspect_ratio="9x16"))

    assert client.get(str(second.id)).aspect_ratio == "9x16"
    assert {task.id for task in client.list([str(first.id), str(second.id)])} == {first.id, second.id}
    assert {task.id for task in client.list()} == {first.id, second.id}

    before = len(calls(sim, "GET", "/api/product_to_videos/"))
    assert client.list([]) == []
    assert len(calls(sim, "GET", "/api/product_to_videos/")) == before


def test_list_splits_more_than_100_ids_into_batches(
    sim: CreatifySimulator, client: CreatifyClient, product_url: str
) -> None:
    mine = [client.gen_image(GenImageRequest(product_url=product_url)).id for _ in range(3)]
    ids = [str(uuid4()) for _ in range(227)]
    for position, task_id in zip((0, 150, 226), mine, strict=True):
        ids.insert(position, str(task_id))
    assert len(ids) == 230
    before = len(calls(sim, "GET", "/api/product_to_videos/"))

    found = client.list(ids)

    assert sorted(task.id for task in found) == sorted(mine)
    list_calls = calls(sim, "GET", "/api/product_to_videos/")[before:]
    assert len(list_calls) == math.ceil(230 / 100)
    sizes = [len(ids_in(record)) for record in list_calls]
    assert all(size <= 100 for size in sizes)
    assert sum(sizes) == 230


def ids_in(record: Any) -> list[str]:
    query = record_field(record, "query")
    if isinstance(query, str):
        query = parse_qs(query)
    value = query["ids"]
    if isinstance(value, list):
        value = ",".join(value)
    return value.split(",")


def test_personas_can_be_listed_filtered_paged_and_fetched(client: CreatifyClient) -> None:
    everyone = client.personas()
    assert everyone
    assert all(isinstance(persona, Persona) for persona in everyone)

    women = client.personas(gender=["f"])
    assert women
    assert all(persona.gender == "f" for persona in women)
    assert len(women) < len(everyone)


def test_remaining_credits_reports_the_accounts_balance(
    sim: CreatifySimulator, client: CreatifyClient, account: CreatifyCredentials
) -> None:
    assert client.remaining_credits() == pytest.approx(100.0)
    assert sim.credits(account.api_id) == pytest.approx(100.0)


def test_a_credentials_provider_is_asked_on_every_request(
    make_client: Callable[..., CreatifyClient], account: CreatifyCredentials
) -> None:
    current = [account]
    asked: list[int] = []

    def provider() -> CreatifyCredentials:
        asked.append(1)
        return current[0]

    client = make_client(credentials=provider)
    client.remaining_credits()
    client.personas()
    assert len(asked) == 2

    current[0] = CreatifyCredentials(api_id=account.api_id, api_key="rotated-away")
    with pytest.raises(CreatifyAuthError):
        client.remaining_credits()


# ---- rejections -----------------------------------------------------------------------------


def test_a_wrong_key_is_an_auth_error(
    make_client: Callable[..., CreatifyClient], account: CreatifyCredentials
) -> None:
    client = make_client(credentials=CreatifyCredentials(api_id=account.api_id, api_key="sk-wrong"))
    with pytest.raises(CreatifyAuthError) as caught:
        client.remaining_credits()
    assert caught.value.status_code == 401


def test_a_missing_product_url_is_rejected_naming_the_field(client: CreatifyClient) -> None:
    # A body our own checks would refuse, to see what Creatify says about the same mistake.
    with pytest.raises(CreatifyRejected) as caught:
        client.gen_image(UncheckedBody(image_prompt="no product"))
    assert type(caught.value) is CreatifyRejected
    assert caught.value.status_code == 400
    assert "product_url" in caught.value.field_errors
    assert "product_url: This field is required." in str(caught.value)


def test_too_few_credits_is_an_insufficient_credits_error(
    sim: CreatifySimulator, make_client: Callable[..., CreatifyClient], product_url: str
) -> None:
    poor = CreatifyCredentials(api_id=f"poor-{uuid4().hex[:8]}", api_key=f"sk-{uuid4().hex}")
    sim.add_account(poor.api_id, poor.api_key, credits=0.5)
    client = make_client(credentials=poor)
    with pytest.raises(CreatifyInsufficientCredits) as caught:
        client.gen_image(GenImageRequest(product_url=product_url))
    assert "credits" in caught.value.detail.lower()
    assert sim.credits(poor.api_id) == pytest.approx(0.5)


def test_an_unknown_task_is_not_found(client: CreatifyClient) -> None:
    with pytest.raises(CreatifyNotFound) as caught:
        client.get(str(uuid4()))
    assert caught.value.status_code == 404


def test_gen_video_on_a_task_that_is_not_image_generated_is_rejected_and_costs_nothing(
    client: CreatifyClient, product_url: str
) -> None:
    task = client.gen_image(GenImageRequest(product_url=product_url))
    wait_for(client, task.id, ProviderStatus.IMAGE_GENERATED)
    client.gen_video(str(task.id))
    wait_for(client, task.id, ProviderStatus.VIDEO_GENERATED)
    balance = client.remaining_credits()

    with pytest.raises(CreatifyRejected) as caught:
        client.gen_video(str(task.id))

    assert type(caught.value) is CreatifyRejected
    assert caught.value.status_code == 400
    assert caught.value.detail
    assert client.remaining_credits() == pytest.approx(balance)


# ---- retries and unknown outcomes -----------------------------------------------------------


def test_429_and_503_are_retried_and_the_post_then_succeeds_once(
    sim: CreatifySimulator, client: CreatifyClient, account: CreatifyCredentials, product_url: str
) -> None:
    before = len(calls(sim, "POST", "/gen_image/"))
    sim.set_faults(error_queue=[429, 503])

    task = client.gen_image(GenImageRequest(product_url=product_url))

    assert len(calls(sim, "POST", "/gen_image/")) - before == 3
    assert [task.id] == [t.id for t in client.list()]
    assert sim.credits(account.api_id) == pytest.approx(99.0)


def test_a_server_error_on_a_get_is_retried(sim: CreatifySimulator, client: CreatifyClient) -> None:
    before = len(calls(sim, "GET", "/api/remaining_credits/"))
    sim.set_faults(error_queue=[500, 504])
    assert client.remaining_credits() == pytest.approx(100.0)
    assert len(calls(sim, "GET", "/api/remaining_credits/")) - before == 3


def test_a_service_that_keeps_failing_raises_retryable_after_max_attempts(
    sim: CreatifySimulator, make_client: Callable[..., CreatifyClient], product_url: str
) -> None:
    client = make_client(max_attempts=3)
    before = len(calls(sim, "POST", "/gen_image/"))
    sim.set_faults(error_queue=[503, 503, 503, 503])

    with pytest.raises(CreatifyRetryable) as caught:
        client.gen_image(GenImageRequest(product_url=product_url))

    assert caught.value.status_code == 503
    assert caught.value.attempts == 3
    assert len(calls(sim, "POST", "/gen_image/")) - before == 3


@pytest.mark.parametrize("status", [500, 504])
def test_a_server_error_on_a_post_is_an_unknown_outcome_and_not_repeated(
    sim: CreatifySimulator, client: CreatifyClient, product_url: str, status: int
) -> None:
    before = len(calls(sim, "POST", "/gen_image/"))
    sim.set_faults(error_queue=[status])

    with pytest.raises(CreatifyOutcomeUnknown) as caught:
        client.gen_image(GenImageRequest(product_url=product_url))

    assert (caught.value.method, caught.value.path) == ("POST", "/api/product_to_videos/gen_image/")
    assert caught.value.status_code == status
    assert len(calls(sim, "POST", "/gen_image/")) - before == 1


def test_a_post_whose_answer_never_comes_is_an_unknown_outcome_sent_once_and_paid_for(
    sim: CreatifySimulator,
    make_client: Callable[..., CreatifyClient],
    account: CreatifyCredentials,
    product_url: str,
) -> None:
    client = make_client(read_timeout=0.5)
    before = len(calls(sim, "POST", "/gen_image/"))
    sim.set_faults(hang_rate=1.0, hang_seconds=1.5)

    with pytest.raises(CreatifyOutcomeUnknown) as caught:
        client.gen_image(GenImageRequest(product_url=product_url))

    assert caught.value.method == "POST"
    assert caught.value.path == "/api/product_to_videos/gen_image/"
    sim.set_faults(hang_rate=0.0)
    assert settled_count(sim, "POST", "/gen_image/", at_least=before + 1, timeout=3.0) - before == 1
    assert sim.credits(account.api_id) == pytest.approx(99.0)
    # The task exists upstream: this is what a reconciler finds by listing.
    assert len(client.list()) == 1


def test_a_get_whose_answer_never_comes_is_retried(
    sim: CreatifySimulator, make_client: Callable[..., CreatifyClient]
) -> None:
    client = make_client(read_timeout=0.3, max_attempts=2)
    before = len(calls(sim, "GET", "/api/remaining_credits/"))
    sim.set_faults(latency_seconds=0.8)

    with pytest.raises(CreatifyRetryable) as caught:
        client.remaining_credits()

    assert caught.value.status_code is None
    assert caught.value.attempts == 2
    sim.set_faults(latency_seconds=0.0)
    assert (
        settled_count(sim, "GET", "/api/remaining_credits/", at_least=before + 2, timeout=3.0) - before == 2
    )


def test_a_refused_connection_is_retryable(
    make_client: Callable[..., CreatifyClient], product_url: str
) -> None:
    client = make_client(base_url=f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(CreatifyRetryable) as caught:
        client.gen_image(GenImageRequest(product_url=product_url))
    assert caught.value.attempts == 3
    assert caught.value.status_code is None


# ---- the key never leaks --------------------------------------------------------------------


def test_the_api_key_never_appears_in_logs_reprs_or_errors(
    sim: CreatifySimulator,
    make_client: Callable[..., CreatifyClient],
    account: CreatifyCredentials,
    product_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "reelay"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    client = make_client()
    wrong = CreatifyCredentials(api_id=account.api_id, api_key=f"sk-wrong-{uuid4().hex}")
    secrets = (account.api_key, wrong.api_key)
    raised: list[CreatifyError] = []

    def attempt(call: Callable[[], object]) -> None:
        try:
            call()
        except CreatifyError as exc:
            raised.append(exc)

    task = client.gen_image(GenImageRequest(product_url=product_url))
    client.get(str(task.id))
    client.list([str(task.id)])
    client.personas()
    sim.set_faults(error_queue=[429, 503, 502])
    attempt(lambda: client.remaining_credits())
    sim.set_faults(error_queue=[504])
    attempt(lambda: client.gen_image(GenImageRequest(product_url=product_url)))
    attempt(lambda: client.gen_image(UncheckedBody()))
    attempt(lambda: client.get(str(uuid4())))
    attempt(lambda: make_client(credentials=wrong).remaining_credits())
    attempt(lambda: make_client(base_url=f"http://127.0.0.1:{closed_port()}").remaining_credits())

    assert {type(exc) for exc in raised} == {
        CreatifyRetryable,
        CreatifyOutcomeUnknown,
        CreatifyRejected,
        CreatifyNotFound,
        CreatifyAuthError,
    }
    retries = [
        r for r in caplog.records if r.name == "reelay.clients.creatify" and r.levelno == logging.WARNING
    ]
    assert retries, "retries are logged"
    assert all(r.creatify_method and r.creatify_path and r.attempt for r in retries)
    assert any(r.name.startswith("urllib3") for r in caplog.records), "urllib3's own logging was captured"

    seen = [caplog.text, repr(account), str(account), repr(wrong), str(wrong), repr(client)]
    seen += [repr(record.__dict__) for record in caplog.records]
    for exc in raised:
        seen += [str(exc), repr(exc), repr(exc.args), repr(vars(exc))]
        if exc.__cause__ is not None:
            seen += [str(exc.__cause__), repr(exc.__cause__)]
    for secret in secrets:
        assert not [text for text in seen if secret in text]
