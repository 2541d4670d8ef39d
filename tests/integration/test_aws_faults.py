"""AWS faults are retried and lose nothing; what outlasts the retries is finished by redelivery.

Each fault is answered on the runtime's own boto3 client by a botocore hook (tests/integration/
aws_faults.py), since moto never throttles or refuses; the retries, the handlers and the local
event sources are the real ones. "Nothing lost" is read where a consumer reads it: the queues
behind the bus and the topic, the webhook receiver, the simulator's paid calls, the task table.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from reelay.clients.aws import TOTAL_ATTEMPTS
from reelay.deps import runtime
from reelay.models.events import event_id
from reelay_local.consumers.webhook_receiver import WebhookReceiver
from tests.integration.aws_faults import (
    AwsFaults,
    entries_refused,
    json_error,
    query_error,
    transaction_cancelled,
)
from tests.integration.pipeline import (
    TenantApi,
    announcing,
    stored,
    stream_records,
    successful_provider_calls,
)

# The first attempt and every retry of one AWS call.
ONE_CALL = TOTAL_ATTEMPTS
TASK_STREAM = "TaskStreamFunction"


@pytest.fixture
def faults(embedded) -> Iterator[AwsFaults]:
    injected = AwsFaults()
    yield injected
    injected.clear()


def event_ids(messages: list[dict[str, Any]]) -> Counter[str]:
    return Counter(message["detail"]["event_id"] for message in messages)


def note_ids(notes: list[dict[str, Any]]) -> Counter[str]:
    return Counter(json.loads(note["Message"])["event_id"] for note in notes)


def finish_with_webhook(api: TenantApi, simulator, **submit: Any) -> tuple[dict[str, Any], list[Any]]:
    """Submit, run the task to its end, and what its webhook receiver got."""
    with WebhookReceiver(secret=api.tenant.webhook_secret) as receiver:
        task = api.submit(simulator.sample_product_url(), webhook_url=receiver.url, **submit)
        done = api.run_until(task["id"])
        receiver.wait_for(1)
        api.embedded.stack.pump()  # anything more that would come (a repeat) comes now
        return done, list(receiver.received)


def test_putevents_entries_refused_in_a_200_are_sent_again_and_arrive_once(embedded, simulator, faults):
    refused = faults.inject("events", "PutEvents", entries_refused("ThrottlingException"), times=2)
    api = TenantApi.create(embedded)

    done, webhooks = finish_with_webhook(api, simulator)

    assert done["status"] == "video_generated"
    assert refused.answered == 2
    expected = event_id(done["id"], "video_generated")
    assert event_ids(embedded.consumers.events()) == {expected: 1}
    assert note_ids(embedded.consumers.notifications()) == {expected: 1}
    assert [w.headers["webhook-id"] for w in webhooks] == [expected]


def test_a_throttled_sns_publish_is_retried_and_the_message_arrives_once(embedded, simulator, faults):
    throttled = faults.inject("sns", "PublishBatch", query_error("Throttling"), times=2)
    api = TenantApi.create(embedded)

    done, webhooks = finish_with_webhook(api, simulator)

    assert throttled.answered == 2
    expected = event_id(done["id"], "video_generated")
    assert note_ids(embedded.consumers.notifications()) == {expected: 1}
    assert event_ids(embedded.consumers.events()) == {expected: 1}
    assert len(webhooks) == 1


def test_an_sns_publish_failing_past_every_retry_is_finished_by_the_stream_with_the_same_event_id(
    embedded, simulator, faults
):
    # The first delivery of the record spends all its attempts on an SNS error; the stream hands
    # the record back and the next delivery gets through on its second attempt.
    failing = faults.inject(
        "sns", "PublishBatch", query_error("InternalError", status=500), times=ONE_CALL + 1
    )
    api = TenantApi.create(embedded)

    done, webhooks = finish_with_webhook(api, simulator)

    assert done["status"] == "video_generated"
    assert failing.answered == ONE_CALL + 1
    expected = event_id(done["id"], "video_generated")
    # Nothing lost, and the one repeat is the step before the failing one: EventBridge took
    # the event on the first delivery and again on the retry, both times with the same id.
    assert note_ids(embedded.consumers.notifications()) == {expected: 1}
    assert event_ids(embedded.consumers.events()) == {expected: 2}
    assert [w.headers["webhook-id"] for w in webhooks] == [expected]
    assert _failure_queue_is_empty(embedded)


def test_putevents_refused_past_every_retry_is_finished_by_the_stream_and_repeats_nothing(
    embedded, simulator, faults
):
    # EventBridge is the first step of an announcement, so its failure leaves nothing to repeat.
    # A refusal inside a 200 is not botocore's to retry: the publisher makes its own attempts.
    attempts = runtime().publisher.max_attempts
    refused = faults.inject("events", "PutEvents", entries_refused("InternalFailure"), times=attempts + 1)
    api = TenantApi.create(embedded)

    done, webhooks = finish_with_webhook(api, simulator)

    assert refused.answered == attempts + 1
    expected = event_id(done["id"], "video_generated")
    assert event_ids(embedded.consumers.events()) == {expected: 1}
    assert note_ids(embedded.consumers.notifications()) == {expected: 1}
    assert [w.headers["webhook-id"] for w in webhooks] == [expected]


def test_throttled_dynamodb_writes_are_retried_and_every_state_is_written(embedded, simulator, faults):
    api = TenantApi.create(embedded)
    put = faults.inject("dynamodb", "PutItem", json_error("ProvisionedThroughputExceededException"), times=2)
    update = faults.inject("dynamodb", "UpdateItem", json_error("ThrottlingException"), times=3)
    get = faults.inject("dynamodb", "GetItem", json_error("RequestLimitExceeded"), times=2)

    task = api.submit(simulator.sample_product_url())
    done = api.run_until(task["id"])

    assert (put.answered, update.answered, get.answered) == (2, 3, 2)
    assert done["status"] == "video_generated"
    assert stored(task["id"]).generated_video_url == done["generated_video_url"]
    assert len(successful_provider_calls(simulator, "gen_image")) == 1
    assert len(successful_provider_calls(simulator, "gen_video")) == 1
    assert event_ids(embedded.consumers.events()) == {event_id(task["id"], "video_generated"): 1}


def test_a_write_meeting_a_transaction_on_its_item_is_retried(embedded, simulator, faults):
    # DynamoDB's TransactionConflictException, which botocore's standard mode does not retry; an
    # API call has no redelivery behind it, so without the retry the caller would get a 5xx.
    api = TenantApi.create(embedded)
    conflict = faults.inject("dynamodb", "PutItem", json_error("TransactionConflictException"), times=2)

    task = api.submit(simulator.sample_product_url())

    assert conflict.answered == 2
    assert stored(task["id"]).status.value == "initializing"
    assert api.run_until(task["id"])["status"] == "video_generated"


def test_a_transaction_cancelled_for_a_conflict_is_sent_again_not_read_as_a_refusal(embedded, faults):
    api = TenantApi.create(embedded)
    conflict = faults.inject(
        "dynamodb", "TransactWriteItems", transaction_cancelled("None", "TransactionConflict"), times=2
    )

    answer = api.request(
        "POST",
        "/v1/shop-connections",
        json_body={"platform": "shopify", "shop": "acme.myshopify.com", "webhook_secret": "s" * 32},
    )

    assert conflict.answered == 2
    assert answer.status == 201, answer.body
    again = api.request(
        "POST",
        "/v1/shop-connections",
        json_body={"platform": "shopify", "shop": "acme.myshopify.com", "webhook_secret": "s" * 32},
    )
    assert again.status == 409  # a real refusal is still one


def test_an_sqs_send_failure_is_retried_and_each_job_reaches_its_queue(embedded, simulator, faults):
    failing = faults.inject("sqs", "SendMessageBatch", json_error("ServiceUnavailable", status=503), times=3)
    api = TenantApi.create(embedded)

    done, webhooks = finish_with_webhook(api, simulator)

    assert failing.answered == 3
    assert done["status"] == "video_generated"
    assert len(successful_provider_calls(simulator, "gen_image")) == 1
    assert [w.headers["webhook-id"] for w in webhooks] == [event_id(done["id"], "video_generated")]


def test_a_provider_job_send_failing_past_every_retry_is_queued_by_the_stream_retry(
    embedded, simulator, faults
):
    failing = faults.inject("sqs", "SendMessageBatch", json_error("KmsThrottled"), times=ONE_CALL + 1)
    api = TenantApi.create(embedded)

    task = api.submit(simulator.sample_product_url())
    done = api.run_until(task["id"])

    assert failing.answered == ONE_CALL + 1
    assert done["status"] == "video_generated"
    assert len(successful_provider_calls(simulator, "gen_image")) == 1
    assert event_ids(embedded.consumers.events()) == {event_id(task["id"], "video_generated"): 1}


def _failure_queue_is_empty(embedded) -> bool:
    url = embedded.deployed.queue_url("StreamFailureQueue")
    return not embedded.clients("sqs").receive_message(QueueUrl=url).get("Messages")


def test_a_send_failing_past_its_retries_hands_the_batch_back_from_its_record_and_loses_nothing(
    embedded, simulator, faults
):
    api = TenantApi.create(embedded)
    first, second = (api.submit(simulator.sample_product_url())["id"] for _ in range(2))
    api.run_until(first)
    api.run_until(second)
    embedded.consumers.events(), embedded.consumers.notifications()
    records = stream_records(embedded, TASK_STREAM)
    # The records that announce each video: the ones settling its archive (the announcement waits).
    batch = [announcing(records, first), announcing(records, second)]
    stream = embedded.stack.functions[TASK_STREAM]
    # The batch's notifications go in one PublishBatch, after its events went in one PutEvents.
    faults.inject("sns", "PublishBatch", query_error("InternalError", status=500), times=ONE_CALL)

    failed = stream.invoke({"Records": batch})
    events_before_retry = event_ids(embedded.consumers.events())
    notes_before_retry = note_ids(embedded.consumers.notifications())
    retried = stream.invoke({"Records": batch})  # Lambda hands back the batch from the failed record

    first_id, second_id = event_id(first, "video_generated"), event_id(second, "video_generated")
    assert failed == {"batchItemFailures": [{"itemIdentifier": batch[0]["dynamodb"]["SequenceNumber"]}]}
    # The events went out with the first call; no notification did, and nothing after them.
    assert events_before_retry == {first_id: 1, second_id: 1}
    assert notes_before_retry == {}
    assert retried == {"batchItemFailures": []}
    # The retry repeats the events with their ids (consumers dedupe on them) and loses nothing.
    assert event_ids(embedded.consumers.events()) == {first_id: 1, second_id: 1}
    assert note_ids(embedded.consumers.notifications()) == {first_id: 1, second_id: 1}


def test_a_batch_is_handed_back_before_the_function_runs_out_of_time_and_nothing_repeats(embedded, simulator):
    api = TenantApi.create(embedded)
    first, second = (api.submit(simulator.sample_product_url())["id"] for _ in range(2))
    api.run_until(first)
    api.run_until(second)
    embedded.consumers.events()
    records = stream_records(embedded, TASK_STREAM)
    # The records that announce each video: the ones settling its archive (the announcement waits).
    batch = [announcing(records, first), announcing(records, second)]
    # The first record is always handled; the next one only with time enough left for it.
    function = embedded.stack.functions[TASK_STREAM]
    budget_ms = sys.modules[function.handler.__module__].RECORD_TIME_BUDGET_MS
    short_of_time = dataclasses.replace(function, timeout_seconds=budget_ms / 1000 - 1)

    answer = short_of_time.invoke({"Records": batch})

    assert answer == {"batchItemFailures": [{"itemIdentifier": batch[1]["dynamodb"]["SequenceNumber"]}]}
    assert event_ids(embedded.consumers.events()) == {event_id(first, "video_generated"): 1}


def test_a_delivery_whose_record_is_throttled_past_every_retry_is_redone_by_sqs_with_the_same_webhook_id(
    embedded, simulator, faults
):
    # The webhook went out, then writing down that it did failed: the job's message comes back
    # and the webhook is sent again. At least once: the receiver dedupes on webhook-id.
    api = TenantApi.create(embedded)
    throttled = faults.inject(
        "dynamodb",
        "UpdateItem",
        json_error("ProvisionedThroughputExceededException"),
        times=ONE_CALL,
        when=lambda request: b"delivery_attempts" in request.body,
    )

    with WebhookReceiver(secret=api.tenant.webhook_secret) as receiver:
        done = api.run_until(api.submit(simulator.sample_product_url(), webhook_url=receiver.url)["id"])
        # The message comes back after its visibility timeout (1 s in the local stack).
        embedded.stack.pump(until=lambda: len(receiver.received) >= 2, timeout=20)
        embedded.stack.pump()
        webhooks = list(receiver.received)

    assert throttled.answered == ONE_CALL
    expected = event_id(done["id"], "video_generated")
    assert [w.headers["webhook-id"] for w in webhooks] == [expected, expected]
    assert all(w.verified for w in webhooks)
    assert stored(done["id"]).delivery_attempts == 1
    assert event_ids(embedded.consumers.events()) == {expected: 1}


def test_dynamodb_throttled_past_every_retry_answers_a_503_to_retry_and_the_retry_makes_one_task(
    embedded, simulator, faults
):
    api = TenantApi.create(embedded)
    body = {"product_url": simulator.sample_product_url()}
    key = {"Idempotency-Key": "sku-1001"}
    throttled = faults.inject(
        "dynamodb", "PutItem", json_error("ProvisionedThroughputExceededException"), times=ONE_CALL
    )

    busy = api.request("POST", "/v1/product-videos", json_body=body, headers=key)
    again = api.request("POST", "/v1/product-videos", json_body=body, headers=key)

    assert throttled.answered == ONE_CALL
    assert busy.status == 503
    assert busy.json() == {
        "error": {"code": "temporarily_unavailable", "message": "the service is busy; try again shortly"}
    }
    assert busy.headers["Retry-After"] == "2"
    assert again.status == 201, again.body
    listed = api.request("GET", "/v1/product-videos").json()["items"]
    assert [task["id"] for task in listed] == [again.json()["id"]]
