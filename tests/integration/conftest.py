"""Integration fixtures: moto in-process with the template deployed, the simulator over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reelay_local.aws.embedded import EmbeddedStack
from reelay_local.aws.moto_server import MotoServer
from reelay_local.simulators.creatify import CreatifySimulator, SimulatorConfig
from tests.integration.pipeline import RunningStack


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "embedded_options(**kwargs): keyword arguments for EmbeddedStack.start in the `embedded` "
        "fixture (topic_filter, extra_env, callbacks, ...)",
    )


@pytest.fixture
def moto_server() -> Iterator[MotoServer]:
    """moto's server on a free loopback port; this process's own AWS clients stay as they are."""
    server = MotoServer().start(isolate=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def simulator() -> Iterator[CreatifySimulator]:
    with CreatifySimulator(SimulatorConfig(image_seconds=0.2, video_seconds=0.3, seed=7)) as sim:
        yield sim


@pytest.fixture
def embedded(request: pytest.FixtureRequest, simulator: CreatifySimulator) -> Iterator[EmbeddedStack]:
    """The template deployed into in-process moto, handlers wired as the template wires them.

    Event sources are pumped by the test itself (`embedded.stack.pump(...)`), so each test
    decides when records move. A test changes how the stack starts with
    `@pytest.mark.embedded_options(...)`; the default consumer queue on the SNS topic keeps
    only finished tasks (status video_generated or failed).
    """
    marker = request.node.get_closest_marker("embedded_options")
    options: dict[str, Any] = {"topic_filter": {"status": ["video_generated", "failed"]}}
    options.update(marker.kwargs if marker else {})
    with RunningStack(simulator, **options) as stack:
        yield stack
