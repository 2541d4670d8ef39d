"""Each function's IAM policy in template.yaml grants exactly the AWS actions its code was seen to call.

The calls are recorded with botocore hooks (`reelay_local.aws.aws_calls`) while every function
runs its paths on the embedded stack: a submit with a webhook through to its delivery, the
reads, a replayed delivery and the stuck list, a preview approved, regenerated and rejected,
credits and avatars, a shop connection made, changed, hooked and removed, a partner-bus event,
a video put on its product in the local Shopify shop (write-back, with a check of the chain), and
a reconciler that finishes a task whose callbacks were dropped and puts a lost job back.
What the template grants comes from SAM's own translation (policy templates expanded), minus
the AWS-managed policies the event sources attach. An action the code needs only on a path no
test here reaches is listed in NOT_SEEN_HERE with the reason; one the event source mapping
needs (not the code) in FOR_EVENT_SOURCES.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reelay.deps import runtime
from reelay.logic.shop_intake import HookOutcome
from reelay_cli.api_client import ReelayClient
from reelay_local.aws.aws_calls import AwsCallLog
from reelay_local.aws.deploy import translate_full
from reelay_local.aws.lambda_runtime import LocalFunction, invocation_observers
from reelay_local.aws.stack import reset_runtime_caches
from reelay_local.aws.template import load_template
from reelay_local.commands.local_shop import admin_override, connect_local_shop
from reelay_local.consumers.webhook_receiver import WebhookReceiver
from reelay_local.simulators.creatify import CreatifySimulator, SimulatorConfig
from reelay_local.simulators.shop import LocalShop, ShopConfig
from tests.integration.pipeline import RunningStack, TenantApi, wait_for
from tests.integration.test_shop_intake import SHOP, SHOPIFY_SECRET, Shop, shopify_product

REPO = Path(__file__).resolve().parents[2]
EVENTS_DIR = REPO / "events"

# Granted for the event source mapping or Lambda's own delivery, not called by the code.
FOR_EVENT_SOURCES: dict[str, set[str]] = {
    # The stream mapping reads the table's stream (DynamoDBStreamReadPolicy). (Its OnFailure
    # destination, StreamFailureQueue, is also sent to with the function's role; sqs:SendMessage
    # is the code's own action as well, so it is not listed.)
    "TaskStreamFunction": {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    },
}

# Needed by the code only on paths these runs do not reach; each with why.
NOT_SEEN_HERE: dict[str, set[str]] = {
    # The reconciler applies Creatify's answers with TaskStore.apply, which reads the task
    # (GetItem) instead of writing when the answer's step applies from no status at all (one
    # that maps back to the first status); the simulator's answers here never do.
    "ReconcilerFunction": {"dynamodb:GetItem"},
    # A callback that names its Creatify task is applied without reading the task; only one
    # without a usable id in its body, or one the write refuses for a reason the task tells
    # (a preview waiting for review, an id not recorded yet), reads it. Creatify's callbacks here
    # name their task and the tasks make videos (test_pipeline_callbacks.py takes those paths).
    "ProviderWebhookFunction": {"dynamodb:GetItem"},
    # A media link is answered with a presigned GetObject URL: presigning makes no AWS call, but
    # S3 honours the URL only if the signing role may read the object.
    "ApiFunction": {"s3:GetObject"},
    # Only a multipart copy that fails part-way aborts its upload, and only a failed copy queues
    # its own retry; the simulator's files here are small and always there
    # (tests/integration/test_media_copy.py and test_media_archive.py take those paths). Only a
    # job queued by the version before jobs carried their source reads its task; such a message
    # may wait in the queue or its dead-letter queue for their 14 days' retention after an
    # upgrade (tests/integration/test_archive_settle.py takes that path).
    "MediaWorkerFunction": {"dynamodb:GetItem", "s3:AbortMultipartUpload", "sqs:SendMessage*"},
    # A WooCommerce product links to the video's media link, signed with the callback secret; the
    # write-back run here is Shopify's (test_publish_woocommerce.py takes the WooCommerce path).
    "PublishWorkerFunction": {"secretsmanager:GetSecretValue"},
    # The task stream writes only to end a publication that cannot start: its video's archive
    # failed, or its task failed before it had a video; every video here is archived
    # (test_publish_shopify.py's failed-archive test takes that path).
    "TaskStreamFunction": {"dynamodb:UpdateItem"},
}


FUNCTIONS = sorted(
    logical_id
    for logical_id, resource in load_template()["Resources"].items()
    if resource["Type"] == "AWS::Serverless::Function"
)


def _allowed_by_template() -> dict[str, set[str]]:
    """The actions of each function role's inline policies, as SAM translates template.yaml."""
    translated = translate_full(load_template(), "us-east-1")
    allowed: dict[str, set[str]] = {}
    for function in FUNCTIONS:
        role = translated["Resources"][f"{function}Role"]["Properties"]
        actions: set[str] = set()
        for policy in role.get("Policies", []):
            found = policy["PolicyDocument"]["Statement"]
            for statement in found if isinstance(found, list) else [found]:
                if statement.get("Effect") == "Allow":
                    action = statement["Action"]
                    actions.update(action if isinstance(action, list) else [action])
        allowed[function] = actions
    return allowed


