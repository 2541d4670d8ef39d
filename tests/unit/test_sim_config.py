"""Fault settings: validated as a whole, so a bad admin PUT changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from reelay_local.simulators.creatify import Faults, SimulatorConfig


def test_defaults_inject_no_faults() -> None:
    faults = Faults()
    assert faults.error_queue == []
    assert not faults.webhook_reorder
    assert all(
        getattr(faults, name) == 0.0
        for name in (
            "latency_seconds",
            "post_latency_seconds",
            "rate_429",
            "rate_5xx",
            "hang_rate",
            "fail_rate",
            "webhook_drop_rate",
        )
    )


def test_update_applies_known_fields() -> None:
    faults = Faults()
    faults.update(rate_429=0.5, error_queue=[503, 429], fail_stage="video", webhook_reorder=True)
    assert (faults.rate_429, faults.error_queue, faults.fail_stage, faults.webhook_reorder) == (
        0.5,
        [503, 429],
        "video",
        True,
    )
    assert faults.to_dict()["error_queue"] == [503, 429]


@pytest.mark.parametrize(
    "fields",
    [
        {"rate_429": 1.5},
        {"rate_5xx": "high"},
        {"latency_seconds": -1},
        {"post_latency_seconds": -0.5},
        {"error_queue": [200, 99]},
        {"error_queue": "503"},
        {"fail_stage": "audio"},
        {"webhook_reorder": 1},
        {"failed_reason": ""},
        {"not_a_knob": 1},
    ],
)
def test_update_refuses_bad_values_and_changes_nothing(fields: dict[str, Any]) -> None:
    faults = Faults()
    with pytest.raises(ValueError):
        # A valid field next to the bad one must not be applied either.
        faults.update(hang_seconds=3.0, **fields)
    assert faults == Faults()


def test_config_defaults_follow_the_brief() -> None:
    config = SimulatorConfig()
    assert (config.host, config.port) == ("127.0.0.1", 0)
    assert config.accounts == {"sim-api-id": ("sim-api-key", 100.0)}
    assert (
        config.cost_gen_image,
        config.cost_regen_image,
        config.cost_gen_video,
        config.cost_regen_video,
    ) == (
        1,
        1,
        3,
        1,
    )
    assert (config.image_seconds, config.video_seconds) == (30.0, 120.0)
    assert config.faults == Faults()


def test_configs_do_not_share_fault_objects() -> None:
    first, second = SimulatorConfig(), SimulatorConfig()
    first.faults.rate_429 = 1.0
    assert second.faults.rate_429 == 0.0


def test_nonsense_timings_are_refused() -> None:
    with pytest.raises(ValueError):
        SimulatorConfig(image_seconds=-1)
    with pytest.raises(ValueError):
        SimulatorConfig(media_size=10)
