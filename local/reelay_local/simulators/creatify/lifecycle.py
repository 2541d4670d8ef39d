"""Timed stage progression: what happens to a task after the POST that started a stage answered.

Image stage: initializing -> image_generating (after a third of image_seconds) -> image_generated
(at image_seconds) or failed. Video stage: video_generating (at once) -> video_generated (at
video_seconds) or failed. Rendering starts when a stage starts, on a small worker pool, so the
POST answers immediately; a stage ends at its due time or when its render is ready, whichever is
later (so tiny test timings never publish a URL whose file does not exist yet).
"""

from __future__ import annotations

import logging
import random
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from PIL import Image

from reelay_local.simulators.creatify import media
from reelay_local.simulators.creatify.config import DEFAULT_FAILED_REASONS, Faults, SimulatorConfig
from reelay_local.simulators.creatify.outbound import outbound_client
from reelay_local.simulators.creatify.scheduler import Scheduler
from reelay_local.simulators.creatify.store import MediaStore, Store, Task
from reelay_local.simulators.creatify.webhooks import Stage, WebhookSender

log = logging.getLogger(__name__)

_PRODUCT_CACHE_SIZE = 64
# Only seen when the simulator itself breaks while drawing; injected failures use Faults.failed_reason.
RENDER_FAILED_REASON = "Generation failed: internal rendering error"


class TaskLifecycle:
    def __init__(
        self,
        config: SimulatorConfig,
        store: Store,
        media_store: MediaStore,
        scheduler: Scheduler,
        webhooks: WebhookSender,
        base_url: Callable[[], str],
    ) -> None:
        self._config = config
        self._store = store
        self._media = media_store
        self._scheduler = scheduler
        self._webhooks = webhooks
        self._base_url = base_url
        self._rng = random.Random(None if config.seed is None else config.seed + 1)
        self._rng_lock = threading.Lock()
        # Two cores: more render workers would only fight over them; a third covers a slow download.
        self._renderers = ThreadPoolExecutor(max_workers=3, thread_name_prefix="creatify-sim-render")
        self._products: OrderedDict[str, Image.Image | None] = OrderedDict()
        self._products_lock = threading.Lock()
        self._downloads = outbound_client(config.product_fetch_timeout_seconds)

    @property
    def faults(self) -> Faults:
        return self._config.faults

    def stop(self) -> None:
        self._renderers.shutdown(wait=False, cancel_futures=True)
        self._downloads.close()

    # ---- stages

    def start_image_stage(self, task: Task) -> None:
        seconds = self._config.image_seconds
        fails = self._fails("image")
        self._scheduler.call_later(
            seconds / 3,
            lambda: self._store.advance(task.id, frozenset({"initializing"}), "image_generating"),
        )
        render = None if fails else self._submit(self._render_preview, task)
        self._scheduler.call_later(
            seconds, lambda: self._when_ready(render, lambda: self._finish_image(task.id, fails))
        )

    def start_video_stage(self, task: Task) -> None:
        """For a task already in video_generating (gen_video on it, or a regen_video copy)."""
        fails = self._fails("video")
        render = None if fails else self._submit(self._render_video, task)
        self._scheduler.call_later(
            self._config.video_seconds,
            lambda: self._when_ready(render, lambda: self._finish_video(task.id, fails)),
        )

    def copy_preview(self, source_id: str, target_id: str) -> str | None:
        """Give a regen_video task its own copy of the source's preview image; its URL or None."""
        data = self._media.get(f"{source_id}.jpg")
        if data is None:
            return None
        self._media.put(f"{target_id}.jpg", data)
        return self.media_url(target_id, "jpg")

    def media_url(self, task_id: str, extension: str) -> str:
        return f"{self._base_url()}/media/{task_id}.{extension}"

    def _fails(self, stage: Stage) -> bool:
        faults = self.faults
        if faults.fail_stage not in (stage, "any"):
            return False
        with self._rng_lock:
            return self._rng.random() < faults.fail_rate

    def _submit(self, work: Callable[[Task], None], task: Task) -> Future[None] | None:
        try:
            return self._renderers.submit(work, task)
        except RuntimeError:
            return None  # shutting down

    def _when_ready(self, render: Future[None] | None, finish: Callable[[], None]) -> None:
        if render is None:
            finish()
        else:
            # Runs at once when the render is already done; otherwise on the render thread after it.
            render.add_done_callback(lambda _: finish())

    def _finish_image(self, task_id: str, fails: bool) -> None:
        open_image = frozenset({"initializing", "image_generating"})
        if fails or self._media.get(f"{task_id}.jpg") is None:
            done = self._store.advance(
                task_id, open_image, "failed", failed_reason=self._failure_reason(fails, "image")
            )
        else:
            done = self._store.advance(
                task_id, open_image, "image_generated", generated_photo_url=self.media_url(task_id, "jpg")
            )
        if done is not None:
            self._notify(done, "image")

    def _finish_video(self, task_id: str, fails: bool) -> None:
        open_video = frozenset({"video_generating"})
        if fails or self._media.get(f"{task_id}.mp4") is None:
            done = self._store.advance(
                task_id, open_video, "failed", failed_reason=self._failure_reason(fails, "video")
            )
        else:
            done = self._store.advance(
                task_id, open_video, "video_generated", generated_video_url=self.media_url(task_id, "mp4")
            )
        if done is not None:
            self._notify(done, "video")

    def _failure_reason(self, injected: bool, stage: Stage) -> str:
        if not injected:
            return RENDER_FAILED_REASON
        return self.faults.failed_reason or DEFAULT_FAILED_REASONS[stage]

    def _notify(self, task: Task, stage: Stage) -> None:
        if task.webhook_url:
            self._webhooks.deliver(task.id, stage, task.webhook_url, task.to_webhook())

    # ---- rendering (render pool threads)

    def _render_preview(self, task: Task) -> None:
        try:
            product = self._product_image(task.product_url)
            request = media.PreviewRequest(
                variant_key=task.id,
                aspect_ratio=task.aspect_ratio,
                product_name=media.product_name_from_url(task.product_url),
                image_prompt=task.image_prompt,
                avatar_name=task.avatar_name,
            )
            self._media.put(
                f"{task.id}.jpg", media.render_preview_jpeg(request, product, self._config.media_size)
            )
        except Exception:
            # The stage then ends as failed: a simulator bug should look like a provider failure.
            log.exception("preview rendering failed for %s", task.id)

    def _render_video(self, task: Task) -> None:
        try:
            preview = self._media.get(f"{task.id}.jpg")
            if preview is None:
                return
            video = media.render_video_mp4(
                preview,
                seconds=self._config.video_seconds_of_footage,
                fps=self._config.video_fps,
                talking=task.type == "product_avatar" and task.motion_style == "talking",
            )
            self._media.put(f"{task.id}.mp4", video)
        except Exception:
            log.exception("video rendering failed for %s", task.id)

    def _product_image(self, url: str) -> Image.Image | None:
        """The decoded product image, fetched once per URL (misses are remembered too)."""
        with self._products_lock:
            if url in self._products:
                self._products.move_to_end(url)
                return self._products[url]
        image = media.fetch_product_image(self._downloads, url)
        with self._products_lock:
            self._products[url] = image
            while len(self._products) > _PRODUCT_CACHE_SIZE:
                self._products.popitem(last=False)
        return image