def _run_every_path() -> None:
    """Drive each function's paths."""
    shop_config = ShopConfig(retry_base_seconds=0.05, image_size=128, media_processing_seconds=0.5)
    with (
        CreatifySimulator(SimulatorConfig(image_seconds=0.2, video_seconds=0.3, seed=7)) as simulator,
        LocalShop(shop_config) as local_shop,
    ):
        with RunningStack(
            simulator,
            topic_filter={"status": ["video_generated", "failed"]},
            extra_env=admin_override(local_shop),
        ) as embedded:
            _pipeline_api_and_review(embedded, simulator)
            _shops(embedded)
            _write_back(embedded, local_shop)
        simulator.set_faults(webhook_drop_rate=1.0)
        # Quiet at once and lost at once, so one run of the reconciler has work of both kinds.
        env = {"RECONCILE_AFTER_SECONDS": "0", "PROVIDER_JOB_LOST_AFTER_SECONDS": "1"}
        with RunningStack(simulator, extra_env=env) as embedded:
            _reconciler(embedded, simulator)


def _pipeline_api_and_review(embedded: Any, simulator: CreatifySimulator) -> None:
    api = TenantApi.create(embedded)
    with WebhookReceiver(secret=api.tenant.webhook_secret) as receiver:
        task = api.submit(simulator.sample_product_url("sneaker"), webhook_url=receiver.url)
        assert api.run_until(task["id"])["status"] == "video_generated"
        receiver.wait_for(1)
        assert api.request("POST", f"/v1/product-videos/{task['id']}/deliveries").status == 202
        embedded.stack.pump()
        receiver.wait_for(2)
        # A receiver answering 500: the delivery worker queues the next attempt itself.
        receiver.status_code = 500
        assert api.request("POST", f"/v1/product-videos/{task['id']}/deliveries").status == 202
        embedded.stack.pump()
        receiver.wait_for(3)
    assert api.request("GET", "/v1/product-videos").status == 200
    assert api.request("GET", "/v1/product-videos", query="stuck_for_minutes=30").status == 200
    assert api.request("GET", "/v1/credits").status == 200
    assert api.request("GET", "/v1/avatars").status == 200
    for action, body in (("video", {}), ("regenerate", {}), ("reject", {"reason": "upside down"})):
        preview = api.submit(simulator.sample_product_url("mug"), auto_video=False)
        api.run_until(preview["id"], "image_generated")
        answer = api.request("POST", f"/v1/product-videos/{preview['id']}/{action}", json_body=body)
        assert answer.status in (200, 201, 202), (action, answer.body)
        embedded.stack.pump()
    # Creatify answers a paid call 429 on every attempt: the worker gives the claim and the credits back
    # and puts the job back on the queue.
    simulator.set_faults(error_queue=[429] * 3)
    api.submit(simulator.sample_product_url())
    embedded.stack.pump()


def _shops(embedded: Any) -> None:
    api = TenantApi.create(embedded, name="Shop owner")
    shop = Shop(api, "shopify", SHOP, SHOPIFY_SECRET)
    path = f"/v1/shop-connections/{shop.connection['id']}"
    assert api.request("GET", "/v1/shop-connections").status == 200
    assert api.request("GET", path).status == 200
    assert api.request("PATCH", path, json_body={"webhook_secret": SHOPIFY_SECRET + "2"}).status == 200
    shop.secret = SHOPIFY_SECRET + "2"
    # A product with no image waits for its first one; the update that brings it removes the mark.
    product = shopify_product()
    bare = {**product, "id": 4141, "images": [], "image": None}
    with_image = {**bare, "images": product["images"][:1]}
    assert shop.send(bare).json() == {"result": HookOutcome.AWAITING_IMAGE.value}
    assert shop.send(with_image, "products/update").json() == {"result": HookOutcome.CREATED.value}
    partner = LocalFunction.from_code("ShopEventsFunction", REPO / "functions" / "shop_events")
    sample = json.loads((EVENTS_DIR / "shop_events_shopify_products_create.json").read_text())
    sample["detail"]["metadata"]["X-Shopify-Shop-Domain"] = SHOP
    for topic, payload, outcome in (
        ("products/create", {**bare, "id": 4242}, HookOutcome.AWAITING_IMAGE),
        ("products/update", {**with_image, "id": 4242}, HookOutcome.CREATED),
    ):
        sample["detail"]["metadata"]["X-Shopify-Topic"] = topic
        sample["detail"]["metadata"]["X-Shopify-Webhook-Id"] = f"{topic}-4242"
        sample["detail"]["payload"] = payload
        assert partner.invoke(sample) == {"result": outcome.value}
    embedded.stack.pump()
    assert api.request("DELETE", path).status in (200, 204)


