"""The operator's AWS-credential commands against the deployed template (moto): dead letters
listed and redriven without loss, tenants listed, keys rotated and revoked, secrets rolled."""

from __future__ import annotations

import io
import json

import pytest

from reelay.models.jobs import PublishJob, PublishStage
from reelay_cli.cli import build_parser, main
from reelay_cli.dead_letters import redrive, stack_queues
from reelay_cli.operator_commands import QUEUE_NAMES
from reelay_local.aws.deploy import STACK_NAME
from reelay_local.consumers.webhook_receiver import WebhookReceiver
from tests.integration.pipeline import TenantApi, queue_depth, stored

AWS = ["--stack", STACK_NAME]


def run(capsys, *argv: str) -> tuple[int, str]:
    """The command as `reelay` parses and runs it, its output apart from the functions' log lines."""
    args = build_parser(plugins=[]).parse_args(list(argv))
    out = io.StringIO()
    code = args.handler(args, out)
    return code, out.getvalue()


def _kill_into_dead_letters(embedded, source: str, dead: str) -> list[dict]:
    """Move every message of `source` to `dead`, as SQS does after maxReceiveCount failed receives."""
    sqs = embedded.clients("sqs")
    moved = []
    while messages := sqs.receive_message(
        QueueUrl=embedded.deployed.queue_url(source), MaxNumberOfMessages=10
    ).get("Messages"):
        for message in messages:
            sqs.send_message(QueueUrl=embedded.deployed.queue_url(dead), MessageBody=message["Body"])
            sqs.delete_message(
                QueueUrl=embedded.deployed.queue_url(source), ReceiptHandle=message["ReceiptHandle"]
            )
            moved.append(json.loads(message["Body"]))
    return moved


def test_a_provider_job_in_the_dead_letter_queue_is_listed_redriven_and_the_task_finishes(
    embedded, simulator, capsys
):
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url())["id"]
    embedded.stack.stream_sources["TaskStreamFunction"].poll_once()  # INSERT -> gen_image queued
    (job,) = _kill_into_dead_letters(embedded, "ProviderQueue", "ProviderDeadLetterQueue")
    assert job["kind"] == "gen_image"

    code, listed = run(capsys, "dlq", "list", "--queue", "provider", "--json", *AWS)
    assert code == 0
    (letter,) = json.loads(listed)["provider"]
    assert (letter["kind"], letter["task_id"], letter["receive_count"]) == ("gen_image", task_id, 0)
    assert letter["age_seconds"] >= 0
    # Listing leaves the message where it was, visible.
    assert queue_depth(embedded, "ProviderDeadLetterQueue")["Messages"] == 1

    code, moved = run(capsys, "dlq", "redrive", "--queue", "provider", *AWS)
    assert code == 0 and "moved 1 message(s)" in moved and task_id in moved

    assert queue_depth(embedded, "ProviderDeadLetterQueue")["Messages"] == 0
    assert api.run_until(task_id)["status"] == "video_generated"


def test_a_delivery_redriven_from_the_dead_letter_queue_arrives_with_its_event_id(embedded, simulator):
    api = TenantApi.create(embedded)
    with WebhookReceiver() as receiver:
        # The delivery worker is away while the task runs: its delivery waits in the queue.
        worker = embedded.stack.sqs_sources.pop("DeliveryWorkerFunction")
        task_id = api.submit(simulator.sample_product_url(), webhook_url=receiver.url)["id"]
        api.run_until(task_id)
        (job,) = _kill_into_dead_letters(embedded, "DeliveryQueue", "DeliveryDeadLetterQueue")
        embedded.stack.sqs_sources["DeliveryWorkerFunction"] = worker
        assert receiver.received == []

        result = redrive(embedded.clients("sqs"), embedded.deployed.queue_url("DeliveryDeadLetterQueue"))
        embedded.stack.pump()
        (received,) = receiver.wait_for(1)

    assert [letter.kind for letter in result.moved] == ["delivery"]
    assert received.headers["webhook-id"] == job["event_id"]
    assert stored(task_id).last_delivery["result"] == "delivered"


def test_redrive_takes_only_the_named_tasks_and_leaves_the_rest_visible(embedded, simulator):
    api = TenantApi.create(embedded)
    first = api.submit(simulator.sample_product_url())["id"]
    second = api.submit(simulator.sample_product_url())["id"]
    embedded.stack.stream_sources["TaskStreamFunction"].poll_once()
    _kill_into_dead_letters(embedded, "ProviderQueue", "ProviderDeadLetterQueue")

    result = redrive(
        embedded.clients("sqs"), embedded.deployed.queue_url("ProviderDeadLetterQueue"), task_ids={second}
    )

    assert [letter.task_id for letter in result.moved] == [second]
    assert [letter.task_id for letter in result.left] == [first]
    assert queue_depth(embedded, "ProviderDeadLetterQueue")["Messages"] == 1
    assert queue_depth(embedded, "ProviderQueue")["Messages"] == 1


