"""Write-back to Shopify on the embedded stack: a generated video put on its product in the local shop.

The local shop plays Shopify's Admin GraphQL API over HTTP (strict about the token, fileSize,
the staged upload's form and its resourceUrl), and counts every call by operation, which is how
these tests see that nothing is uploaded or attached twice. The stack sends every admin call to
it through the local emulator's base-URL override; the connection names the real shop.

The whole path runs: the shop's product hook makes the task, Creatify's simulator makes the
video, the media worker archives it, and its archived copy is what the publish worker uploads.
What a test changes in the shop or the connection (a knob, a token, a deleted product) is done
before the video exists, or between the intake and the video (`after_intake`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from reelay.clients.shopify_admin import ShopifyPublisher
from reelay.dal import keys
from reelay.deps import runtime
from reelay.models.jobs import PublishJob
from reelay_cli.api_client import ReelayClient
from reelay_local.aws.embedded import EmbeddedStack
from reelay_local.commands.local_shop import ShopLink, admin_override, connect_local_shop
from reelay_local.simulators.shop import LocalShop, ShopConfig
from tests.integration.pipeline import RunningStack, TenantApi
from tests.integration.test_stage_metrics import counted, emf_lines

PUBLICATION_EVENTS = ("Product Video Published", "Product Video Publish Failed")


@pytest.fixture
def shop() -> Iterator[LocalShop]:
    # Processed at once unless a test says otherwise.
    config = ShopConfig(retry_base_seconds=0.05, image_size=128, media_processing_seconds=0)
    with LocalShop(config) as running:
        yield running


@pytest.fixture
def embedded(simulator, shop: LocalShop) -> Iterator[EmbeddedStack]:
    options: dict[str, Any] = {
        "topic_filter": {"status": ["video_generated", "failed"]},
        "extra_env": admin_override(shop),
    }
    with RunningStack(simulator, **options) as stack:
        yield stack


@pytest.fixture
def api(embedded: EmbeddedStack) -> TenantApi:
    return TenantApi.create(embedded, "Trail Co")


@pytest.fixture
def link(embedded: EmbeddedStack, api: TenantApi, shop: LocalShop) -> ShopLink:
    with ReelayClient(embedded.api_url, api.tenant.api_key) as client:
        return connect_local_shop(shop, client, write_back=True)


def generated_task(
    embedded: EmbeddedStack,
    api: TenantApi,
    shop: LocalShop,
    title: str,
    after_intake: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Create a product in the shop and run its task to video_generated; the task as the API shows it.

    `after_intake(product)` runs once the shop's hook was answered (the task exists), before the
    stack is pumped on to the video.
    """
    product = shop.create_product(title, images=1)
    assert shop.wait_for_deliveries(10)
    if after_intake is not None:
        after_intake(product)

    def generated() -> dict[str, Any] | None:
        items = api.request("GET", "/v1/product-videos", query=f"product_id={product['id']}").json()["items"]
        return items[0] if items and items[0]["status"] == "video_generated" else None

    embedded.stack.pump(until=lambda: generated() is not None, timeout=30)
    return generated() or {}


def settled(embedded: EmbeddedStack, api: TenantApi, task_id: str, timeout: float = 30) -> dict[str, Any]:
    """Pump until the task's publication is published or failed; the task as the API shows it."""

    def ended() -> bool:
        publication = api.get(task_id).get("publication") or {}
        return publication.get("state") in ("published", "failed")

    embedded.stack.pump(until=ended, timeout=timeout)
    embedded.stack.pump()  # and until all is quiet: a second attempt would show up now
    return api.get(task_id)


def publication_events(embedded: EmbeddedStack) -> list[dict[str, Any]]:
    return [e for e in embedded.consumers.events() if e["detail-type"] in PUBLICATION_EVENTS]


def archived_video(task: dict[str, Any]) -> bytes:
    """The video Creatify's simulator made for the task: what the archive copied and the shop must get."""
    return httpx.get(task["generated_video_url"]).content


