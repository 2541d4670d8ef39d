"""The operator's commands against `reelay up`, as an operator types them: shops and reviews."""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

import pytest

from tests.e2e.reelay_process import child_environment, reelay_command

pytestmark = pytest.mark.e2e

SECRET = "shpss_e2e-cli-secret-value"


def reelay(ready: dict[str, Any], *args: str, secret: str | None = None, stdin: str = "") -> Any:
    env = child_environment()
    env.update(REELAY_API_URL=ready["api_url"], REELAY_API_KEY=ready["api_key"])
    if secret is not None:
        env["REELAY_SHOP_SECRET"] = secret
    return subprocess.run(  # noqa: S603 (our own command, fixed arguments)
        [*reelay_command(), *args], env=env, input=stdin, capture_output=True, text=True, timeout=60
    )


def test_an_operator_connects_lists_and_disconnects_a_shop_and_the_secret_is_never_printed(reelay_up):
    _, ready = reelay_up

    connected = reelay(ready, "shop", "connect", "shopify", "acme-e2e.myshopify.com", "--json", secret=SECRET)
    assert connected.returncode == 0, connected.stderr
    connection = json.loads(connected.stdout)
    assert connection["hook_url"].startswith(ready["api_url"] + "/hooks/shopify/con_")

    piped = reelay(ready, "shop", "connect", "woocommerce", "http://127.0.0.1:9/", stdin="wc-secret\n")
    assert piped.returncode == 0, piped.stderr
    assert "hook URL" in piped.stdout

    listed = reelay(ready, "shop", "list")
    assert listed.returncode == 0, listed.stderr
    assert connection["id"] in listed.stdout and "http://127.0.0.1:9" in listed.stdout

    again = reelay(ready, "shop", "connect", "shopify", "acme-e2e.myshopify.com", secret="x")
    assert again.returncode == 1
    assert "already connected" in again.stderr

    gone = reelay(ready, "shop", "disconnect", connection["id"])
    assert gone.returncode == 0, gone.stderr
    assert connection["id"] not in reelay(ready, "shop", "list").stdout
    missing = reelay(ready, "shop", "disconnect", connection["id"])
    assert missing.returncode == 1 and "404" in missing.stderr

    for run in (connected, piped, listed, again, gone):
        assert SECRET not in run.stdout + run.stderr
        assert "wc-secret" not in run.stdout + run.stderr


def test_connect_without_a_secret_says_how_to_give_one(reelay_up):
    _, ready = reelay_up
    result = reelay(ready, "shop", "connect", "shopify", "nosecret.myshopify.com")
    assert result.returncode == 1
    assert "REELAY_SHOP_SECRET" in result.stderr


def _wait_status(ready: dict[str, Any], task_id: str, wanted: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        shown = reelay(ready, "status", task_id)
        task = json.loads(shown.stdout)
        if task["status"] == wanted or time.monotonic() > deadline:
            return task
        time.sleep(0.3)


def test_an_operator_reviews_previews_from_the_command_line(reelay_up):
    _, ready = reelay_up
    product = f"{ready['simulator_url']}/samples/mug.png"

    def preview() -> str:
        submitted = reelay(ready, "submit", product, "--no-auto-video")
        assert submitted.returncode == 0, submitted.stderr
        task_id = json.loads(submitted.stdout)["id"]
        assert _wait_status(ready, task_id, "image_generated")["status"] == "image_generated"
        return task_id

    first, second, third = preview(), preview(), preview()

    approved = reelay(ready, "approve", first, "--video-prompt", "slow turn")
    regenerated = reelay(ready, "regenerate", second, "--image-prompt", "on marble")
    rejected = reelay(ready, "reject", third, "--reason", "too dark")
    again = reelay(ready, "reject", first)

    assert approved.returncode == 0, approved.stderr
    assert regenerated.returncode == 0 and "regenerated as" in regenerated.stdout, regenerated.stderr
    assert rejected.returncode == 0 and "rejected: too dark" in rejected.stdout, rejected.stderr
    assert again.returncode == 1 and "409" in again.stderr
    assert _wait_status(ready, first, "video_generated")["status"] == "video_generated"


def test_an_operator_lists_tenants_and_dead_letters_and_replays_a_delivery_against_reelay_up(reelay_up):
    _, ready = reelay_up
    aws = ["--stack", "reelay", "--endpoint-url", ready["aws_endpoint_url"], "--region", ready["region"]]
    product = f"{ready['simulator_url']}/samples/mug.png"

    tenants = reelay(ready, "tenant", "list", "--json", *aws)
    assert tenants.returncode == 0, tenants.stderr
    assert [t["tenant_id"] for t in json.loads(tenants.stdout)] == [ready["tenant_id"]]
    assert ready["webhook_secret"] not in tenants.stdout

    letters = reelay(ready, "dlq", "list", "--json", *aws)
    assert letters.returncode == 0, letters.stderr
    queues = {"provider": [], "delivery": [], "media": [], "publish": [], "stream": []}
    assert json.loads(letters.stdout) == queues
    refused = reelay(ready, "dlq", "redrive", "--queue", "provider", "--task-id", "nothing", *aws)
    assert refused.returncode == 0 and "moved 0 message(s)" in refused.stdout, refused.stderr

    submitted = reelay(ready, "submit", product)
    task_id = json.loads(submitted.stdout)["id"]
    assert _wait_status(ready, task_id, "video_generated")["status"] == "video_generated"
    no_hook = reelay(ready, "replay", task_id)
    assert no_hook.returncode == 1 and "409" in no_hook.stderr and "webhook_url" in no_hook.stderr

    stuck = reelay(ready, "stuck", "--minutes", "1")
    assert stuck.returncode == 0, stuck.stderr
    assert "no task has been waiting" in stuck.stdout