def test_a_crash_between_send_and_delete_repeats_a_message_and_never_loses_it(embedded, simulator):
    api = TenantApi.create(embedded)
    api.submit(simulator.sample_product_url())
    embedded.stack.stream_sources["TaskStreamFunction"].poll_once()
    _kill_into_dead_letters(embedded, "ProviderQueue", "ProviderDeadLetterQueue")
    sqs = embedded.clients("sqs")

    def crash(**_: object) -> None:
        raise ConnectionError("the operator's laptop lost the network")

    sqs.meta.events.register("before-call.sqs.DeleteMessage", crash)
    try:
        with pytest.raises(ConnectionError):
            redrive(sqs, embedded.deployed.queue_url("ProviderDeadLetterQueue"))
    finally:
        sqs.meta.events.unregister("before-call.sqs.DeleteMessage", crash)

    # Sent back, and still in the dead-letter queue (hidden until the hold ends): a later
    # redrive repeats it, which the provider job's claim makes harmless.
    assert queue_depth(embedded, "ProviderQueue")["Messages"] == 1
    assert queue_depth(embedded, "ProviderDeadLetterQueue")["MessagesNotVisible"] == 1


def test_a_publish_job_in_the_dead_letter_queue_is_listed_and_redriven_to_the_publish_queue(embedded, capsys):
    dead = stack_queues(embedded.clients, STACK_NAME)["publish"]
    body = PublishJob(task_id="task-9", stage=PublishStage.CHECK, claim=2, media_id="gid://shopify/Video/1")
    embedded.clients("sqs").send_message(QueueUrl=dead, MessageBody=body.to_json())

    code, listed = run(capsys, "dlq", "list", "--queue", "publish", "--json", *AWS)
    assert code == 0
    (letter,) = json.loads(listed)["publish"]
    assert (letter["kind"], letter["task_id"], letter["detail"]) == ("publish check", "task-9", "claim 2")

    code, _ = run(capsys, "dlq", "redrive", "--queue", "publish", *AWS)
    assert code == 0
    queue = embedded.deployed.queue_url("PublishQueue")
    (message,) = embedded.clients("sqs").receive_message(QueueUrl=queue)["Messages"]
    assert PublishJob.from_json(message["Body"]) == body


def test_the_stream_failure_queue_is_listed_and_its_redrive_is_refused_with_the_reason(embedded, capsys):
    url = stack_queues(embedded.clients, STACK_NAME)["stream"]
    embedded.clients("sqs").send_message(
        QueueUrl=url,
        MessageBody=json.dumps(
            {
                "requestContext": {"condition": "RetryAttemptsExhausted"},
                "DDBStreamBatchInfo": {
                    "shardId": "shard-1",
                    "startSequenceNumber": "100",
                    "endSequenceNumber": "100",
                    "batchSize": 1,
                },
            }
        ),
    )

    code, listed = run(capsys, "dlq", "list", *AWS)
    assert code == 0
    assert "stream (StreamFailureQueue): 1 message(s)" in listed
    assert "shard shard-1 records 100..100 (1) RetryAttemptsExhausted" in listed
    assert all(f"{name} (" in listed for name in QUEUE_NAMES)

    with pytest.raises(Exception, match="no queue's dead-letter queue"):
        redrive(embedded.clients("sqs"), url)
    assert queue_depth(embedded, "StreamFailureQueue")["Messages"] == 1


def _status(embedded, key: str) -> int:
    headers = {"Authorization": f"Bearer {key}"}
    return embedded.stack.api_request("GET", "/v1/product-videos", headers=headers).status


def test_tenants_are_listed_rotated_revoked_and_rolled_from_the_command_line(embedded, capsys):
    api = TenantApi.create(embedded, name="Acme Shoes")

    code, listed = run(capsys, "tenant", "list", *AWS)
    assert code == 0 and api.tenant_id in listed and "Acme Shoes" in listed
    assert api.tenant.webhook_secret not in listed

    code, rotated = run(capsys, "tenant", "rotate-key", api.tenant_id, "--overlap-hours", "1", "--json", *AWS)
    assert code == 0
    new_key = json.loads(rotated)["api_key"]
    assert [_status(embedded, key) for key in (api.tenant.api_key, new_key)] == [200, 200]

    code, _ = run(capsys, "tenant", "revoke-key", api.tenant_id, *AWS)
    assert code == 0
    assert [_status(embedded, key) for key in (api.tenant.api_key, new_key)] == [401, 401]

    code, issued = run(capsys, "tenant", "rotate-key", api.tenant_id, *AWS)
    assert code == 0 and "stops working at now (no overlap)" in issued
    fresh = issued.splitlines()[1].strip()
    assert [_status(embedded, key) for key in (new_key, fresh)] == [401, 200]

    code, rolled = run(capsys, "tenant", "roll-secret", api.tenant_id, "--json", *AWS)
    answer = json.loads(rolled)
    assert answer["webhook_secret"].startswith("whsec_") and answer["previous_secret_signs_until"]


def test_an_unknown_tenant_is_an_error_message_not_a_traceback(embedded, capsys):
    code = main(["tenant", "rotate-key", "ghost", *AWS], plugins=[])
    assert code == 1
    assert "tenant ghost not found" in capsys.readouterr().err
