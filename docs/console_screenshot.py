"""Retakes docs/console.png: the review console on the embedded stack with the Creatify simulator.

Starts the local stack in this process (as `reelay up` does), makes a few tasks (previews
waiting for review, one regenerated, one finished video, one rejected), signs in to the console
in headless Chromium and saves a full-page screenshot once every image and video has loaded.

    .venv/bin/python docs/console_screenshot.py [--out docs/console.png]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, sync_playwright

from reelay_local.commands.launcher import LaunchOptions, SimulatorOptions, launch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.e2e.browser import CHROMIUM, LAUNCH_ARGS  # noqa: E402  (the tests' browser settings)

SHOP = "acme-outdoor.myshopify.com"


def wait_status(api: httpx.Client, task_id: str, *statuses: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        task = api.get(f"/v1/product-videos/{task_id}").json()
        if task["status"] in statuses:
            return task
        time.sleep(0.2)
    raise RuntimeError(f"task {task_id} never reached {statuses}")


def make_tasks(api: httpx.Client, simulator_url: str) -> None:
    def submit(sample: str, title: str, **fields: Any) -> dict[str, Any]:
        body = {
            "product_url": f"{simulator_url}/samples/{sample}.png",
            "external_ref": {"source": "shopify", "shop": SHOP, "product_id": sample, "title": title},
            **fields,
        }
        answer = api.post("/v1/product-videos", json=body)
        answer.raise_for_status()
        return answer.json()

    finished = submit("mug", "Enamel camp mug", aspect_ratio="1x1")
    rejected = submit("bottle", "Insulated bottle, 750 ml", auto_video=False)
    regenerated = submit("watch", "Field watch", auto_video=False)
    waiting = submit("sneaker", "Trail runner", auto_video=False, image_prompt="on wet rocks by a river")
    for task in (rejected, regenerated, waiting):
        wait_status(api, task["id"], "image_generated")
    api.post(f"/v1/product-videos/{rejected['id']}/reject", json={"reason": "label is cut off"})
    new = api.post(
        f"/v1/product-videos/{regenerated['id']}/regenerate",
        json={"image_prompt": "on a wooden desk, morning light"},
    ).json()
    wait_status(api, new["id"], "image_generated")
    wait_status(api, finished["id"], "video_generated")


def wait_for_media(page: Page) -> None:
    page.wait_for_function(
        "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)"
        " && [...document.querySelectorAll('video')].every(v => v.readyState >= 2)",
        timeout=30_000,
    )
    # Show a frame of each video rather than its poster (the preview image).
    page.evaluate(
        "Promise.all([...document.querySelectorAll('video')].map(v =>"
        " new Promise(done => { v.onseeked = done; v.currentTime = Math.min(1, v.duration / 2); })))"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "console.png")
    args = parser.parse_args()
    launched = launch(
        LaunchOptions(
            simulator=SimulatorOptions(image_seconds=0.5, video_seconds=1), log_path=Path("/dev/null")
        )
    )
    try:
        info = launched.ready_info()
        headers = {"Authorization": f"Bearer {info['api_key']}"}
        with httpx.Client(base_url=info["api_url"], headers=headers, timeout=15) as api:
            make_tasks(api, info["simulator_url"])
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{info['api_url']}/console")
            page.get_by_label("Tenant API key").fill(info["api_key"])
            page.get_by_role("button", name="Sign in").click()
            page.locator("#task-list > li").nth(4).wait_for()
            wait_for_media(page)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out), full_page=True)
            browser.close()
    finally:
        launched.stop()
    print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
