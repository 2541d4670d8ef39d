"""The publish logic step by step, in memory: the check chain and its bound, retries and their bounds, claims.

The shop is scripted (tests/unit/publish_fakes.py); the HTTP side of each answer is tested
against the local shop in tests/integration/test_publish_shopify.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from reelay.deps import Deps
from reelay.logic.publication_dispatch import react_to_publication
from reelay.logic.publish import (
    CHECK_DELAYS,
    MAX_PROCESSING_SECONDS,
    MAX_UNAVAILABLE,
    PROCESSING_TIMED_OUT,
    PublishResult,
    publish,
)
from reelay.models.jobs import PublishJob, PublishStage
from reelay.models.media import ArchivedFile, Publication
from reelay.models.media_states import ArchiveState, PublicationState
from reelay.models.status import TaskStatus
from reelay.models.task import ExternalRef, Task
from reelay.ports.shop_publishing import (
    MediaProgress,
    MediaStatus,
    ProductGone,
    PublishRefused,
    ShopThrottled,
    ShopUnavailable,
)
from tests.unit.fakes import TENANT, FakeRuntime, RecordingQueue, a_task, unit_settings
from tests.unit.publish_fakes import (
    MemoryConnections,
    MemoryPublications,
    PlainBox,
    ScriptedShop,
    StoredVideo,
    write_back_connection,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
MEDIA = "gid://shopify/Video/1"
KEY = "tasks/t/task-1/video.mp4"
SHOP = "acme.myshopify.com"
PROCESSING = MediaStatus(MEDIA, MediaProgress.PROCESSING)
READY = MediaStatus(MEDIA, MediaProgress.READY)


def archived_task(**fields: Any) -> Task:
    values: dict[str, Any] = {
        "publication": Publication(platform="shopify", connection_id="con_1", product_id="42"),
        "archive": {
            "video": ArchivedFile(state=ArchiveState.ARCHIVED, key=KEY, bytes=10, content_type="video/mp4")
        },
        "external_ref": ExternalRef(source="shopify", shop=SHOP, product_id="42", title="Runner"),
        **fields,
    }
    return a_task(status=TaskStatus.VIDEO_GENERATED, **values)


class World:
    def __init__(self, shop: ScriptedShop, task: Task | None = None) -> None:
        self.runtime = FakeRuntime.at(NOW)
        self.shop = shop
        self.queue = RecordingQueue()
        self.publications = MemoryPublications(self.runtime.tasks)
        self.deps = Deps(
            config=unit_settings(),
            tasks=self.runtime.tasks,
            publications=self.publications,
            connections=MemoryConnections(write_back_connection(TENANT)),
            secret_box=PlainBox(),
            shop_publishers=lambda platform: shop,
            archived_videos=StoredVideo,
            publish_queue=self.queue,
            publisher=self.runtime.publisher,
        )
        self.runtime.seed(task or archived_task())

    def run(self, job: PublishJob, at: datetime) -> PublishResult:
        return publish(job, self.deps, now=at).result

    def publication(self) -> Publication:
        task = self.runtime.tasks.get("task-1")
        assert task is not None and task.publication is not None
        return task.publication

    def last_job(self) -> tuple[PublishJob, int]:
        job, delay = self.queue.sent[-1]
        assert isinstance(job, PublishJob)
        return job, delay


def test_checks_come_with_growing_delays_and_end_failed_once_the_bounded_wait_is_over() -> None:
    world = World(ScriptedShop(attach_answers=[PROCESSING], check_answers=[PROCESSING] * 100))
    assert world.run(PublishJob(task_id="task-1"), NOW) is PublishResult.CHECKING

    delays, at, result = [], NOW, PublishResult.CHECKING
    while result is PublishResult.CHECKING:
        job, delay = world.last_job()
        assert (job.stage, job.media_id, job.claim) == (PublishStage.CHECK, MEDIA, 1)
        delays.append(delay)
        at += timedelta(seconds=delay)
        result = world.run(job, at)

    assert result is PublishResult.FAILED
    assert delays[: len(CHECK_DELAYS)] == list(CHECK_DELAYS)
    assert MAX_PROCESSING_SECONDS <= sum(delays) < MAX_PROCESSING_SECONDS + CHECK_DELAYS[-1]
    assert world.publication().state is PublicationState.FAILED
    assert world.publication().reason == PROCESSING_TIMED_OUT
    assert world.shop.calls.count("attach") == 1
    assert world.publication().media_id == MEDIA  # recorded when attached


def test_an_unavailable_shop_is_retried_with_backoff_a_bounded_number_of_times() -> None:
    outage = ShopUnavailable("Shopify answered 503")
    world = World(ScriptedShop(attach_answers=[outage] * 10))
    job, at, delays = PublishJob(task_id="task-1"), NOW, []

    while (result := world.run(job, at)) is PublishResult.RETRYING:
        job, delay = world.last_job()
        delays.append(delay)
        at += timedelta(seconds=delay)

    assert result is PublishResult.FAILED
    assert delays == [30 * 2**n for n in range(MAX_UNAVAILABLE)]
    assert world.shop.calls.count("attach") == MAX_UNAVAILABLE + 1
    assert world.publication().reason == "shop unavailable: Shopify answered 503"


def test_throttling_waits_what_the_shop_says_then_goes_on_under_the_same_claim() -> None:
    throttled = ShopThrottled("THROTTLED", retry_after=1.2)
    world = World(ScriptedShop(find_answers=[throttled], attach_answers=[READY]))

    assert world.run(PublishJob(task_id="task-1"), NOW) is PublishResult.RETRYING
    job, delay = world.last_job()
    assert (delay, job.claim, job.stage) == (2, 1, PublishStage.PUBLISH)
    assert world.run(job, NOW + timedelta(seconds=2)) is PublishResult.PUBLISHED

    publication = world.publication()
    assert (publication.state, publication.media_id) == (PublicationState.PUBLISHED, MEDIA)
    assert publication.attempts == 1  # one claim throughout
    (request,) = [r for r in world.shop.requests if r.video is not None][-1:]
    assert (request.video.filename, request.video.size, request.settings["api_version"]) == (
        "reelay-task-1.mp4",
        10,
        "2025-10",
    )
    assert request.credentials.access_token == "shpat_1"


def test_a_refusal_ends_failed_at_once_with_the_shop_s_reason_and_queues_nothing() -> None:
    world = World(ScriptedShop(attach_answers=[PublishRefused("Shopify refused the video: too long")]))

    assert world.run(PublishJob(task_id="task-1"), NOW) is PublishResult.FAILED

    assert world.queue.sent == []
    assert world.publication().reason == "Shopify refused the video: too long"
    assert world.publication().state is PublicationState.FAILED


def test_a_product_deleted_while_processing_ends_failed_with_that_reason() -> None:
    world = World(ScriptedShop(attach_answers=[PROCESSING], check_answers=[ProductGone("gone")]))
    world.run(PublishJob(task_id="task-1"), NOW)
    job, delay = world.last_job()

    assert world.run(job, NOW + timedelta(seconds=delay)) is PublishResult.FAILED
    assert world.publication().reason == "product deleted in the shop"


def test_a_message_of_a_claim_taken_over_does_nothing() -> None:
    world = World(ScriptedShop(attach_answers=[PROCESSING], find_answers=[None, PROCESSING]))
    world.run(PublishJob(task_id="task-1"), NOW)
    old_check, _ = world.last_job()
    # The chain went quiet for longer than a claim lasts: a redelivered first job takes it over.
    later = NOW + timedelta(hours=1)
    assert world.run(PublishJob(task_id="task-1"), later) is PublishResult.CHECKING
    assert world.publication().attempts == 2

    assert world.run(old_check, later) is PublishResult.DROPPED
    assert world.shop.calls == ["find", "attach", "find"]  # found, not attached again


def test_a_live_claim_is_not_taken_by_a_second_copy_of_the_first_job() -> None:
    world = World(ScriptedShop(attach_answers=[PROCESSING]))
    world.run(PublishJob(task_id="task-1"), NOW)

    assert world.run(PublishJob(task_id="task-1"), NOW + timedelta(seconds=1)) is PublishResult.DROPPED
    assert world.shop.calls == ["find", "attach"]


# ---------------------------------------------------------------------------- the task stream's part


def test_an_archived_video_queues_the_first_publish_job_and_a_failed_archive_ends_the_publication() -> None:
    world = World(ScriptedShop())
    pending = archived_task(archive={})
    archived = archived_task()

    assert react_to_publication(pending, archived, world.deps) == []
    assert [job for job, _ in world.queue.sent] == [PublishJob(task_id="task-1")]

    failed_copy = archived_task(
        archive={"video": ArchivedFile(state=ArchiveState.FAILED, failed_reason="source answered 404")}
    )
    react_to_publication(pending, failed_copy, world.deps)
    assert world.publication().reason == "video archive failed: source answered 404"


def test_entering_published_or_failed_is_announced_once_with_a_deterministic_id() -> None:
    world = World(ScriptedShop())
    publishing = archived_task(publication=Publication(state=PublicationState.PUBLISHING, platform="shopify"))
    published = archived_task(
        publication=Publication(state=PublicationState.PUBLISHED, platform="shopify", media_id=MEDIA)
    )

    assert react_to_publication(publishing, published, world.deps) == ["evt_task-1_published"]
    assert react_to_publication(published, published, world.deps) == []  # a change within it
    assert world.runtime.publisher.detail_types == ["Product Video Published"]
    (event,) = world.runtime.publisher.events
    assert (event["status"], event["publication"]["media_id"]) == ("video_generated", MEDIA)
