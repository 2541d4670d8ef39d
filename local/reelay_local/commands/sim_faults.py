"""`reelay sim-faults`: read or change the fault knobs of a running Creatify simulator.

`key=value` pairs become one `PUT /_sim/faults`; a value is read as JSON when it can be
(`0.2`, `true`, `[429, 503]`) and as text otherwise. The simulator checks every field and
applies all or none.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

import httpx

from reelay_cli.errors import UserError
from reelay_cli.up_state import UP_STATE, read_state


class NoSimulator(UserError):
    """No --sim-url was given and no `reelay up` here runs a simulator."""


def simulator_url(explicit: str | None) -> str:
    url = explicit or (read_state() or {}).get("simulator_url")
    if not url:
        raise NoSimulator(
            f"no simulator: pass --sim-url, or start `reelay up` in this directory ({UP_STATE})"
        )
    return str(url).rstrip("/")


def parse_assignments(pairs: list[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"expected key=value, got {pair!r}")
        try:
            fields[name.strip()] = json.loads(raw)
        except ValueError:
            fields[name.strip()] = raw
    return fields


def sim_faults(url: str, pairs: list[str], out: TextIO) -> int:
    fields = parse_assignments(pairs)
    try:
        if fields:
            answer = httpx.put(f"{url}/_sim/faults", json=fields, timeout=10.0)
        else:
            answer = httpx.get(f"{url}/_sim/faults", timeout=10.0)
    except httpx.HTTPError as exc:
        raise NoSimulator(f"the simulator at {url} did not answer: {exc}") from exc
    if not answer.is_success:
        raise ValueError(f"the simulator refused: HTTP {answer.status_code} {answer.text.strip()}")
    out.write(json.dumps(answer.json(), indent=2) + "\n")
    return 0