def died_after_attaching(embedded: EmbeddedStack, task_id: str) -> None:
    """As if a worker attached the video and died before recording it: its claim went stale, no media id."""
    stale = keys.iso(datetime.now(UTC) - timedelta(hours=1))
    embedded.clients("dynamodb").update_item(
        TableName=os.environ["TABLE_NAME"],
        Key=keys.task_key(task_id),
        UpdateExpression="SET #p.#s = :publishing, #p.#u = :stale REMOVE #p.#m",
        ExpressionAttributeNames={"#p": "publication", "#s": "state", "#u": "updated_at", "#m": "media_id"},
        ExpressionAttributeValues={":publishing": {"S": "publishing"}, ":stale": {"S": stale}},
    )


def calls(shop: LocalShop) -> dict[str, int]:
    assert shop.admin is not None
    return {name: count for name, count in shop.admin.calls.items() if count}


def uploads_and_attaches(shop: LocalShop) -> tuple[int, int, int]:
    """How many upload targets were asked for, files sent to them, and attach calls made."""
    made = calls(shop)
    return made.get("stagedUploadsCreate", 0), made.get("staged_upload", 0), made.get("productUpdate", 0)


# ---------------------------------------------------------------------------- published


def test_the_video_reaches_ready_on_the_right_product_and_is_announced(embedded, api, shop, link):
    shop.admin.processing_seconds = 1.0  # UPLOADED -> PROCESSING -> READY: at least one check
    # Made while the connection is off: its hook is answered and ignored, so it gets no task.
    path = f"/v1/shop-connections/{link.connection_id}"
    assert api.request("PATCH", path, json_body={"enabled": False}).status == 200
    other = shop.create_product("Another Shoe", images=1)
    assert shop.wait_for_deliveries(10)
    assert api.request("PATCH", path, json_body={"enabled": True}).status == 200
    task = generated_task(embedded, api, shop, "Trail Runner")
    assert task["publication"]["connection_id"] == link.connection_id
    product_id = int(task["external_ref"]["product_id"])

    done = settled(embedded, api, task["id"])

    publication = done["publication"]
    assert (publication["state"], publication["reason"]) == ("published", None)
    assert done["status"] == "video_generated"  # the status stays Creatify's
    (video,) = shop.admin.product_videos(product_id)
    assert publication["media_id"] == video.gid
    assert done["media"]["video"]["state"] == "archived"
    expected = archived_video(task)
    assert (video.filename, video.alt, video.data) == (f"reelay-{task['id']}.mp4", "Trail Runner", expected)
    assert shop.admin.product_videos(other["id"]) == []
    assert uploads_and_attaches(shop) == (1, 1, 1)
    assert calls(shop)["node"] >= 1  # it was still processing when attached

    page = httpx.get(f"{shop.base_url}/products/{product_id}").text
    source = re.search(r'<video[^>]*><source src="([^"]+)" type="video/mp4">', page)
    assert source is not None
    assert httpx.get(shop.base_url + source.group(1)).content == expected

    (event,) = publication_events(embedded)
    assert event["detail-type"] == "Product Video Published"
    detail = event["detail"]
    assert detail["event_id"] == f"evt_{task['id']}_published"
    assert detail["publication"]["media_id"] == video.gid
    assert detail["external_ref"]["product_id"] == str(product_id)
    assert detail["status"] == "video_generated"
    notes = [n for n in embedded.consumers.notifications() if json.loads(n["Message"]).get("publication")]
    assert [json.loads(n["Message"])["event_id"] for n in notes] == [f"evt_{task['id']}_published"]
    assert notes[0]["MessageAttributes"]["publication"]["Value"] == "published"

    history = api.request("GET", f"/v1/product-videos/{task['id']}/history").json()["entries"]
    assert [(e["outcome"], e["media_id"]) for e in history if e["kind"] == "publication"] == [
        ("published", video.gid)
    ]


