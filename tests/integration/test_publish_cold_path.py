"""A publish worker's first invocation, end to end in a fresh process, never imports pydantic.

`bench/cold_start.py` times a function's init and the clients its first path builds; this makes
the whole first invocation for real: a fresh interpreter handles one SQS record of the first
PublishJob against moto's server on 127.0.0.1 and the local Shopify shop. It claims the task's
publication, reads the shop connection, opens its admin token with KMS, reads the archived
video from S3, uploads it to the shop's staged target, attaches it to the product and records
the publication. Then it lists what it imported. The shop connection is a plain record
(reelay.models.connection) and the API's connection models live apart
(reelay.models.connection_api) precisely so this path pays no pydantic (about a fifth of the
baseline to import, more with its models); a change that brings it back fails here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reelay.clients.kms_secret_box import KmsSecretBox
from reelay.dal.connections import ConnectionRepository
from reelay.dal.tasks import TaskRepository
from reelay.logic.connection_secrets import secret_context
from reelay.models.connection import Platform, ShopConnection
from reelay.models.jobs import PublishJob
from reelay.models.media import ArchivedFile, Publication
from reelay.models.media_states import ArchiveState, PublicationState
from reelay.models.task import ExternalRef, Task
from reelay_local.aws.moto_server import MotoServer
from reelay_local.aws.template import load_template, table_create_kwargs
from reelay_local.commands.local_shop import admin_override
from reelay_local.simulators.shop import LocalShop, ShopConfig
from tests.integration.first_invocation import first_invocation

TABLE = "reelay-cold-publish"
BUCKET = "reelay-cold-media"
TOKEN = "shpat_" + "c0" * 16
VIDEO = b"\0\0\0\x18ftypmp42" + b"\1" * 4096
VIDEO_KEY = "tasks/t-cold/video.mp4"


@pytest.fixture
def shop() -> Iterator[LocalShop]:
    config = ShopConfig(image_size=64, media_processing_seconds=0, admin_access_token=TOKEN)
    with LocalShop(config) as running:
        yield running


def test_a_publish_workers_first_invocation_puts_the_video_on_the_product_without_pydantic(
    moto_server: MotoServer, shop: LocalShop
) -> None:
    dynamodb = moto_server.clients("dynamodb")
    dynamodb.create_table(**table_create_kwargs(load_template(), table_name=TABLE))
    s3 = moto_server.clients("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=VIDEO_KEY, Body=VIDEO, ContentType="video/mp4")
    key_id = moto_server.clients("kms").create_key()["KeyMetadata"]["KeyId"]
    queue = moto_server.clients("sqs").create_queue(QueueName="reelay-cold-publish")["QueueUrl"]

    product = shop.create_product("Trail Runner", images=1)
    box = KmsSecretBox(key_id, kms=moto_server.clients("kms"))
    context = secret_context("acme", "con_cold")
    ConnectionRepository(TABLE, client=dynamodb).create(
        ShopConnection(
            id="con_cold",
            tenant_id="acme",
            platform=Platform.SHOPIFY,
            shop=shop.config.shop_domain,
            sealed_secret=box.seal("hook-secret", context),
            sealed_admin_access_token=box.seal(TOKEN, context),
            write_back=True,
        )
    )
    tasks = TaskRepository(TABLE, client=dynamodb)
    tasks.create(
        Task(
            id="t-cold",
            tenant_id="acme",
            status="video_generated",
            product_url="https://cdn.example.com/p.png",
            generated_video_url="https://cdn.example.com/v.mp4",
            external_ref=ExternalRef(source="shopify", shop=shop.config.shop_domain, title="Trail Runner"),
            archive={
                "video": ArchivedFile(
                    state=ArchiveState.ARCHIVED, key=VIDEO_KEY, bytes=len(VIDEO), content_type="video/mp4"
                )
            },
            publication=Publication(
                platform="shopify", connection_id="con_cold", product_id=str(product["id"])
            ),
        ),
        stays_open=False,
    )
    record = {
        "messageId": "m-1",
        "body": PublishJob(task_id="t-cold").to_json(),
        "attributes": {"ApproximateReceiveCount": "1"},
    }
    settings = {
        "TABLE_NAME": TABLE,
        "MEDIA_BUCKET": BUCKET,
        "PUBLISH_QUEUE_URL": queue,
        "SHOP_SECRETS_KEY_ID": key_id,
        # The local shop listens on 127.0.0.1, as the embedded stack allows.
        "REELAY_ALLOW_LOOPBACK_WEBHOOKS": "true",
        **admin_override(shop),
    }
    seen = first_invocation("publish_worker", {"Records": [record]}, moto_server, settings)

    assert seen["answer"] == {"batchItemFailures": []}
    stored = tasks.get("t-cold")
    assert stored is not None and stored.publication is not None
    assert stored.publication.state is PublicationState.PUBLISHED, stored.publication.reason
    assert shop.admin is not None
    [video] = shop.admin.product_videos(product["id"])
    assert video.data == VIDEO
    assert stored.publication.media_id == video.gid
    assert seen["pydantic"] == []
    assert seen["pydantic_importers"] == []
