"""The review console in a real headless Chromium, against `reelay up` with the Creatify simulator.

Tasks are made over HTTP with the API; everything a reviewer does happens in the page. Every
test also checks, as it ends, that the page sent no request anywhere but the API's gateway and
the simulator's media server (both on 127.0.0.1), broke no Content-Security-Policy rule and
threw no script error.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import Error as PlaywrightError

pytestmark = pytest.mark.e2e

# The pipeline runs with the simulator's fast timings; the page polls every 3 s while tasks move.
PIPELINE_SECONDS = 30.0
PAGE_WAIT_MS = 20_000


@pytest.fixture(scope="module")
def ready(shared_reelay_up: tuple[Any, dict[str, Any]]) -> dict[str, Any]:
    return shared_reelay_up[1]


@pytest.fixture(scope="module")
def api(ready: dict[str, Any]) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=ready["api_url"], headers={"Authorization": f"Bearer {ready['api_key']}"}, timeout=15
    ) as client:
        yield client


def submit(api: httpx.Client, ready: dict[str, Any], sample: str = "mug", **fields: Any) -> dict[str, Any]:
    answer = api.post(
        "/v1/product-videos",
        json={"product_url": f"{ready['simulator_url']}/samples/{sample}.png", **fields},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def wait_status(api: httpx.Client, task_id: str, *statuses: str) -> dict[str, Any]:
    deadline = time.monotonic() + PIPELINE_SECONDS
    task: dict[str, Any] = {}
    while time.monotonic() < deadline:
        task = api.get(f"/v1/product-videos/{task_id}").json()
        if task["status"] in statuses:
            return task
        time.sleep(0.1)
    raise AssertionError(f"task {task_id} never reached {statuses}: {task}")


def wait_in_page(target: Locator, script: str, what: str, timeout_ms: int = PAGE_WAIT_MS) -> None:
    """Poll `script` (a function of the element) until it is true; survives the element being redrawn."""
    deadline = time.monotonic() + timeout_ms / 1000
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = target.first.evaluate(script, timeout=1000)
        except PlaywrightError as exc:  # not there yet, or replaced by a refresh meanwhile
            last = exc
        if last is True:
            return
        time.sleep(0.1)
    raise AssertionError(f"{what}: {script} never held (last: {last})")


IMAGE_LOADED = "img => img.complete && img.naturalWidth > 0"
VIDEO_HAS_METADATA = "video => video.error === null && (video.readyState >= 1 || video.duration > 0)"


@dataclass
class Console:
    page: Page
    ready: dict[str, Any]
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"{self.ready['api_url']}/console"

    def open(self) -> Console:
        self.page.goto(self.url)
        return self

    def sign_in(self, key: str | None = None) -> Console:
        self.page.get_by_label("Tenant API key").fill(key or self.ready["api_key"])
        self.page.get_by_role("button", name="Sign in").click()
        if key is None:
            expect(self.page.locator("#review")).to_be_visible()
        return self

    def review_card(self, task_id: str) -> Locator:
        return self.page.locator(f'#review-list > li[data-task-id="{task_id}"]')

    def task_item(self, task_id: str) -> Locator:
        return self.page.locator(f'#task-list > li[data-task-id="{task_id}"]')

    def shown_task_ids(self) -> list[str]:
        return self.page.locator("#task-list > li").evaluate_all("items => items.map(i => i.dataset.taskId)")


def allowed_origins(ready: dict[str, Any]) -> set[tuple[str | None, int | None]]:
    gateway, simulator = urlsplit(ready["api_url"]), urlsplit(ready["simulator_url"])
    return {(gateway.hostname, gateway.port), (simulator.hostname, simulator.port)}


@pytest.fixture
def console(chromium: Browser, ready: dict[str, Any]) -> Iterator[Console]:
    """A fresh tab (its own sessionStorage) on the console, recording every request it makes."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    page = context.new_page()
    page.set_default_timeout(PAGE_WAIT_MS)
    opened = Console(page, ready)
    context.on("request", lambda request: opened.requests.append(request.url))
    page.on("pageerror", lambda error: opened.problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            opened.problems.append(f"CSP: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    try:
        yield opened
    finally:
        context.close()
    origins = allowed_origins(ready)
    strays = [url for url in opened.requests if (urlsplit(url).hostname, urlsplit(url).port) not in origins]
    assert strays == [], f"the page talked to hosts other than the API and the media server: {strays}"
    assert opened.problems == []


def test_signing_in_with_the_key_shows_the_console_and_keeps_the_key_in_this_tab_only(console, ready):
    page = console.open().page
    expect(page.locator("#review")).to_be_hidden()

    console.sign_in()

    expect(page.locator("#sign-in")).to_be_hidden()
    expect(page.locator("#tasks")).to_be_visible()
    stored = page.evaluate("[sessionStorage.getItem('reelay.apiKey'), localStorage.length, document.cookie]")
    assert stored == [ready["api_key"], 0, ""]
    assert page.context.cookies() == []

    page.reload()  # the tab remembers the key until it closes
    expect(page.locator("#review")).to_be_visible()
    expect(page.locator("#sign-in")).to_be_hidden()

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#sign-in")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0


def test_a_wrong_key_shows_a_readable_error_beside_the_sign_in_form(console):
    page = console.open().sign_in("rly_not-a-key-anyone-has").page

    error = page.locator("#sign-in-form .error")
    expect(error).to_contain_text("That API key was not accepted")
    expect(error).to_contain_text("401")
    expect(page.locator("#review")).to_be_hidden()
    assert page.evaluate("sessionStorage.length") == 0


def test_a_task_submitted_without_auto_video_appears_for_review_with_its_preview_loaded(console, api, ready):
    task = submit(api, ready, "watch", auto_video=False)
    console.open().sign_in()  # before the preview exists: the page follows the task on its own

    card = console.review_card(task["id"])
    expect(card).to_be_visible(timeout=PAGE_WAIT_MS)
    wait_in_page(card.locator("img.preview"), IMAGE_LOADED, "the preview image loads")
    photo_url = wait_status(api, task["id"], "image_generated")["generated_photo_url"]
    assert card.locator("img.preview").get_attribute("src") == photo_url
    expect(card.get_by_role("button", name="Approve and make the video")).to_be_enabled()
    expect(card.get_by_role("button", name="Regenerate preview")).to_be_enabled()
    expect(card.get_by_role("button", name="Reject")).to_be_enabled()
    expect(console.task_item(task["id"])).to_contain_text("Waiting for review")


def test_approving_a_preview_leads_to_a_video_that_plays_in_the_page(console, api, ready):
    task = submit(api, ready, "sneaker", auto_video=False)
    wait_status(api, task["id"], "image_generated")
    console.open().sign_in()
    card = console.review_card(task["id"])

    card.get_by_label("Video prompt").fill("slow turntable on a white table")
    card.get_by_label("Motion style").select_option("display")
    card.get_by_role("button", name="Approve and make the video").click()

    expect(card).to_have_count(0, timeout=PAGE_WAIT_MS)  # no longer waiting for review
    video = console.task_item(task["id"]).locator("video")
    expect(video).to_have_count(1, timeout=PAGE_WAIT_MS)
    wait_in_page(video, VIDEO_HAS_METADATA, "the video loads its metadata")
    done = wait_status(api, task["id"], "video_generated")
    assert video.get_attribute("src") == done["generated_video_url"]
    assert (done["video_prompt"], done["motion_style"]) == ("slow turntable on a white table", "display")
    expect(console.task_item(task["id"])).to_have_attribute("data-status", "video_generated")


def test_regenerating_shows_a_new_preview_on_a_new_task_linked_to_the_old_one(console, api, ready):
    old = submit(api, ready, "headphones", auto_video=False)
    wait_status(api, old["id"], "image_generated")
    console.open().sign_in()
    card = console.review_card(old["id"])

    card.get_by_label("New image prompt").fill("on a marble counter, morning light")
    with console.page.expect_response(lambda r: r.url.endswith("/regenerate")) as regenerated:
        card.get_by_role("button", name="Regenerate preview").click()

    assert regenerated.value.status == 201
    new_id = regenerated.value.json()["id"]
    assert api.get(f"/v1/product-videos/{old['id']}").json()["regenerated_as"] == new_id != old["id"]
    new_card = console.review_card(new_id)
    expect(new_card).to_be_visible(timeout=PAGE_WAIT_MS)
    expect(new_card).to_contain_text(f"Regenerated from {old['id']}")
    wait_in_page(new_card.locator("img.preview"), IMAGE_LOADED, "the new preview image loads")
    new = api.get(f"/v1/product-videos/{new_id}").json()
    assert new["regen_source_id"] == old["id"]
    assert new["image_prompt"] == "on a marble counter, morning light"
    assert new_card.locator("img.preview").get_attribute("src") == new["generated_photo_url"]
    assert new["generated_photo_url"] != old["generated_photo_url"]
    expect(card).to_have_count(0)  # the old preview is no longer up for review
    expect(console.task_item(old["id"])).to_contain_text(f"Replaced by a new preview: {new_id}")


def test_rejecting_shows_the_task_failed_with_the_reason(console, api, ready):
    task = submit(api, ready, "bottle", auto_video=False)
    wait_status(api, task["id"], "image_generated")
    console.open().sign_in()
    card = console.review_card(task["id"])

    card.get_by_label("Reason").fill("label is upside down")
    card.get_by_role("button", name="Reject").click()

    expect(card).to_have_count(0, timeout=PAGE_WAIT_MS)
    item = console.task_item(task["id"])
    expect(item).to_have_attribute("data-status", "failed", timeout=PAGE_WAIT_MS)
    expect(item.locator(".reason")).to_have_text("Failed: rejected: label is upside down")
    assert api.get(f"/v1/product-videos/{task['id']}").json()["failed_reason"] == (
        "rejected: label is upside down"
    )


def test_a_conflict_appears_beside_the_button_that_caused_it(console, api, ready):
    task = submit(api, ready, "mug", auto_video=False)
    wait_status(api, task["id"], "image_generated")
    page = console.open().sign_in().page
    card = console.review_card(task["id"])
    expect(card).to_be_visible()
    # Someone else approves it meanwhile; this tab has not refreshed yet (its list reads are held).
    page.route(lambda url: "/v1/product-videos?" in url, lambda route: route.abort())
    assert api.post(f"/v1/product-videos/{task['id']}/video", json={}).status_code == 202
    wait_status(api, task["id"], "video_generating", "video_generated")

    card.get_by_role("button", name="Approve and make the video").click()

    error = card.locator(".action-approve .error")
    expect(error).to_contain_text("Could not approve")
    expect(error).to_contain_text("409 wrong_status")
    expect(error).to_contain_text("the task is video_")
    expect(card.locator(".action-reject .error")).to_be_hidden()
    expect(card.locator(".action-regenerate .error")).to_be_hidden()

    card.get_by_role("button", name="Reject").click()
    expect(card.locator(".action-reject .error")).to_contain_text("Could not reject")
    expect(card.locator(".action-reject .error")).to_contain_text("409 wrong_status")
    expect(card.locator(".action-regenerate .error")).to_be_hidden()
    page.unroute_all()


def test_the_task_list_filters_by_shop_and_status_and_pages_with_the_cursor(console, api, ready):
    shop = f"paging-{uuid.uuid4().hex[:8]}.myshopify.com"
    for number in range(7):
        submit(api, ready, "bottle", auto_video=False, external_ref={"shop": shop, "product_id": str(number)})
    newest_first = [t["id"] for t in api.get("/v1/product-videos", params={"shop": shop}).json()["items"]]
    assert len(newest_first) == 7
    page = console.open().sign_in().page

    page.get_by_label("Shop").fill(shop)
    page.get_by_label("Per page").select_option("5")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#task-list > li")).to_have_count(5)
    assert console.shown_task_ids() == newest_first[:5]
    expect(page.get_by_role("button", name="Newer")).to_be_disabled()

    page.get_by_role("button", name="Older").click()
    expect(page.locator("#task-list > li")).to_have_count(2)
    assert console.shown_task_ids() == newest_first[5:]
    expect(page.get_by_role("button", name="Older")).to_be_disabled()

    page.get_by_role("button", name="Newer").click()
    expect(page.locator("#task-list > li")).to_have_count(5)
    assert console.shown_task_ids() == newest_first[:5]

    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#tasks-empty")).to_be_visible()
    expect(page.locator("#task-list > li")).to_have_count(0)


def test_the_page_talks_only_to_the_api_and_loads_media_from_the_simulator(console, api, ready):
    finished = submit(api, ready, "watch")
    waiting = submit(api, ready, "sneaker", auto_video=False)
    wait_status(api, finished["id"], "video_generated")
    wait_status(api, waiting["id"], "image_generated")

    console.open().sign_in()
    wait_in_page(console.review_card(waiting["id"]).locator("img"), IMAGE_LOADED, "a preview loads")
    wait_in_page(console.task_item(finished["id"]).locator("video"), VIDEO_HAS_METADATA, "a video loads")

    gateway, simulator = urlsplit(ready["api_url"]), urlsplit(ready["simulator_url"])
    sent = [urlsplit(url) for url in console.requests]
    assert {(u.hostname, u.port) for u in sent} == {
        ("127.0.0.1", gateway.port),
        ("127.0.0.1", simulator.port),
    }
    api_calls = [u for u in sent if "/v1/" in u.path]
    assert api_calls and all(u.port == gateway.port and u.path.startswith(gateway.path) for u in api_calls)
    media = [u for u in sent if u.port == simulator.port]
    assert media and all(u.path.startswith("/media/") for u in media)


def api_reads(console: Console) -> list[str]:
    return [url for url in console.requests if "/v1/product-videos?" in url]


def test_the_page_keeps_polling_after_an_action_and_pauses_while_the_tab_is_hidden(console, api, ready):
    task = submit(api, ready, "headphones", auto_video=False)
    wait_status(api, task["id"], "image_generated")
    page = console.open().sign_in().page
    console.review_card(task["id"]).get_by_role("button", name="Reject").click()
    expect(console.task_item(task["id"])).to_have_attribute("data-status", "failed")
    set_hidden = (
        "hidden => { for (const name of ['hidden', 'visibilityState'])"
        " Object.defineProperty(document, name, {configurable: true,"
        " value: name === 'hidden' ? hidden : (hidden ? 'hidden' : 'visible')});"
        " document.dispatchEvent(new Event('visibilitychange')); }"
    )

    # After an action the page reads every 3 s for a while: wait for one such read, then hide.
    with page.expect_request(lambda request: "/v1/product-videos?" in request.url, timeout=4000):
        pass
    page.evaluate(set_hidden, True)
    page.wait_for_timeout(300)  # a read already under way may finish
    console.requests.clear()
    page.wait_for_timeout(3300)  # past the next poll, had the tab been in view
    assert api_reads(console) == [], "the page polled while the tab was hidden"

    with page.expect_request(lambda request: "/v1/product-videos?" in request.url, timeout=1000):
        page.evaluate(set_hidden, False)  # back in view: reads at once
