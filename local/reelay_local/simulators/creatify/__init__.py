"""A faithful local stand-in for Creatify's Product-to-Video API, with fault knobs. Dev only.

Start one with `CreatifySimulator(SimulatorConfig(image_seconds=0.3, video_seconds=0.5)).start()`
(or as a context manager) and point a Creatify client at its `base_url`; run it standalone with
`python -m reelay_local.simulators.creatify`.
"""

from reelay_local.simulators.creatify.config import Faults, SimulatorConfig
from reelay_local.simulators.creatify.server import CallRecord, CreatifySimulator
from reelay_local.simulators.creatify.webhooks import WebhookRecord

__all__ = ["CallRecord", "CreatifySimulator", "Faults", "SimulatorConfig", "WebhookRecord"]
