"""The media worker without a read or a claim: duplicates, retry chains, old jobs, the last receive.

Every test runs the worker's code against the template's table, bucket and queues in moto, with
sources served over HTTP on 127.0.0.1 (`MediaSource`). Copies of one job run at once with a
barrier between their copy and their settle, as two Lambda instances would with an SQS
duplicate: both copy, then both try to settle.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from reelay.clients.aws import aws_client
from reelay.dal import keys
from reelay.deps import runtime
from reelay.logic import archive_media as archive_module
from reelay.logic.archive_media import ArchiveOutcome, ArchiveResult, archive_media
from reelay.logic.task_lifecycle import archive_job
from reelay.models.jobs import ArchiveJob
from reelay.models.media import ArchivedFile
from reelay.models.media_states import ArchiveState, MediaAsset
from reelay.models.task_history import HISTORY_LIMIT
from reelay.ports.media import CopiedFile, MediaCopier
from reelay_local.consumers.webhook_receiver import WebhookReceiver
from reelay_local.simulators.media_source import MediaSource
from tests.integration.pipeline import TenantApi, stored
from tests.integration.test_media_archive import object_bytes, seed_video_task


class CopiesMeet:
    """The real copier, but each copy waits for the other's before its outcome is settled."""

    def __init__(self, copier: MediaCopier, copies: int) -> None:
        self._copier = copier
        self._barrier = threading.Barrier(copies, timeout=20)

    @property
    def bucket(self) -> str:
        return self._copier.bucket

    def copy(self, url: str, addresses: Sequence[str], key_stem: str) -> CopiedFile:
        try:
            return self._copier.copy(url, addresses, key_stem)
        finally:
            self._barrier.wait()


def run_at_once(
    job: ArchiveJob, message_ids: Sequence[str], monkeypatch: pytest.MonkeyPatch
) -> list[ArchiveOutcome]:
    deps = runtime()
    monkeypatch.setattr(deps, "media_copier", CopiesMeet(deps.media_copier, len(message_ids)))
    with ThreadPoolExecutor(len(message_ids)) as pool:
        runs = [pool.submit(archive_media, job, deps, message_id=m) for m in message_ids]
        return [run.result() for run in runs]


def archive_entries(task_id: str) -> list[dict[str, Any]]:
    return [e for e in stored(task_id).history if e.get("k") == "a"]