def test_throttled_answers_are_waited_out_and_the_video_is_published_once(embedded, api, shop, link, capsys):
    shop.admin.throttle_next = 2  # no admin call is made before the publish worker's
    task = generated_task(embedded, api, shop, "Trail Runner")
    done = settled(embedded, api, task["id"])

    assert done["publication"]["state"] == "published"
    assert calls(shop)["throttled"] == 2
    assert uploads_and_attaches(shop) == (1, 1, 1)
    totals = counted(emf_lines(capsys.readouterr().out))
    service = ("service", "reelay")
    assert totals[("Publications", (("outcome", "retrying"), service))] == 2
    assert totals[("Publications", (("outcome", "published"), service))] == 1


def test_a_regenerated_preview_takes_the_write_back_with_it_and_only_its_video_is_published(
    embedded, api, shop, link
):
    path = f"/v1/shop-connections/{link.connection_id}"
    assert api.request("PATCH", path, json_body={"auto_video": False}).status == 200
    product = shop.create_product("Trail Runner", images=1)
    assert shop.wait_for_deliveries(10)
    (listed,) = api.request("GET", "/v1/product-videos", query=f"product_id={product['id']}").json()["items"]
    old = api.run_until(listed["id"], "image_generated")
    assert old["publication"]["state"] == "pending"

    answer = api.request("POST", f"/v1/product-videos/{old['id']}/regenerate", json_body={})
    assert answer.status == 201, answer.body
    new = answer.json()

    assert new["publication"]["state"] == "pending"
    assert (new["publication"]["connection_id"], new["publication"]["product_id"]) == (
        link.connection_id,
        str(product["id"]),
    )
    assert api.get(old["id"]).get("publication") is None  # not left waiting for a video forever
    api.run_until(new["id"], "image_generated")
    assert api.request("POST", f"/v1/product-videos/{new['id']}/video", json_body={}).status in (200, 202)
    done = settled(embedded, api, new["id"])

    assert done["publication"]["state"] == "published"
    (video,) = shop.admin.product_videos(product["id"])
    assert video.filename == f"reelay-{new['id']}.mp4"
    assert uploads_and_attaches(shop) == (1, 1, 1)
    assert [e["detail"]["event_id"] for e in publication_events(embedded)] == [f"evt_{new['id']}_published"]


# ---------------------------------------------------------------------------- failed


def test_a_product_deleted_before_publishing_ends_failed_with_the_reason(embedded, api, shop, link):
    task = generated_task(
        embedded, api, shop, "Trail Runner", after_intake=lambda product: shop.delete_product(product["id"])
    )
    done = settled(embedded, api, task["id"])

    assert (done["publication"]["state"], done["publication"]["reason"]) == (
        "failed",
        "product deleted in the shop",
    )
    assert "stagedUploadsCreate" not in calls(shop) and "staged_upload" not in calls(shop)
    (event,) = publication_events(embedded)
    assert event["detail-type"] == "Product Video Publish Failed"
    assert event["detail"]["event_id"] == f"evt_{task['id']}_publish_failed"
    assert event["detail"]["publication"]["reason"] == "product deleted in the shop"


def test_a_wrong_access_token_fails_once_with_a_clear_reason_and_no_retry_storm(embedded, api, shop, link):
    path = f"/v1/shop-connections/{link.connection_id}"
    assert api.request("PATCH", path, json_body={"admin_access_token": "shpat_wrong"}).status == 200
    task = generated_task(embedded, api, shop, "Trail Runner")
    done = settled(embedded, api, task["id"])

    assert done["publication"]["state"] == "failed"
    reason = done["publication"]["reason"]
    assert reason.startswith("access token rejected by reelay-demo.myshopify.com (HTTP 401)")
    assert calls(shop) == {"requests": 1, "unauthorized": 1}  # one call, no retries


