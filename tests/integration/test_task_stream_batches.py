"""The task stream sends a batch's work in batches: every job, event and message arrives, in fewer calls.

Records are taken from moto's DynamoDB stream and handed to the task stream function as Lambda
hands a batch; what it sent is read from the queues, the bus's and the topic's consumers.
"""

from __future__ import annotations

from reelay.clients.event_publisher import EventPublisher
from reelay.clients.job_queue import JobQueue
from reelay.deps import runtime
from reelay.models.jobs import ProviderJob, ProviderJobKind
from tests.integration.pipeline import TenantApi, counted_calls, stream_records

TASK_STREAM = "TaskStreamFunction"


def queued(embedded, logical_id: str) -> list[str]:
    """The bodies waiting on a queue, read off it."""
    sqs, url, bodies = embedded.clients("sqs"), embedded.deployed.queue_url(logical_id), []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        bodies += [m["Body"] for m in messages]
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
    return bodies


def test_a_batch_of_new_tasks_queues_every_first_job_in_one_call(embedded, simulator):
    api = TenantApi.create(embedded)
    ids = [api.submit(simulator.sample_product_url())["id"] for _ in range(3)]
    inserts = [r for r in stream_records(embedded, TASK_STREAM) if r["eventName"] == "INSERT"]

    with counted_calls("sqs") as calls:
        answer = embedded.stack.functions[TASK_STREAM].invoke({"Records": inserts})

    assert answer == {"batchItemFailures": []}
    jobs = [ProviderJob.from_json(body) for body in queued(embedded, "ProviderQueue")]
    assert sorted(job.task_id for job in jobs) == sorted(ids)
    assert {job.kind for job in jobs} == {ProviderJobKind.GEN_IMAGE}
    assert calls == {"SendMessageBatch": 1}


def test_more_jobs_than_a_batch_takes_all_arrive_with_their_delays(embedded):
    queue = JobQueue(embedded.deployed.queue_url("ProviderQueue"))
    jobs = [(ProviderJob(kind=ProviderJobKind.GEN_IMAGE, task_id=f"t-{n}"), 0) for n in range(12)]

    with counted_calls("sqs") as calls:
        refused = queue.send_many([*jobs, (ProviderJob(kind=ProviderJobKind.GEN_VIDEO, task_id="later"), 60)])

    assert refused is None
    assert calls == {"SendMessageBatch": 2}
    arrived = sorted(ProviderJob.from_json(body).task_id for body in queued(embedded, "ProviderQueue"))
    # The delayed one is not visible yet; the rest are there once each.
    assert arrived == sorted(f"t-{n}" for n in range(12))


def test_notifications_published_in_batches_keep_the_attributes_subscribers_filter_on(embedded):
    settings = runtime().settings
    publisher = EventPublisher(settings.event_bus_name, settings.topic_arn)
    details = [
        {
            "id": f"t-{n}",
            "event_id": f"e-{n}",
            "status": "video_generated" if n % 2 else "image_generated",
            "type": "product_anyshot",
            "tenant_id": "acme",
            "external_ref": {"source": "api"},
        }
        for n in range(12)
    ]

    with counted_calls("sns") as calls:
        refused = publisher.publish_messages(details)

    assert refused is None
    assert calls == {"PublishBatch": 2}
    notes = embedded.consumers.notifications()
    # The default consumer keeps only finished tasks: the filter read the status attribute.
    assert sorted(n["MessageAttributes"]["status"]["Value"] for n in notes) == ["video_generated"] * 6
    assert {n["MessageAttributes"]["tenant_id"]["Value"] for n in notes} == {"acme"}
