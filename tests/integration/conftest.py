"""Integration fixtures: moto in-process with the template deployed, the simulator over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import boto3
import pytest
from moto import mock_aws

from reelay_local.creatify_sim import CreatifySimulator, SimulatorConfig
from reelay_local.embedded import EmbeddedStack

SIM_API_ID = "sim-api-id"
SIM_API_KEY = "sim-api-key"


@pytest.fixture
def simulator() -> Iterator[CreatifySimulator]:
    with CreatifySimulator(SimulatorConfig(image_seconds=0.2, video_seconds=0.3, seed=7)) as sim:
        yield sim


@pytest.fixture
def embedded(simulator: CreatifySimulator) -> Iterator[EmbeddedStack]:
    """The template deployed into in-process moto, handlers wired as the template wires them.

    Event sources are pumped by the test itself (`embedded.stack.pump(...)`), so each test
    decides when records move.
    """
    with mock_aws():

        @cache
        def clients(service: str) -> Any:
            return boto3.client(service, region_name="us-east-1")

        stack = EmbeddedStack.start(
            clients,
            creatify_base_url=simulator.base_url,
            creatify_credentials=(SIM_API_ID, SIM_API_KEY),
            stage="test",
            topic_filter={"status": ["video_generated", "failed"]},
        )
        try:
            yield stack
        finally:
            stack.stop()
