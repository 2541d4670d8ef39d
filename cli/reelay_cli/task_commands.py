"""`reelay submit|status|list|history|approve|regenerate|reject|replay|stuck`: the API over HTTP.

Where to call: --api-url/--api-key, else REELAY_API_URL/REELAY_API_KEY, else the stack a
`reelay up` in this directory is running (.reelay/up.json).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, TextIO

from reelay_cli.api_client import TERMINAL_STATUSES, ReelayClient
from reelay_cli.errors import UserError
from reelay_cli.progress import StatusProgress, follow_task
from reelay_cli.up_state import UP_STATE, read_state


class NoTarget(UserError):
    """No API URL or key was given and no local stack is running here."""


@dataclass(frozen=True)
class Target:
    api_url: str
    api_key: str


def resolve_target(api_url: str | None, api_key: str | None) -> Target:
    api_url = api_url or os.environ.get("REELAY_API_URL")
    api_key = api_key or os.environ.get("REELAY_API_KEY")
    if not api_url or not api_key:
        state = read_state() or {}
        api_url = api_url or state.get("api_url")
        api_key = api_key or state.get("api_key")
    if not api_url or not api_key:
        raise NoTarget(
            "no API to call: pass --api-url and --api-key (or set REELAY_API_URL and REELAY_API_KEY), "
            f"or start `reelay up` in this directory (it writes {UP_STATE})"
        )
    return Target(api_url, api_key)


def submit(
    target: Target, request: dict[str, Any], idempotency_key: str | None, wait: float | None, out: TextIO
) -> int:
    with ReelayClient(target.api_url, target.api_key) as client:
        task = client.submit(request, idempotency_key=idempotency_key)
        if wait is None:
            out.write(json.dumps(task, indent=2) + "\n")
            return 0
        out.write(f"task {task['id']}\n")
        return _follow(client, task, wait, out)


def status(target: Target, task_id: str, wait: float | None, out: TextIO) -> int:
    with ReelayClient(target.api_url, target.api_key) as client:
        task = client.get(task_id)
        if wait is None:
            out.write(json.dumps(task, indent=2) + "\n")
            return 0
        return _follow(client, task, wait, out)


def _follow(client: ReelayClient, task: dict[str, Any], timeout: float, out: TextIO) -> int:
    until = TERMINAL_STATUSES if task.get("auto_video", True) else (*TERMINAL_STATUSES, "image_generated")
    progress = StatusProgress.for_stream(out)
    final = follow_task(lambda: client.get(task["id"]), progress, until=until, timeout=timeout, interval=0.5)
    if final is None:
        out.write(f"still {progress.current} after {timeout:g}s\n")
        return 1
    out.write(json.dumps(final, indent=2) + "\n")
    return 1 if final["status"] == "failed" else 0


def list_tasks(
    target: Target, status_filter: str | None, limit: int, cursor: str | None, as_json: bool, out: TextIO
) -> int:
    with ReelayClient(target.api_url, target.api_key) as client:
        page = client.list(status=status_filter, limit=limit, cursor=cursor)
    if as_json:
        out.write(json.dumps(page, indent=2) + "\n")
        return 0
    items = page.get("items", [])
    if not items:
        out.write("no product videos\n")
    for item in items:
        media = (
            item.get("generated_video_url")
            or item.get("generated_photo_url")
            or item.get("failed_reason")
            or ""
        )
        # Write-back's own state beside Creatify's status, when the task has one.
        shop = f"  [shop: {item['publication']['state']}]" if item.get("publication") else ""
        out.write(f"{item['id']}  {item['status']:<16}  {item['created_at']}  {media}{shop}\n")
    if page.get("next_cursor"):
        out.write(f"more: reelay list --cursor {page['next_cursor']}\n")
    return 0


def review(target: Target, action: str, task_id: str, options: dict[str, Any], out: TextIO) -> int:
    """Approve (ask for the video), regenerate or reject a preview waiting for review."""
    with ReelayClient(target.api_url, target.api_key) as client:
        if action == "approve":
            task = client.request_video(task_id, {k: v for k, v in options.items() if v is not None})
        elif action == "regenerate":
            task = client.regenerate(task_id, options.get("image_prompt"))
        else:
            task = client.reject(task_id, options.get("reason"))
    if action == "regenerate":
        out.write(f"regenerated as {task['id']} (from {task_id}); its preview is on the way\n")
    else:
        out.write(f"{task['id']}  {task['status']}  {task.get('failed_reason') or ''}\n".rstrip() + "\n")
    return 0


def history(target: Target, task_id: str, as_json: bool, out: TextIO) -> int:
    """Everything that happened to a task, one line an entry, oldest first."""
    with ReelayClient(target.api_url, target.api_key) as client:
        record = client.history(task_id)
    if as_json:
        out.write(json.dumps(record, indent=2) + "\n")
        return 0
    out.write(f"{record['task_id']}  {record['status']}\n")
    for entry in record.get("entries", []):
        out.write(f"{entry['at']}  {history_line(entry)}\n")
    if record.get("dropped"):
        out.write(f"({record['dropped']} more entries were not kept; the function logs have them)\n")
    return 0


def history_line(entry: dict[str, Any]) -> str:
    """One history entry as a person reads it."""
    kind = entry.get("kind")
    if kind == "state":
        before = entry.get("from_status") or "submitted"
        reason = f": {entry['reason']}" if entry.get("reason") else ""
        return f"status    {before} -> {entry['to_status']} by {entry['by']}{reason}"
    if kind == "provider_call":
        retry = f" (retry {entry['retry']})" if entry.get("retry") else ""
        reason = f": {entry['reason']}" if entry.get("reason") else ""
        return f"provider  {entry['job']} {entry['outcome']}{retry} by {entry['by']}{reason}"
    if kind == "delivery":
        answer = (
            f"HTTP {entry['status_code']}" if entry.get("status_code") else entry.get("error") or "no answer"
        )
        latency = f" in {entry['latency_ms']} ms" if entry.get("latency_ms") is not None else ""
        event = f" ({entry['event_status']})" if entry.get("event_status") else ""
        return f"delivery  #{entry['attempt']} {entry['outcome']}: {answer}{latency}{event}"
    if kind == "review":
        new = f" as {entry['regenerated_as']}" if entry.get("regenerated_as") else ""
        return f"review    {entry['action']}{new}"
    if kind == "publication":
        detail = entry.get("media_id") or entry.get("reason") or ""
        return f"shop      video {entry['outcome']}" + (f": {detail}" if detail else "")
    return json.dumps(entry)


def replay(target: Target, task_id: str, out: TextIO) -> int:
    """Queue a finished task's webhook delivery again (same event id)."""
    with ReelayClient(target.api_url, target.api_key) as client:
        queued = client.replay_delivery(task_id)
    out.write(
        f"replay {queued['replay']} of {queued['event_id']} queued for task {queued['task_id']}; "
        f"`reelay status {task_id}` shows its last_delivery\n"
    )
    return 0


def stuck(target: Target, minutes: int, limit: int, as_json: bool, out: TextIO) -> int:
    """The tasks waiting on Creatify with no change for `minutes`, the longest-waiting first."""
    with ReelayClient(target.api_url, target.api_key) as client:
        page = client.stuck(minutes, limit)
    if as_json:
        out.write(json.dumps(page, indent=2) + "\n")
        return 0
    items = page.get("items", [])
    if not items:
        out.write(f"no task has been waiting on Creatify unchanged for {minutes} minutes or more\n")
    for item in items:
        out.write(f"{item['id']}  {item['status']:<16}  unchanged since {item['updated_at']}\n")
    return 0