def queued_jobs(embedded: Any) -> list[ArchiveJob]:
    """The archive jobs waiting in the media queue (taken off it)."""
    sqs, url = embedded.clients("sqs"), embedded.deployed.queue_url("MediaQueue")
    jobs: list[ArchiveJob] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            jobs.append(ArchiveJob.from_json(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return jobs


def test_two_copies_of_one_job_at_once_settle_once_with_one_history_entry(embedded, monkeypatch):
    api = TenantApi.create(embedded)
    with MediaSource() as source:
        task = seed_video_task(api, source.url("files", 70_000))
        outcomes = run_at_once(archive_job(task, MediaAsset.VIDEO), ["m-1", "m-2"], monkeypatch)

    assert sorted(o.result for o in outcomes) == [ArchiveResult.ARCHIVED, ArchiveResult.SKIPPED]
    file = stored(task.id).archive["video"]
    assert (file.state, file.bytes, file.key) == (
        ArchiveState.ARCHIVED,
        70_000,
        f"tasks/{api.tenant_id}/{task.id}/video.mp4",
    )
    assert len(object_bytes(embedded, file.key)) == 70_000
    assert [(e["a"], e["o"]) for e in archive_entries(task.id)] == [("video", "archived")]


def test_two_failing_copies_of_one_attempt_queue_one_retry_and_its_copies_one_more(embedded, monkeypatch):
    monkeypatch.setattr(archive_module, "RETRY_DELAYS", (0, 0, 0))
    api = TenantApi.create(embedded)
    with MediaSource() as source:
        task = seed_video_task(api, f"{source.base_url}/fail/video.mp4")
        first = run_at_once(archive_job(task, MediaAsset.VIDEO), ["m-1", "m-2"], monkeypatch)
        (retry,) = queued_jobs(embedded)
        second = run_at_once(retry, ["m-3", "m-4"], monkeypatch)
        (next_retry,) = queued_jobs(embedded)

    assert sorted(o.result for o in first) == [ArchiveResult.RETRY_SCHEDULED, ArchiveResult.SKIPPED]
    assert sorted(o.result for o in second) == [ArchiveResult.RETRY_SCHEDULED, ArchiveResult.SKIPPED]
    assert (retry.attempt, next_retry.attempt) == (1, 2)
    assert (next_retry.tenant_id, next_retry.source_url) == (api.tenant_id, task.generated_video_url)
    file = stored(task.id).archive["video"]
    assert (file.state, file.attempts, file.failed_reason) == (
        ArchiveState.PENDING,
        2,
        "source answered HTTP 500",
    )
    assert [(e["o"], e["n"]) for e in archive_entries(task.id)] == [
        ("retry_scheduled", 1),
        ("retry_scheduled", 2),
    ]


def test_a_stale_attempt_neither_queues_a_retry_nor_gives_up_the_current_one(embedded):
    api = TenantApi.create(embedded)
    current = ArchivedFile(state=ArchiveState.PENDING, attempts=2, failed_reason="source answered HTTP 500")
    with MediaSource() as source:
        failing = seed_video_task(api, f"{source.base_url}/fail/video.mp4", archive={"video": current})
        refused = seed_video_task(api, "http://10.0.0.7/video.mp4", archive={"video": current})
        outcomes = [
            archive_media(archive_job(failing, MediaAsset.VIDEO).replace(attempt=1), runtime()),
            archive_media(archive_job(refused, MediaAsset.VIDEO), runtime()),
        ]

    assert [o.result for o in outcomes] == [ArchiveResult.SKIPPED, ArchiveResult.SKIPPED]
    assert queued_jobs(embedded) == []
    for task in (failing, refused):
        assert stored(task.id).archive["video"] == current
        assert archive_entries(task.id) == []


def test_a_redelivery_of_the_message_whose_retry_was_not_sent_sends_it(embedded, monkeypatch):
    monkeypatch.setattr(archive_module, "RETRY_DELAYS", (0, 0, 0))
    api = TenantApi.create(embedded)
    sqs = aws_client("sqs")

    def unreachable(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://sqs.us-east-1.amazonaws.com")

    with MediaSource() as source:
        task = seed_video_task(api, f"{source.base_url}/fail/video.mp4")
        job = archive_job(task, MediaAsset.VIDEO)
        sqs.meta.events.register("before-call.sqs.SendMessage", unreachable)
        try:
            with pytest.raises(EndpointConnectionError):
                archive_media(job, runtime(), message_id="m-1")
        finally:
            sqs.meta.events.unregister("before-call.sqs.SendMessage", unreachable)
        duplicate = archive_media(job, runtime(), message_id="m-2")
        redelivered = archive_media(job, runtime(), message_id="m-1")

    # The settle of m-1 held before its send failed: only m-1 may send the retry it recorded.
    assert (duplicate.result, redelivered.result) == (ArchiveResult.SKIPPED, ArchiveResult.RETRY_SCHEDULED)
    assert [j.attempt for j in queued_jobs(embedded)] == [1]
    file = stored(task.id).archive["video"]
    assert (file.state, file.attempts, file.retry_by) == (ArchiveState.PENDING, 1, "m-1")


def test_a_job_queued_before_jobs_carried_their_source_reads_the_task_and_archives(embedded):
    api = TenantApi.create(embedded)
    reads: list[str] = []
    dynamodb = aws_client("dynamodb")
    dynamodb.meta.events.register("before-call.dynamodb.GetItem", lambda model, **_: reads.append(model.name))
    # A claim the version before this one made for attempt 0, whose run then died.
    claimed = ArchivedFile(state=ArchiveState.PENDING, attempts=1)
    with MediaSource() as source:
        plain = seed_video_task(api, source.url("files", 4096))
        left = seed_video_task(api, source.url("files", 4097), archive={"video": claimed})
        outcomes = [
            archive_media(ArchiveJob(task_id=t.id, asset=MediaAsset.VIDEO), runtime()) for t in (plain, left)
        ]

    assert [o.result for o in outcomes] == [ArchiveResult.ARCHIVED, ArchiveResult.ARCHIVED]
    assert len(reads) == 2
    for task, size in ((plain, 4096), (left, 4097)):
        file = stored(task.id).archive["video"]
        assert (file.state, file.bytes) == (ArchiveState.ARCHIVED, size)
        assert file.key == f"tasks/{api.tenant_id}/{task.id}/video.mp4"


def test_a_full_history_counts_the_outcome_in_history_dropped(embedded):
    api = TenantApi.create(embedded)
    full = [{"k": "d", "t": n, "n": n, "o": "delivered"} for n in range(HISTORY_LIMIT)]
    with MediaSource() as source:
        task = seed_video_task(api, source.url("files", 2048), history=full)
        outcome = archive_media(archive_job(task, MediaAsset.VIDEO), runtime())

    after = stored(task.id)
    assert outcome.result is ArchiveResult.ARCHIVED
    assert after.archive["video"].state is ArchiveState.ARCHIVED
    assert (after.history, after.history_dropped) == (full, 1)


def test_a_task_item_without_an_archive_map_gets_one(embedded):
    api = TenantApi.create(embedded)
    with MediaSource() as source:
        task = seed_video_task(api, source.url("files", 1024))
        embedded.clients("dynamodb").update_item(
            TableName=embedded.deployed.table_name,
            Key=keys.task_key(task.id),
            UpdateExpression="REMOVE #archive",
            ExpressionAttributeNames={"#archive": "archive"},
        )
        outcome = archive_media(archive_job(task, MediaAsset.VIDEO), runtime())

    assert outcome.result is ArchiveResult.ARCHIVED
    assert stored(task.id).archive["video"].bytes == 1024


def test_a_job_that_keeps_raising_ends_the_asset_failed_on_its_last_receive_and_it_is_announced(
    embedded, monkeypatch
):
    copies: list[str] = []

    def crashes(self: Any, url: str, addresses: Sequence[str], key_stem: str) -> CopiedFile:
        copies.append(url)
        raise RuntimeError("something no one expected")

    monkeypatch.setattr(type(runtime().media_copier), "copy", crashes)
    api = TenantApi.create(embedded)
    with MediaSource() as source, WebhookReceiver(secret=api.tenant.webhook_secret) as receiver:
        task = seed_video_task(api, source.url("files", 1024), webhook_url=receiver.url)
        embedded.stack.pump(
            until=lambda: (
                stored(task.id).archive.get("video", ArchivedFile()).state is not ArchiveState.PENDING
            ),
            timeout=30,
        )
        embedded.stack.pump()
        (delivery,) = receiver.wait_for(1)

    max_receives = runtime().settings.media_max_receive_count
    assert max_receives == 5  # the template's one figure, given to the function
    assert len(copies) == max_receives
    file = stored(task.id).archive["video"]
    assert (file.state, file.failed_reason) == (ArchiveState.FAILED, "the copy kept failing (RuntimeError)")
    (event,) = embedded.consumers.events()
    assert event["detail"]["media"]["video"]["state"] == "failed"
    assert delivery.json()["media"]["video"]["failed_reason"] == "the copy kept failing (RuntimeError)"
    dead = embedded.clients("sqs").get_queue_attributes(
        QueueUrl=embedded.deployed.queue_url("MediaDeadLetterQueue"),
        AttributeNames=["ApproximateNumberOfMessages"],
    )
    assert dead["Attributes"]["ApproximateNumberOfMessages"] == "0"