def test_a_missing_access_token_fails_with_a_clear_reason_without_calling_the_shop(embedded, api, shop, link):
    path = f"/v1/shop-connections/{link.connection_id}"
    answers = []

    def remove_token(_product: dict[str, Any]) -> None:
        answers.append(api.request("PATCH", path, json_body={"admin_access_token": None}))

    # The task got its publication at intake, while the connection still had its token.
    task = generated_task(embedded, api, shop, "Trail Runner", after_intake=remove_token)
    assert answers[0].status == 200 and answers[0].json()["has_admin_access_token"] is False
    done = settled(embedded, api, task["id"])

    assert (done["publication"]["state"], done["publication"]["reason"]) == (
        "failed",
        "the shop connection has no admin credentials",
    )
    assert calls(shop) == {}


def test_a_video_the_shop_cannot_process_ends_failed_with_its_media_errors(embedded, api, shop, link):
    shop.admin.fail_next_media = 1
    task = generated_task(embedded, api, shop, "Trail Runner")
    done = settled(embedded, api, task["id"])

    assert done["publication"]["state"] == "failed"
    assert "GENERIC_FILE_DOWNLOAD_FAILURE" in done["publication"]["reason"]


def test_a_failed_archive_fails_the_publication_without_calling_the_shop(simulator, shop):
    # A stack that does not allow loopback sources: the URL guard refuses Creatify's (local)
    # video URL, so the archive fails at once, and the publication with it.
    env = {**admin_override(shop), "REELAY_ALLOW_LOOPBACK_WEBHOOKS": ""}
    topics = {"status": ["video_generated", "failed"]}
    with RunningStack(simulator, topic_filter=topics, extra_env=env) as stack:
        api = TenantApi.create(stack, "Trail Co")
        with ReelayClient(stack.api_url, api.tenant.api_key) as client:
            connect_local_shop(shop, client, write_back=True)
        task = generated_task(stack, api, shop, "Trail Runner")
        done = settled(stack, api, task["id"])
        events = publication_events(stack)

    assert done["media"]["video"]["state"] == "failed"
    assert done["publication"]["state"] == "failed"
    assert done["publication"]["reason"] == f"video archive failed: {done['media']['video']['failed_reason']}"
    assert calls(shop) == {}
    assert [e["detail-type"] for e in events] == ["Product Video Publish Failed"]


# ---------------------------------------------------------------------------- never twice


def send_publish_job(embedded: EmbeddedStack, job: PublishJob) -> None:
    queue = embedded.deployed.queue_url("PublishQueue")
    embedded.clients("sqs").send_message(QueueUrl=queue, MessageBody=job.to_json())


