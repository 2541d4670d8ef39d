"""Creatify's callbacks are unsigned nudges: repeats, reorderings and forgeries change nothing.

Most tests here make the simulator hold its webhooks back (`webhook_drop_rate=1`, which still
records what it would have sent) and deliver them to the gateway over HTTP themselves, so each
test decides exactly which callback arrives when, and how often.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from reelay.clients.creatify import CreatifyClient
from reelay.clients.creatify_credentials import CreatifyCredentials
from reelay.deps import runtime
from reelay.models.upstream import GenImageRequest
from reelay_local.consumers.webhook_receiver import WebhookReceiver
from reelay_local.simulators.creatify import WebhookRecord
from tests.integration.pipeline import (
    SIM_API_ID,
    SIM_API_KEY,
    TenantApi,
    counted_calls,
    detail_types,
    held_callback,
    provider_calls,
    stored,
    wait_for,
)


def deliver(url: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(url, json=body, timeout=10)


def snapshot(task_id: str) -> dict[str, Any]:
    return stored(task_id).as_json()


def test_each_callback_delivered_three_times_in_any_order_changes_nothing_after_the_first_forward_step(
    embedded, simulator
):
    simulator.set_faults(webhook_drop_rate=1.0)
    api = TenantApi.create(embedded)
    with WebhookReceiver(secret=api.tenant.webhook_secret) as receiver:
        task_id = api.submit(simulator.sample_product_url(), webhook_url=receiver.url)["id"]
        embedded.stack.pump()
        provider_id = stored(task_id).provider_task_id
        assert provider_id
        image = held_callback(simulator, provider_id, "image_generated")

        results, after = [], []
        for _ in range(3):
            answer = deliver(image.url, image.body)
            assert answer.status_code == 200, answer.text
            results.append(answer.json()["result"])
            after.append(snapshot(task_id))
        assert results == ["applied", "no_change", "no_change"]
        assert after[0]["status"] == "image_generated"
        assert after[1] == after[0] and after[2] == after[0]

        embedded.stack.pump()  # the image_generated change queues gen_video
        video = held_callback(simulator, provider_id, "video_generated")
        shuffled = [image, video] * 3
        random.Random(11).shuffle(shuffled)
        results, after = [], []
        for callback in shuffled:
            answer = deliver(callback.url, callback.body)
            assert answer.status_code == 200, answer.text
            results.append(answer.json()["result"])
            after.append(snapshot(task_id))
        embedded.stack.pump()

        assert results == ["applied"] + ["no_change"] * 5
        assert after[0]["status"] == "video_generated" and after[0]["generated_video_url"]
        assert all(state == after[0] for state in after)
        assert detail_types(embedded.consumers.events()) == ["Product Video Generated"]
        assert len(embedded.consumers.notifications()) == 1
        assert len(receiver.wait_for(1)) == 1
        assert len(provider_calls(simulator, "gen_image")) == 1
        assert len(provider_calls(simulator, "gen_video")) == 1


def test_a_callback_with_a_bad_signature_changes_nothing(embedded, simulator):
    simulator.set_faults(webhook_drop_rate=1.0)
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url())["id"]
    other_id = api.submit(simulator.sample_product_url("mug"))["id"]
    embedded.stack.pump()
    provider_id = stored(task_id).provider_task_id
    genuine = held_callback(simulator, provider_id, "image_generated")
    before = snapshot(task_id)
    base, _, sig = genuine.url.partition("?sig=")
    flipped = sig[:-1] + ("A" if sig[-1] != "A" else "B")
    signed_for_another_task = runtime().callback_signer.sign(other_id)

    for url in (f"{base}?sig={flipped}", base, f"{base}?sig={signed_for_another_task}", f"{base}?sig="):
        answer = deliver(url, genuine.body)
        assert answer.status_code == 401, (url, answer.text)
        assert answer.json()["error"]["code"] == "bad_signature"
    embedded.stack.pump()

    assert snapshot(task_id) == before
    assert provider_calls(simulator, "gen_video") == []
    assert embedded.consumers.events() == []
    # The same body with its real signature is accepted: only the signature was wrong.
    assert deliver(genuine.url, genuine.body).json()["result"] == "applied"


def test_a_signed_callback_claiming_a_video_creatify_has_not_made_changes_nothing(embedded, simulator):
    api = TenantApi.create(embedded)
    with WebhookReceiver(secret=api.tenant.webhook_secret) as receiver:
        task_id = api.submit(simulator.sample_product_url(), auto_video=False, webhook_url=receiver.url)["id"]
        api.run_until(task_id, "image_generated")
        receiver.wait_for(1)
        embedded.consumers.events()
        provider_id = stored(task_id).provider_task_id
        callback_url = next(r.url for r in simulator.webhooks_sent if r.body.get("id") == provider_id)
        before = snapshot(task_id)

        for claim in (
            {"status": "video_generated", "generated_video_url": "https://evil.example/fake.mp4"},
            {"status": "failed", "failed_reason": "forged"},
        ):
            forged = {**simulator.task(provider_id), **claim}
            answer = deliver(callback_url, forged)
            assert answer.status_code == 200
            assert answer.json() == {"result": "no_change"}
        embedded.stack.pump()

        assert snapshot(task_id) == before
        assert simulator.task(provider_id)["status"] == "image_generated"
        assert embedded.consumers.events() == []
        assert embedded.consumers.notifications() == []
        assert len(receiver.received) == 1
        assert provider_calls(simulator, "gen_video") == []


def test_a_signed_callback_naming_someone_elses_creatify_task_is_not_adopted(embedded, simulator):
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url())["id"]  # not pumped: no provider task yet
    with CreatifyClient(
        CreatifyCredentials(SIM_API_ID, SIM_API_KEY), base_url=simulator.base_url
    ) as creatify:
        foreign = creatify.gen_image(GenImageRequest(product_url=simulator.sample_product_url("mug")))
    callback_url = runtime().callback_signer.callback_url(embedded.api_url, task_id)
    wait_for(lambda: simulator.task(str(foreign.id))["status"] == "image_generated", what="foreign image")

    answer = deliver(callback_url, simulator.task(str(foreign.id)))
    unknown = deliver(runtime().callback_signer.callback_url(embedded.api_url, "no-such-task"), {})

    assert answer.status_code == 200 and answer.json() == {"result": "no_change"}, answer.text
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "task_id"
    untouched = stored(task_id)
    assert untouched.provider_task_id is None and untouched.credits_spent == 0
    assert untouched.status == "initializing"
    done = api.run_until(task_id)
    assert done["status"] == "video_generated"
    assert stored(task_id).provider_task_id not in (None, str(foreign.id))


def deliver_in_parallel(callback: WebhookRecord, copies: int) -> list[str]:
    """POST the same callback `copies` times at once, as a retrying proxy in front of Creatify might."""
    start = threading.Barrier(copies)

    def post(_: int) -> str:
        start.wait()
        answer = deliver(callback.url, callback.body)
        assert answer.status_code == 200, answer.text
        return answer.json()["result"]

    with ThreadPoolExecutor(max_workers=copies) as pool:
        return sorted(pool.map(post, range(copies)))


def test_one_callback_delivered_ten_times_in_parallel_makes_exactly_one_state_change(embedded, simulator):
    simulator.set_faults(webhook_drop_rate=1.0)
    api = TenantApi.create(embedded)
    with WebhookReceiver(secret=api.tenant.webhook_secret) as receiver:
        task_id = api.submit(simulator.sample_product_url(), webhook_url=receiver.url)["id"]
        embedded.stack.pump()
        provider_id = stored(task_id).provider_task_id
        assert provider_id
        before = stored(task_id).version

        image = deliver_in_parallel(held_callback(simulator, provider_id, "image_generated"), 10)
        after_image = stored(task_id)
        embedded.stack.pump()  # one change, so one gen_video job
        video = deliver_in_parallel(held_callback(simulator, provider_id, "video_generated"), 10)
        after_video = stored(task_id)
        embedded.stack.pump()

        assert image == ["applied"] + ["no_change"] * 9
        assert (after_image.status.value, after_image.version) == ("image_generated", before + 1)
        assert video == ["applied"] + ["no_change"] * 9
        # image_generated -> video_generating (gen_video's answer) -> video_generated: one change each.
        assert (after_video.status.value, after_video.version) == ("video_generated", before + 3)
        assert len(provider_calls(simulator, "gen_video")) == 1
        assert detail_types(embedded.consumers.events()) == ["Product Video Generated"]
        assert len(embedded.consumers.notifications()) == 1
        assert len(receiver.wait_for(1)) == 1


def test_a_callback_naming_its_creatify_task_is_applied_in_one_write_without_reading_the_task(
    embedded, simulator
):
    simulator.set_faults(webhook_drop_rate=1.0)
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url())["id"]
    embedded.stack.pump()
    provider_id = stored(task_id).provider_task_id
    callback = held_callback(simulator, provider_id, "image_generated")

    with counted_calls("dynamodb") as calls:
        answer = deliver(callback.url, callback.body)
    with counted_calls("dynamodb") as repeat_calls:
        repeat = deliver(callback.url, callback.body)

    assert answer.json() == {"result": "applied"}
    assert calls == {"UpdateItem": 1}
    assert stored(task_id).status.value == "image_generated"
    # A repeat is refused by the same write, which returns the task: still nothing read.
    assert repeat.json() == {"result": "no_change"}
    assert repeat_calls == {"UpdateItem": 1}
    simulator.set_faults(webhook_drop_rate=0.0)
    assert api.run_until(task_id)["status"] == "video_generated"


def test_a_callback_from_a_second_creatify_task_made_for_the_task_does_not_move_it(embedded, simulator):
    # Two Creatify tasks can carry one task's signed callback URL (a gen_image answered too late
    # and called again); only the one the task records may move it.
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url(), auto_video=False)["id"]
    api.run_until(task_id, "image_generated")
    callback_url = runtime().callback_signer.callback_url(embedded.api_url, task_id)
    with CreatifyClient(
        CreatifyCredentials(SIM_API_ID, SIM_API_KEY), base_url=simulator.base_url
    ) as creatify:
        second = creatify.gen_image(
            GenImageRequest(product_url=simulator.sample_product_url(), webhook_url=callback_url)
        )
        wait_for(lambda: simulator.task(str(second.id))["status"] == "image_generated", what="second image")
        creatify.gen_video(str(second.id))
    wait_for(lambda: simulator.task(str(second.id))["status"] == "video_generated", what="second video")
    embedded.stack.pump()
    embedded.consumers.events()
    before = snapshot(task_id)

    answer = deliver(callback_url, simulator.task(str(second.id)))
    embedded.stack.pump()

    assert answer.status_code == 200 and answer.json() == {"result": "no_change"}, answer.text
    assert snapshot(task_id) == before
    assert before["status"] == "image_generated" and before["provider_task_id"] != str(second.id)
    assert embedded.consumers.events() == []


def test_a_repeated_callback_for_a_finished_task_is_answered_while_creatify_is_down(embedded, simulator):
    simulator.set_faults(webhook_drop_rate=1.0)
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url())["id"]
    embedded.stack.pump()
    provider_id = stored(task_id).provider_task_id
    image = held_callback(simulator, provider_id, "image_generated")
    deliver(image.url, image.body)
    embedded.stack.pump()
    video = held_callback(simulator, provider_id, "video_generated")
    assert deliver(video.url, video.body).json() == {"result": "applied"}
    before = snapshot(task_id)
    simulator.set_faults(rate_5xx=1.0)

    answer = deliver(video.url, video.body)

    # The task is finished: nothing Creatify could say would change it, so its outage is no error.
    assert answer.status_code == 200 and answer.json() == {"result": "no_change"}, answer.text
    assert snapshot(task_id) == before
