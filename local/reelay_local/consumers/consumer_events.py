"""`reelay events`: what downstream consumers of a running `reelay up` received, read off their queues.

Two queues stand in for consumers: one behind an EventBridge rule on Reelay's bus (source
`reelay`), one subscribed to the SNS topic. Reading a message removes it, as a consumer would.
"""

from __future__ import annotations

import json
import time
from typing import Any, TextIO

from reelay_cli.errors import UserError
from reelay_cli.up_state import UP_STATE, read_state
from reelay_local.consumers.queues import drain_queue


class NoLocalStack(UserError):
    """No `reelay up` is running in this directory."""


def _sqs(state: dict[str, Any]) -> Any:
    import boto3

    return boto3.client(
        "sqs",
        endpoint_url=state["aws_endpoint_url"],
        region_name=state["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - moto takes any credentials
    )


def show_consumer_events(wait_seconds: float, out: TextIO) -> int:
    state = read_state()
    if state is None:
        raise NoLocalStack(f"no local stack: start `reelay up` in this directory first ({UP_STATE})")
    sqs = _sqs(state)
    queues = (
        ("EventBridge rule queue", state["consumer_events_queue_url"]),
        ("SNS subscription queue", state["consumer_topic_queue_url"]),
    )
    deadline = time.monotonic() + wait_seconds
    shown = 0
    while True:
        for label, url in queues:
            for message in drain_queue(sqs, url):
                note = ""
                if label.startswith("SNS") and isinstance(message.get("Message"), str):
                    try:
                        message["Message"] = json.loads(message["Message"])
                        note = " (Message is a JSON string on the wire; shown parsed)"
                    except ValueError:
                        pass
                out.write(f"--- {label}{note}\n{json.dumps(message, indent=2)}\n")
                shown += 1
        if shown or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    if not shown:
        out.write("no events waiting (consumers hear about video_generated and failed tasks)\n")
    return 0