def test_a_publish_job_that_keeps_raising_ends_failed_on_its_last_receive_and_is_announced(
    embedded, api, shop, link, monkeypatch
):
    # An error no branch expects (a bug, say): without the last receive's settle the job would go
    # to the dead-letter queue and the publication stay `publishing` for good.
    attempts: list[str] = []

    def crashes(self: ShopifyPublisher, request: Any) -> Any:
        attempts.append(request.task_id)
        raise RuntimeError("something no one expected")

    monkeypatch.setattr(ShopifyPublisher, "attach", crashes)
    task = generated_task(embedded, api, shop, "Trail Runner")
    done = settled(embedded, api, task["id"])

    assert (done["publication"]["state"], done["publication"]["reason"]) == (
        "failed",
        "the publish job kept failing (RuntimeError)",
    )
    max_receives = runtime().settings.publish_max_receive_count
    assert max_receives == 5  # the template's one figure, given to the function
    assert len(attempts) == max_receives
    assert [e["detail-type"] for e in publication_events(embedded)] == ["Product Video Publish Failed"]
    dead = embedded.clients("sqs").get_queue_attributes(
        QueueUrl=embedded.deployed.queue_url("PublishDeadLetterQueue"),
        AttributeNames=["ApproximateNumberOfMessages"],
    )
    assert dead["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_a_redelivered_publish_job_never_uploads_or_attaches_twice(embedded, api, shop, link):
    task = generated_task(embedded, api, shop, "Trail Runner")
    # Two more copies of the first job besides the task stream's own: SQS delivers at least once.
    send_publish_job(embedded, PublishJob(task_id=task["id"]))
    send_publish_job(embedded, PublishJob(task_id=task["id"]))
    first = settled(embedded, api, task["id"])
    send_publish_job(embedded, PublishJob(task_id=task["id"]))  # and one long after
    embedded.stack.pump()

    assert first["publication"]["state"] == "published"
    assert api.get(task["id"])["publication"] == first["publication"]
    assert uploads_and_attaches(shop) == (1, 1, 1)
    assert len(shop.admin.product_videos(int(task["external_ref"]["product_id"]))) == 1
    assert len(publication_events(embedded)) == 1


def test_a_retry_after_a_lost_answer_finds_the_attached_video_instead_of_attaching_again(
    embedded, api, shop, link
):
    task = generated_task(embedded, api, shop, "Trail Runner")
    settled(embedded, api, task["id"])
    before = (*uploads_and_attaches(shop), calls(shop)["product"])
    died_after_attaching(embedded, task["id"])

    send_publish_job(embedded, PublishJob(task_id=task["id"]))  # its message, delivered again
    done = settled(embedded, api, task["id"])

    assert done["publication"]["state"] == "published"
    (video,) = shop.admin.product_videos(int(task["external_ref"]["product_id"]))
    assert done["publication"]["media_id"] == video.gid
    assert (*uploads_and_attaches(shop), calls(shop)["product"]) == (*before[:3], before[3] + 1)  # found it


def test_on_a_product_with_more_media_than_a_page_the_video_is_found_and_attached_once(
    embedded, api, shop, link
):
    # Shopify lists a product's media a page at a time, oldest first: Reelay's video is on the
    # third page, past where the attach answer and the first page of a look-up reach.
    def merchant_videos(product: dict[str, Any]) -> None:
        for n in range(230):
            shop.admin.add_video(product["id"], f"lookbook-{n}.mp4")

    task = generated_task(embedded, api, shop, "Trail Runner", after_intake=merchant_videos)
    done = settled(embedded, api, task["id"])
    product_videos = shop.admin.product_videos(int(task["external_ref"]["product_id"]))
    ours = [video for video in product_videos if video.filename == f"reelay-{task['id']}.mp4"]
    before = (*uploads_and_attaches(shop), calls(shop)["product"])

    # A worker attached it and died before recording it: the next try must find it, not attach again.
    died_after_attaching(embedded, task["id"])
    send_publish_job(embedded, PublishJob(task_id=task["id"]))
    again = settled(embedded, api, task["id"])

    assert len(ours) == 1 and len(product_videos) == 231
    assert done["publication"]["state"] == "published"
    assert done["publication"]["media_id"] == ours[0].gid
    assert before[:3] == (1, 1, 1)
    assert (again["publication"]["state"], again["publication"]["media_id"]) == ("published", ours[0].gid)
    assert (*uploads_and_attaches(shop), calls(shop)["product"]) == (*before[:3], before[3] + 3)
    assert len(shop.admin.product_videos(int(task["external_ref"]["product_id"]))) == 231


def test_the_demo_s_last_step_shows_the_product_page_playing_the_video(embedded, api, shop, link):
    from reelay_local.commands.demo_publication import show_publication

    task = generated_task(embedded, api, shop, "Trail Runner")
    embedded.run_in_background()
    said: list[str] = []

    with ReelayClient(embedded.api_url, api.tenant.api_key) as client:
        show_publication(said.append, client, link, task["id"])

    page = f"{shop.base_url}/products/{task['external_ref']['product_id']}"
    assert said[-1] == f"  the product's page in the shop: {page}"
    assert f"{len(archived_video(task))} bytes" in said[-2]
