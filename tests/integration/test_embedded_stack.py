"""The embedded stack's own machinery: a gateway serving requests in parallel, the schedule thread,
and the provider queue's pacing (the template's ProviderConcurrency, held as Lambda holds it)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.integration.pipeline import TenantApi, stored, successful_provider_calls, wait_for


def test_parallel_requests_of_two_tenants_each_see_only_their_own_task(embedded, simulator):
    tenants = [TenantApi.create(embedded, name) for name in ("Acme Shoes", "Bolt Bikes")]
    own = {api.tenant.api_key: api.submit(simulator.sample_product_url())["id"] for api in tenants}

    def read(key: str) -> tuple[str, int, str | None]:
        answer = httpx.get(
            f"{embedded.api_url}/v1/product-videos/{own[key]}",
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        return key, answer.status_code, answer.json().get("id")

    keys = [api.tenant.api_key for api in tenants] * 40
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(read, keys))

    wrong = [(status, got) for key, status, got in answers if status != 200 or got != own[key]]
    assert wrong == []


def test_the_templates_schedule_fires_in_the_background_until_stop(embedded):
    fired: list[str] = []
    twice = threading.Event()

    def record(logical_id: str) -> None:
        fired.append(logical_id)
        if len(fired) >= 2:
            twice.set()

    embedded.stack.run_schedule = record
    embedded.reconcile_every_seconds = 0.05
    embedded.run_in_background()
    assert twice.wait(10)
    embedded.stop()

    assert set(fired) == {"ReconcilerFunction"}
    assert not any(thread.is_alive() for thread in embedded._threads)  # nothing fires after stop


@pytest.mark.embedded_options(provider_concurrency=3)
def test_a_burst_keeps_exactly_provider_concurrency_calls_in_flight_at_creatify(embedded, simulator):
    # Each paid call takes a while, so the jobs pile up behind the cap instead of finishing at once.
    simulator.faults.post_latency_seconds = 0.3
    api = TenantApi.create(embedded)
    ids = [api.submit(simulator.sample_product_url())["id"] for _ in range(12)]
    embedded.run_in_background()

    def finished() -> bool:
        return all(stored(task_id).status.value == "video_generated" for task_id in ids)

    wait_for(finished, timeout=60, what="twelve videos")
    seen = simulator.concurrency()["peak"]
    assert seen["POST"] == 3  # reached, and never more: the template's cap, at the provider
    provider_queue = embedded.stack.sqs_sources["ProviderWorkerFunction"]
    assert provider_queue.instances is not None and provider_queue.instances.peak == 3
    assert len(successful_provider_calls(simulator, "gen_image")) == 12
    assert len(successful_provider_calls(simulator, "gen_video")) == 12
