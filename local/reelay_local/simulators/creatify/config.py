"""Settings of the Creatify simulator: what it charges, how fast it works, which faults it injects.

`Faults` is a live object: the running simulator reads it on every request and every webhook, so
tests (and the admin HTTP route) change behaviour mid-run without a restart.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

FailStage = Literal["image", "video", "any"]
FAIL_STAGES: tuple[str, ...] = ("image", "video", "any")

# Injected failures say which stage broke, unless Faults.failed_reason overrides both.
DEFAULT_FAILED_REASONS: dict[str, str] = {
    "image": "Image generation failed: the product could not be isolated from the background",
    "video": "Video generation failed: the scene could not be animated",
}

# Statuses a gateway in front of the real service answers when it is overloaded or restarting.
GATEWAY_ERRORS: tuple[int, ...] = (502, 503, 504)

_RATE_FIELDS = (
    "rate_429",
    "rate_5xx",
    "hang_rate",
    "webhook_drop_rate",
    "webhook_duplicate_rate",
    "fail_rate",
)
_SECONDS_FIELDS = ("latency_seconds", "post_latency_seconds", "hang_seconds", "webhook_delay_seconds")


@dataclass
class Faults:
    """Fault knobs; the defaults inject nothing.

    Webhook reordering holds each task's image-stage webhook and releases it right after that
    task's video-stage webhook, so a receiver sees `video_generated` (or `failed`) before the stale
    `image_generated`. A held webhook whose task never reaches a video-stage outcome is released
    after `reorder_max_hold_seconds` so it arrives late rather than never.

    Generation failures are drawn once per stage when it starts: with `fail_stage="any"` each stage
    fails with probability `fail_rate`. Injected failures still spend the credits (no refunds).
    """

    latency_seconds: float = 0.0
    # Added to every POST on top of `latency_seconds`: the paid calls (gen_image, gen_video) are
    # the slow ones at Creatify, while reads answer at once. A benchmark sets it to make the
    # provider the bottleneck without slowing the callbacks' and the reconciler's GETs.
    post_latency_seconds: float = 0.0
    rate_429: float = 0.0
    rate_5xx: float = 0.0
    # Statuses answered to the next API requests, in order, before any processing.
    error_queue: list[int] = field(default_factory=list)
    hang_rate: float = 0.0
    hang_seconds: float = 30.0
    webhook_drop_rate: float = 0.0
    webhook_duplicate_rate: float = 0.0
    webhook_reorder: bool = False
    reorder_max_hold_seconds: float = 30.0
    webhook_delay_seconds: float = 0.0
    fail_rate: float = 0.0
    fail_stage: FailStage = "any"
    failed_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["error_queue"] = list(self.error_queue)
        return data

    def update(self, **fields: Any) -> None:
        """Validate then apply `fields` (all or nothing), as the admin route and `set_faults` need."""
        cleaned = validate_fault_fields(fields)
        for name, value in cleaned.items():
            setattr(self, name, value)


def validate_fault_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Check names and types of fault fields; raise ValueError naming the first bad one."""
    known = {f.name for f in dataclasses.fields(Faults)}
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in known:
            raise ValueError(f"unknown fault field {name!r}; known: {', '.join(sorted(known))}")
        if name in _RATE_FIELDS:
            rate = _number(name, value)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
            cleaned[name] = rate
        elif name in (*_SECONDS_FIELDS, "reorder_max_hold_seconds"):
            seconds = _number(name, value)
            if seconds < 0:
                raise ValueError(f"{name} must not be negative")
            cleaned[name] = seconds
        elif name == "error_queue":
            if not isinstance(value, list) or not all(
                isinstance(code, int) and not isinstance(code, bool) and 100 <= code <= 599 for code in value
            ):
                raise ValueError("error_queue must be a list of HTTP status codes")
            cleaned[name] = list(value)
        elif name == "webhook_reorder":
            if not isinstance(value, bool):
                raise ValueError("webhook_reorder must be true or false")
            cleaned[name] = value
        elif name == "fail_stage":
            if value not in FAIL_STAGES:
                raise ValueError(f"fail_stage must be one of {', '.join(FAIL_STAGES)}")
            cleaned[name] = value
        elif name == "failed_reason":
            if value is not None and (not isinstance(value, str) or not value):
                raise ValueError("failed_reason must be a non-empty string or null")
            cleaned[name] = value
    return cleaned


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number")
    return float(value)


@dataclass
class SimulatorConfig:
    """How the simulator is set up. Timings default to what was observed live (~30 s, ~2 min)."""

    host: str = "127.0.0.1"
    # 0 asks the OS for a free port.
    port: int = 0
    # api_id -> (api_key, starting credits)
    accounts: dict[str, tuple[str, float]] = field(
        default_factory=lambda: {"sim-api-id": ("sim-api-key", 100.0)}
    )
    cost_gen_image: float = 1
    cost_regen_image: float = 1
    cost_gen_video: float = 3
    # The docs say 1 but it reads like a copy-paste; configurable for that reason.
    cost_regen_video: float = 1
    image_seconds: float = 30.0
    video_seconds: float = 120.0
    faults: Faults = field(default_factory=Faults)
    # Long side of preview images and videos in pixels; small keeps rendering well under a second.
    media_size: int = 640
    video_seconds_of_footage: float = 2.0
    video_fps: int = 12
    # Fixes task ids, fault draws and persona picks for reproducible runs.
    seed: int | None = None
    product_fetch_timeout_seconds: float = 3.0
    webhook_timeout_seconds: float = 5.0

    def __post_init__(self) -> None:
        if self.image_seconds < 0 or self.video_seconds < 0:
            raise ValueError("stage durations must not be negative")
        if self.media_size < 64:
            raise ValueError("media_size must be at least 64 pixels")
        if self.video_fps < 1 or self.video_seconds_of_footage <= 0:
            raise ValueError("video footage needs at least one frame")