def _write_back(embedded: Any, shop: LocalShop) -> None:
    api = TenantApi.create(embedded, name="Write-back owner")
    with ReelayClient(embedded.api_url, api.tenant.api_key) as client:
        connect_local_shop(shop, client, write_back=True)
    product = shop.create_product("Trail Runner", images=1)
    assert shop.wait_for_deliveries(10)

    def task() -> dict[str, Any] | None:
        found = api.request("GET", "/v1/product-videos", query=f"product_id={product['id']}").json()["items"]
        return found[0] if found and found[0]["status"] == "video_generated" else None

    embedded.stack.pump(until=lambda: task() is not None, timeout=30)
    generated = task() or {}  # the media worker archives its video, then it is published
    embedded.stack.pump(
        until=lambda: (api.get(generated["id"]).get("publication") or {}).get("state") == "published",
        timeout=30,
    )


def _reconciler(embedded: Any, simulator: CreatifySimulator) -> None:
    api = TenantApi.create(embedded)
    dropped = api.submit(simulator.sample_product_url())["id"]
    embedded.stack.pump()

    def finished() -> bool:
        embedded.stack.run_schedule("ReconcilerFunction")
        embedded.stack.pump()
        return api.status(dropped) == "video_generated"

    wait_for(finished, timeout=20, what="the reconciler to finish a task with no callbacks")
    lost = api.submit(simulator.sample_product_url())["id"]
    outbox = embedded.stack.stream_sources["TaskStreamFunction"]
    queue = embedded.deployed.queue_url("ProviderQueue")
    sqs = embedded.clients("sqs")

    def queued() -> bool:
        outbox.poll_once()
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"]) > 0

    wait_for(queued, what="the lost task's first job")
    sqs.purge_queue(QueueUrl=queue)
    # Lost once it has been due a second with no run.
    wait_for(
        lambda: embedded.stack.run_schedule("ReconcilerFunction")["jobs_requeued"],
        what="the reconciler to put the lost job back",
    )
    assert runtime().tasks.get(lost) is not None


def _cold_start(_function: str, _seconds: float) -> None:
    reset_runtime_caches()


@pytest.fixture(scope="module")
def seen() -> Iterator[dict[str, set[str]]]:
    """The IAM actions each function's code was seen to call, by logical id."""
    log = AwsCallLog().install()
    # Every function here shares one process, so one function's cached secret or client would
    # hide another's first call. Lambda gives each function instances of its own: after every
    # invocation the caches go, so each invocation starts as a cold one would.
    invocation_observers.append(_cold_start)
    try:
        _run_every_path()
    finally:
        invocation_observers.remove(_cold_start)
        log.uninstall()
    by_logical_id: dict[str, set[str]] = {}
    for name, actions in log.actions().items():
        # Each stack names a function `<stack>-<logical id>-<suffix>`; the partner-bus one is named
        # by its logical id here.
        (logical_id,) = [lid for lid in FUNCTIONS if lid in name.split("-")]
        by_logical_id.setdefault(logical_id, set()).update(actions)
    yield by_logical_id


@pytest.fixture(scope="module")
def allowed() -> dict[str, set[str]]:
    return _allowed_by_template()


def _covered(action: str, patterns: set[str]) -> bool:
    return any(fnmatch.fnmatchcase(action, pattern) for pattern in patterns)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_policy_grants_every_action_the_code_was_seen_to_call(function, seen, allowed):
    missing = {a for a in seen.get(function, set()) if not _covered(a, allowed[function])}

    assert missing == set()


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_policy_grants_nothing_the_code_was_not_seen_to_call_but_what_is_listed(function, seen, allowed):
    needed = seen.get(function, set()) | FOR_EVENT_SOURCES.get(function, set())
    unused = {
        pattern
        for pattern in allowed[function]
        if not any(fnmatch.fnmatchcase(action, pattern) for action in needed)
    }

    assert unused == NOT_SEEN_HERE.get(function, set())


def test_the_listed_exceptions_were_indeed_not_seen(seen):
    stale = {
        function: actions & seen.get(function, set())
        for function, actions in {**NOT_SEEN_HERE, **FOR_EVENT_SOURCES}.items()
        if actions & seen.get(function, set())
    }

    assert stale == {}
