"""The outbox keeps moving: one bad record is isolated, never allowed to hold back the shard."""

from __future__ import annotations

from reelay.deps import runtime
from tests.integration.pipeline import (
    TenantApi,
    announcing,
    detail_types,
    stored,
    stream_records,
    wait_for,
)

TASK_STREAM = "TaskStreamFunction"


def _key(record) -> str:
    return record["dynamodb"]["Keys"]["pk"]["S"]


def _stream_records(embedded):
    return stream_records(embedded, TASK_STREAM)


def test_an_unreadable_task_image_is_passed_over_and_later_tasks_still_flow(embedded, simulator):
    table = runtime().settings.table_name
    embedded.clients("dynamodb").put_item(
        TableName=table,
        Item={
            "pk": {"S": "TASK#broken"},
            "sk": {"S": "TASK"},
            "entity": {"S": "task"},
            "id": {"S": "broken"},
            "status": {"S": "not-a-status"},
        },
    )
    api = TenantApi.create(embedded)
    task_id = api.submit(simulator.sample_product_url())["id"]

    done = api.run_until(task_id)

    assert done["status"] == "video_generated"
    # Retrying could never make it readable: it was passed over, not failed into the
    # on-failure queue after a round of pointless retries.
    failure_queue = embedded.deployed.queue_url("StreamFailureQueue")
    assert embedded.clients("sqs").receive_message(QueueUrl=failure_queue).get("Messages") is None


def test_a_failing_record_is_reported_alone_and_the_rest_of_the_batch_is_dispatched(embedded, simulator):
    api = TenantApi.create(embedded)
    first = api.submit(simulator.sample_product_url())["id"]
    api.run_until(first)
    embedded.consumers.events()
    second = api.submit(simulator.sample_product_url())["id"]
    records = _stream_records(embedded)
    insert_of_second = next(
        r
        for r in records
        if r["eventName"] == "INSERT" and r["dynamodb"]["Keys"]["pk"]["S"] == f"TASK#{second}"
    )
    # The first task's video is announced by the record that settles its archive.
    finished_first = [announcing(records, first)]
    # The provider queue is gone, so queueing the second task's gen_image fails; announcing the
    # first task's video needs only the bus, the topic and the delivery queue.
    embedded.clients("sqs").delete_queue(QueueUrl=embedded.deployed.queue_url("ProviderQueue"))

    answer = embedded.stack.functions[TASK_STREAM].invoke({"Records": [*finished_first, insert_of_second]})

    assert answer == {
        "batchItemFailures": [{"itemIdentifier": insert_of_second["dynamodb"]["SequenceNumber"]}]
    }
    assert detail_types(embedded.consumers.events()) == ["Product Video Generated"]
    assert stored(second).status.value == "initializing"


def test_the_template_gives_up_on_a_poison_record_after_bounded_retries_and_keeps_it(embedded):
    mapping = next(s for s in embedded.deployed.event_sources if s.function_logical_id == TASK_STREAM)
    failure_queue_arn = embedded.clients("sqs").get_queue_attributes(
        QueueUrl=embedded.deployed.queue_url("StreamFailureQueue"), AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]

    assert mapping.report_batch_item_failures
    assert mapping.maximum_retry_attempts is not None and 0 < mapping.maximum_retry_attempts <= 10
    assert mapping.on_failure_arn == failure_queue_arn


def test_the_local_stream_poller_moves_a_poison_record_to_the_failure_queue_and_goes_on(embedded, simulator):
    api = TenantApi.create(embedded)
    stuck = api.submit(simulator.sample_product_url())["id"]
    flowing = api.submit(simulator.sample_product_url())["id"]
    source = embedded.stack.stream_sources[TASK_STREAM]
    real_invoke = source.invoke

    def invoke(event):
        # The stuck task's INSERT fails every time; everything else is handled for real.
        for record in event["Records"]:
            if _key(record) == f"TASK#{stuck}" and record["eventName"] == "INSERT":
                return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
        return real_invoke(event)

    source.invoke = invoke

    done = api.run_until(flowing)

    assert done["status"] == "video_generated"
    assert stored(stuck).status.value == "initializing"
    failures = wait_for(
        lambda: (
            embedded.clients("sqs")
            .receive_message(QueueUrl=embedded.deployed.queue_url("StreamFailureQueue"))
            .get("Messages")
        ),
        what="the poison record's failure notice",
    )
    assert '"RetryAttemptsExhausted"' in failures[0]["Body"]
