"""The outbox dispatcher against in-memory queues and publisher: each committed change, its reactions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from reelay.logic.dispatch import dispatch_change
from reelay.models.jobs import ArchiveJob, DeliveryJob, ProviderJob, ProviderJobKind
from reelay.models.media import ArchivedFile
from reelay.models.media_states import ArchiveState, MediaAsset
from reelay.models.status import TaskStatus
from reelay.models.task import Task, webhook_payload
from tests.unit.fakes import WEBHOOK_URL, FakeRuntime, a_task

S = TaskStatus
NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
TASK_ID = "0b7f6c1e-4d2a-4e8b-9c3f-5a1d2e3f4a5b"
PROVIDER_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


@pytest.fixture
def fakes() -> FakeRuntime:
    return FakeRuntime.at(NOW)


def task(status: TaskStatus, *, auto_video: bool = True, webhook: bool = True, **fields: Any) -> Task:
    return a_task(
        TASK_ID,
        status,
        auto_video=auto_video,
        webhook_url=WEBHOOK_URL if webhook else None,
        **fields,
    )


def settled(asset: str, state: ArchiveState = ArchiveState.ARCHIVED) -> dict[str, ArchivedFile]:
    ext = "jpg" if asset == "photo" else "mp4"
    if state is ArchiveState.ARCHIVED:
        key = f"tasks/acme/{TASK_ID}/{asset}.{ext}"
        return {asset: ArchivedFile(state=state, key=key, bytes=10, content_type="image/jpeg")}
    return {asset: ArchivedFile(state=state, failed_reason="source answered HTTP 404")}


def nothing_announced(fakes: FakeRuntime) -> bool:
    return (fakes.publisher.events, fakes.publisher.messages, fakes.delivery_queue.sent) == ([], [], [])


def test_a_new_task_queues_exactly_one_gen_image_job(fakes: FakeRuntime) -> None:
    done = dispatch_change(None, task(S.INITIALIZING), fakes.deps())

    assert fakes.provider_queue.sent == [(ProviderJob(kind=ProviderJobKind.GEN_IMAGE, task_id=TASK_ID), 0)]
    assert done.provider_jobs == [ProviderJobKind.GEN_IMAGE]
    assert nothing_announced(fakes)


def test_a_preview_with_auto_video_queues_gen_video_and_the_photo_archive_and_announces_nothing(
    fakes: FakeRuntime,
) -> None:
    photo = "https://cdn.creatify/p.jpg"
    entering = task(S.IMAGE_GENERATED, generated_photo_url=photo)

    done = dispatch_change(task(S.IMAGE_GENERATING), entering, fakes.deps())

    assert fakes.provider_queue.jobs == [ProviderJob(kind=ProviderJobKind.GEN_VIDEO, task_id=TASK_ID)]
    # The job carries what the copy needs, so the media worker reads nothing.
    assert fakes.media_queue.jobs == [
        ArchiveJob(task_id=TASK_ID, asset=MediaAsset.PHOTO, tenant_id="acme", source_url=photo)
    ]
    assert done.events == []
    assert nothing_announced(fakes)


def test_a_preview_for_review_waits_for_its_photo_archive_before_it_is_announced(fakes: FakeRuntime) -> None:
    photo = "https://cdn.creatify/p.jpg"
    entering = task(S.IMAGE_GENERATED, auto_video=False, generated_photo_url=photo)

    done = dispatch_change(task(S.IMAGE_GENERATING, auto_video=False), entering, fakes.deps())

    assert fakes.media_queue.jobs == [
        ArchiveJob(task_id=TASK_ID, asset=MediaAsset.PHOTO, tenant_id="acme", source_url=photo)
    ]
    assert done.events == []
    assert nothing_announced(fakes)


def test_a_preview_for_review_is_announced_on_the_bus_the_topic_and_the_webhook_once_archived(
    fakes: FakeRuntime,
) -> None:
    waiting = task(S.IMAGE_GENERATED, auto_video=False, generated_photo_url="https://cdn.creatify/p.jpg")
    preview = waiting.replace(archive=settled("photo"))

    done = dispatch_change(waiting, preview, fakes.deps())

    event_id = f"evt_{TASK_ID}_image_generated"
    assert fakes.provider_queue.sent == []
    assert fakes.media_queue.sent == []
    assert fakes.publisher.detail_types == ["Product Video Image Generated"]
    assert [e["event_id"] for e in fakes.publisher.events] == [event_id]
    assert fakes.publisher.events[0]["generated_photo_url"] == "https://cdn.creatify/p.jpg"
    media = fakes.publisher.events[0]["media"]
    assert media["photo"]["state"] == "archived"
    assert media["photo"]["key"] == f"tasks/acme/{TASK_ID}/photo.jpg"
    assert media["video"] is None
    assert fakes.publisher.messages == fakes.publisher.events
    body = {**webhook_payload(preview), "media": media}
    # The job says where to and for whom, so the delivery worker reads no task.
    job = DeliveryJob(
        task_id=TASK_ID, event_id=event_id, payload=body, webhook_url=preview.webhook_url, tenant_id="acme"
    )
    assert fakes.delivery_queue.sent == [(job, 0)]
    assert list(fakes.delivery_queue.jobs[0].payload)[-1] == "media"
    assert (done.events, done.deliveries) == ([event_id], [event_id])


def test_a_retry_recorded_on_the_archive_announces_nothing(fakes: FakeRuntime) -> None:
    waiting = task(S.VIDEO_GENERATED, generated_video_url="https://cdn/v.mp4")
    retrying = waiting.replace(archive=settled("video", ArchiveState.PENDING))

    done = dispatch_change(waiting, retrying, fakes.deps())

    assert (done.events, fakes.media_queue.sent) == ([], [])
    assert nothing_announced(fakes)


def test_a_failed_archive_releases_the_announcement_with_its_reason(fakes: FakeRuntime) -> None:
    waiting = task(S.VIDEO_GENERATED, generated_video_url="https://cdn/v.mp4")
    failed = waiting.replace(archive=settled("video", ArchiveState.FAILED))

    dispatch_change(waiting, failed, fakes.deps())
    dispatch_change(failed, failed, fakes.deps())  # a later change of the item: no second announcement

    (event,) = fakes.publisher.events
    assert event["media"]["video"]["state"] == "failed"
    assert event["media"]["video"]["failed_reason"] == "source answered HTTP 404"
    assert event["media"]["video"]["url"] is None


def test_a_task_without_a_webhook_url_is_announced_but_gets_no_delivery_job(fakes: FakeRuntime) -> None:
    done = dispatch_change(
        task(S.IMAGE_GENERATED, auto_video=False, webhook=False),
        task(S.IMAGE_GENERATED, auto_video=False, webhook=False, archive=settled("photo")),
        fakes.deps(),
    )

    assert fakes.publisher.detail_types == ["Product Video Image Generated"]
    assert len(fakes.publisher.messages) == 1
    assert fakes.delivery_queue.sent == []
    assert done.deliveries == []


def test_approving_a_preview_queues_gen_video_without_announcing_the_preview_again(
    fakes: FakeRuntime,
) -> None:
    done = dispatch_change(
        task(S.IMAGE_GENERATED, auto_video=False),
        task(S.IMAGE_GENERATED, auto_video=True, video_prompt="slow pan"),
        fakes.deps(),
    )

    assert fakes.provider_queue.jobs == [ProviderJob(kind=ProviderJobKind.GEN_VIDEO, task_id=TASK_ID)]
    assert done.provider_jobs == [ProviderJobKind.GEN_VIDEO]
    assert fakes.media_queue.sent == []  # its photo was queued when the preview arrived
    assert nothing_announced(fakes)


@pytest.mark.parametrize(
    ("old", "new", "detail_type"),
    [
        pytest.param(
            task(S.VIDEO_GENERATING),
            task(
                S.VIDEO_GENERATED, generated_video_url="https://cdn.creatify/v.mp4", archive=settled("video")
            ),
            "Product Video Generated",
            id="video_generated",
        ),
        pytest.param(
            task(S.IMAGE_GENERATING),
            task(S.FAILED, failed_reason="no product found"),
            "Product Video Failed",
            id="failed",
        ),
    ],
)
def test_a_finished_task_is_announced_once_with_an_event_id_made_of_task_and_status(
    fakes: FakeRuntime, old: Task, new: Task, detail_type: str
) -> None:
    done = dispatch_change(old, new, fakes.deps())

    event_id = f"evt_{TASK_ID}_{new.status.value}"
    assert fakes.publisher.detail_types == [detail_type]
    assert [e["event_id"] for e in fakes.publisher.events] == [event_id]
    assert [m["event_id"] for m in fakes.publisher.messages] == [event_id]
    assert [job.event_id for job in fakes.delivery_queue.jobs] == [event_id]
    assert fakes.publisher.events[0]["tenant_id"] == "acme"
    assert fakes.provider_queue.sent == []
    assert done.events == [event_id]


def test_a_repeated_stream_record_announces_with_the_same_event_id(fakes: FakeRuntime) -> None:
    change = (
        task(S.VIDEO_GENERATED, generated_video_url="https://cdn/v.mp4"),
        task(S.VIDEO_GENERATED, generated_video_url="https://cdn/v.mp4", archive=settled("video")),
    )

    first = dispatch_change(*change, fakes.deps())
    again = dispatch_change(*change, fakes.deps())

    event_id = f"evt_{TASK_ID}_video_generated"
    assert first.events == again.events == [event_id]
    assert {e["event_id"] for e in fakes.publisher.events} == {event_id}
    assert {job.event_id for job in fakes.delivery_queue.jobs} == {event_id}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param(task(S.INITIALIZING), task(S.IMAGE_GENERATING), id="image under way"),
        pytest.param(task(S.IMAGE_GENERATED), task(S.VIDEO_GENERATING), id="video under way"),
        pytest.param(
            task(S.INITIALIZING),
            task(S.INITIALIZING, provider_task_id=PROVIDER_ID),
            id="provider id recorded",
        ),
        pytest.param(
            task(S.VIDEO_GENERATED), task(S.VIDEO_GENERATED, delivery_attempts=1), id="delivery recorded"
        ),
        pytest.param(task(S.FAILED), task(S.FAILED), id="repeat of a final record"),
    ],
)
def test_progress_and_changes_within_a_row_set_nothing_in_motion(
    fakes: FakeRuntime, old: Task, new: Task
) -> None:
    done = dispatch_change(old, new, fakes.deps())

    assert fakes.provider_queue.sent == []
    assert nothing_announced(fakes)
    assert (done.provider_jobs, done.events, done.deliveries) == ([], [], [])


def test_a_task_removed_by_ttl_sets_nothing_in_motion(fakes: FakeRuntime) -> None:
    done = dispatch_change(task(S.VIDEO_GENERATED), None, fakes.deps())

    assert fakes.provider_queue.sent == []
    assert nothing_announced(fakes)
    assert (done.provider_jobs, done.events) == ([], [])
