"""Every sample event under events/ runs through its real handler on moto, as `sam local invoke` would.

The samples share one tenant (API key in the samples) and one task; that state is created
first, so each sample takes its real path rather than bouncing off "not found".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reelay.clients.creatify import CreatifyClient
from reelay.clients.creatify_credentials import CreatifyCredentials
from reelay.deps import runtime
from reelay.logic.connection_secrets import secret_context
from reelay.models.connection import Platform, ShopConnection
from reelay.models.task import Task
from reelay.models.tenant import Tenant
from reelay.models.upstream import GenImageRequest
from reelay.security.api_keys import hash_api_key
from reelay.security.webhook_signing import new_secret
from reelay_local.aws.embedded import EmbeddedStack
from reelay_local.aws.lambda_runtime import LocalFunction
from reelay_local.aws.template import load_template
from reelay_local.consumers.webhook_receiver import WebhookReceiver
from reelay_local.simulators.creatify import CreatifySimulator, SimulatorConfig
from tests.integration.pipeline import SIM_API_ID, SIM_API_KEY, RunningStack, stored, wait_for

REPO = Path(__file__).resolve().parents[2]
EVENTS_DIR = REPO / "events"
SAMPLE_API_KEY = "rly_sample-api-key-for-local-invokes-only"
SAMPLE_TENANT = "acme-shoes"
SAMPLE_TASK = "3f1c2b7e-8a4d-5c6f-9e0b-1a2b3c4d5e6f"

# Sample file name prefix -> the template's function.
FUNCTIONS = {
    "authorizer": "AuthorizerFunction",
    "api": "ApiFunction",
    "provider_webhook": "ProviderWebhookFunction",
    "task_stream": "TaskStreamFunction",
    "provider_worker": "ProviderWorkerFunction",
    "delivery_worker": "DeliveryWorkerFunction",
    "publish_worker": "PublishWorkerFunction",
    "media_worker": "MediaWorkerFunction",
    "reconciler": "ReconcilerFunction",
    "shop_webhook": "ShopWebhookFunction",
    "shop_events": "ShopEventsFunction",
}
# What a sample's API answer must be, given the state the fixture creates.
API_STATUS = {
    "api_submit": 201,
    "api_get": 200,
    "api_list": 200,
    "api_generate_video": 202,
    "provider_webhook": 200,
    "shop_webhook_shopify_products_create": 200,
    "shop_webhook_woocommerce_product_created": 200,
}
# The shop connections the shop samples are signed for (their secrets are for local invokes only).
SAMPLE_CONNECTIONS = (
    (
        "con_5a3f0c2e9b1d4e7a",
        Platform.SHOPIFY,
        "acme-shoes.myshopify.com",
        "shpss_sample-secret-for-local-invokes-only",
    ),
    (
        "con_8c1e6b2d0f4a9e3b",
        Platform.WOOCOMMERCE,
        "https://shop.acme-shoes.example",
        "wc_sample-secret-for-local-invokes-only",
    ),
)
SAMPLES = sorted(EVENTS_DIR.glob("*.json"))


def function_for(sample: Path) -> str:
    prefix = max((p for p in FUNCTIONS if sample.stem.startswith(p)), key=len, default=None)
    assert prefix, f"{sample.name} does not name a function"
    return FUNCTIONS[prefix]


@dataclass
class SampleWorld:
    embedded: EmbeddedStack
    receiver: WebhookReceiver


@pytest.fixture(scope="module")
def world() -> Iterator[SampleWorld]:
    with (
        CreatifySimulator(SimulatorConfig(image_seconds=0.2, video_seconds=0.3, seed=7)) as simulator,
        RunningStack(simulator) as embedded,
    ):
        deps = runtime()
        secret = new_secret()
        deps.tenants.create(
            Tenant(
                tenant_id=SAMPLE_TENANT,
                name="Acme Shoes",
                api_key_hash=hash_api_key(SAMPLE_API_KEY),
                webhook_secret=secret,
            )
        )
        with (
            WebhookReceiver(secret=secret) as receiver,
            CreatifyClient(
                CreatifyCredentials(SIM_API_ID, SIM_API_KEY), base_url=simulator.base_url
            ) as creatify,
        ):
            remote = creatify.gen_image(GenImageRequest(product_url=simulator.sample_product_url()))
            wait_for(lambda: simulator.task(str(remote.id))["status"] == "image_generated")
            deps.tasks.create(
                Task(
                    id=SAMPLE_TASK,
                    tenant_id=SAMPLE_TENANT,
                    status="image_generated",
                    product_url=simulator.sample_product_url(),
                    webhook_url=receiver.url,
                    auto_video=False,
                    provider_task_id=str(remote.id),
                    generated_photo_url=simulator.task(str(remote.id))["generated_photo_url"],
                ),
                stays_open=False,
            )
            for connection_id, platform, shop, shop_secret in SAMPLE_CONNECTIONS:
                deps.connections.create(
                    ShopConnection(
                        id=connection_id,
                        tenant_id=SAMPLE_TENANT,
                        platform=platform,
                        shop=shop,
                        sealed_secret=deps.secret_box.seal(
                            shop_secret, secret_context(SAMPLE_TENANT, connection_id)
                        ),
                    )
                )
            yield SampleWorld(embedded, receiver)


def test_every_function_in_the_template_has_a_sample_event():
    functions = {
        k for k, v in load_template()["Resources"].items() if v["Type"] == "AWS::Serverless::Function"
    }

    assert functions == set(FUNCTIONS.values())
    assert {function_for(sample) for sample in SAMPLES} == functions


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.stem for s in SAMPLES])
def test_the_sample_event_runs_through_its_real_handler(world, sample):
    event: dict[str, Any] = json.loads(sample.read_text())
    if sample.stem == "provider_webhook":
        # The sample's signature was made with another deployment's key: sign it with this one's.
        sig = runtime().callback_signer.sign(SAMPLE_TASK)
        event["queryStringParameters"]["sig"] = sig
        event["multiValueQueryStringParameters"]["sig"] = [sig]

    function = world.embedded.stack.functions.get(function_for(sample))
    if function is None:
        # Its Condition (an optional template parameter) left it out of the local stack.
        function = LocalFunction.from_code(function_for(sample), REPO / "functions" / "shop_events")
    answer = function.invoke(event)

    if sample.stem in API_STATUS:
        assert answer["statusCode"] == API_STATUS[sample.stem], answer["body"]
        if sample.stem.startswith("shop_webhook"):
            # The partner-bus sample may have taken the same product first.
            assert json.loads(answer["body"])["result"] in ("created", "duplicate")
    elif sample.stem == "authorizer":
        assert answer["principalId"] == SAMPLE_TENANT
        assert answer["context"] == {"tenant_id": SAMPLE_TENANT}
        assert {s["Effect"] for s in answer["policyDocument"]["Statement"]} == {"Allow"}
        # Cached per key for every route: every method and resource of the request's stage.
        resources = [r for s in answer["policyDocument"]["Statement"] for r in s["Resource"]]
        assert resources == ["arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/dev/*/*"]
    elif sample.stem == "reconciler":
        assert answer["errors"] == []
    elif sample.stem.startswith("shop_events"):
        assert answer["result"] in ("created", "duplicate")
    else:
        assert answer == {"batchItemFailures": []}
    if sample.stem == "media_worker":
        assert stored(SAMPLE_TASK).archive["photo"].state.value == "archived"
    if sample.stem == "delivery_worker":
        (delivery,) = world.receiver.wait_for(1)
        assert delivery.verified
        assert stored(SAMPLE_TASK).last_delivery["result"] == "delivered"
