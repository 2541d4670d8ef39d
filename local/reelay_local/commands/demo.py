"""`reelay demo`: one product video, end to end, with what every downstream consumer receives.

Starts the local stack, creates a tenant, submits one product over HTTP with a webhook URL
pointing at a local receiver that checks signatures, follows the status live, then shows
the EventBridge event and the SNS message as the consumer queues got them, the verified
webhook delivery, and where to open the preview image and the video. Stops everything
before returning; the exit code says whether every step was seen.

With `--shop shopify|woocommerce` the product comes from a local shop instead: the demo
connects the shop through the API, creates a product with photos in it, and shows the
shop's signed webhook being answered, the task it became (found by the product's id), its
status live, and the `Product Video Generated` event whose external_ref names that product.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx

from reelay_cli.api_client import TERMINAL_STATUSES, ApiError, ReelayClient
from reelay_cli.progress import StatusProgress, follow_task
from reelay_local.aws.moto_server import port_is_open
from reelay_local.commands.launcher import Launched, LaunchOptions, launch

# How long the consumer queues and the webhook receiver may lag the final status.
FAN_OUT_SECONDS = 15.0
_SHOWN_HEADERS = ("content-type", "user-agent", "webhook-id", "webhook-timestamp", "webhook-signature")


class DemoFailed(RuntimeError):
    """A step of the demo did not happen; the message says which."""


@dataclass
class DemoOptions:
    launch: LaunchOptions = field(default_factory=LaunchOptions)
    product_url: str | None = None
    sample: str = "sneaker"
    product_type: str = "product_anyshot"
    aspect_ratio: str = "16x9"
    timeout: float = 120.0
    out_dir: Path = Path(".reelay/demo")


def run_demo(options: DemoOptions, console: TextIO | None = None, errors: TextIO | None = None) -> int:
    console = console or sys.stdout
    errors = errors or sys.stderr
    began = time.monotonic()
    console.write("Reelay demo: one product video, end to end, on this machine\n\n")
    console.write("Starting the local stack (moto server, template.yaml deployed into it, Creatify)...\n")
    console.flush()
    try:
        launched = launch(options.launch)
    except Exception as exc:
        errors.write(f"reelay demo: the local stack did not start: {type(exc).__name__}: {exc}\n")
        return 1
    outcome = 0
    try:
        _Demo(options, launched, console).run()
    except (DemoFailed, ApiError) as exc:
        errors.write(f"\nreelay demo failed: {exc}\n")
        _print_logs_hint(launched, errors)
        outcome = 1
    except KeyboardInterrupt:
        errors.write("\nreelay demo: interrupted\n")
        outcome = 130
    finally:
        ports = launched.ports()
        launched.stop()
    # Checked on every way out: a failed demo must not leave a port behind either.
    still_open = [port for host, port in ports if port_is_open(host, port)]
    if still_open:
        errors.write(f"reelay demo: ports still open after stopping: {still_open}\n")
        return outcome or 1
    if outcome:
        return outcome
    console.write(
        f"\nStopped everything; every port is closed. The demo took {time.monotonic() - began:.1f}s.\n"
    )
    return 0


def _print_logs_hint(launched: Launched, errors: TextIO) -> None:
    if launched.logs.path:
        errors.write(f"The functions' logs are in {launched.logs.path}\n")


class _Demo:
    def __init__(self, options: DemoOptions, launched: Launched, console: TextIO) -> None:
        self.options = options
        self.launched = launched
        self.out = console

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def run(self) -> None:
        from reelay_local.consumers.webhook_receiver import WebhookReceiver

        self._describe_stack()
        if self.launched.shop is not None:
            _ShopSteps(self).run()
            return
        with (
            WebhookReceiver(secret=self.launched.webhook_secret) as receiver,
            ReelayClient(self.launched.api_url, self.launched.api_key) as client,
        ):
            self.say(f"  webhook receiver    {receiver.url}  (a consumer; checks each signature)")
            task = self._submit(client, receiver.url)
            final = self._follow(client, task["id"])
            self._show_event()
            self._show_sns_message()
            self._show_delivery(receiver)
            self._show_media(final)
            if final["status"] == "failed":
                raise DemoFailed(f"the task failed: {final.get('failed_reason')}")

    def _describe_stack(self) -> None:
        launched = self.launched
        deployed = launched.embedded.deployed
        self.say(f"  AWS (moto server)   {launched.moto.endpoint_url}")
        self.say(
            f"                      template.yaml deployed: {len(deployed.functions)} functions, "
            f"table {deployed.table_name}, bus {deployed.outputs['EventBusName']}"
        )
        if launched.uses_simulator:
            sim = launched.simulator.config
            self.say(
                f"  Creatify simulator  {launched.simulator.base_url}  "
                f"(preview image ~{sim.image_seconds:g}s, video ~{sim.video_seconds:g}s)"
            )
        else:
            self.say(
                f"  Creatify            {launched.creatify_base_url}  (the real API; no public callback URL, "
                "so the reconciler polls: expect 30 s or more per stage)"
            )
        self.say(f"  API gateway         {launched.api_url}  (Swagger UI: {launched.swagger_url})")
        if launched.shop is not None:
            from reelay_local.commands.local_shop import PLATFORM_NAMES

            platform = PLATFORM_NAMES[launched.shop.platform]
            self.say(
                f"  local shop          {launched.shop.base_url}  ({platform}-like, sends signed webhooks)"
            )
        self.say(
            f"  ready in {launched.started_seconds:.1f}s; "
            f"tenant {launched.tenant_id!r} created with an API key"
        )
        if launched.logs.path:
            self.say(f"  function logs       {launched.logs.path}")

    def _submit(self, client: ReelayClient, webhook_url: str) -> dict[str, Any]:
        product_url = self.options.product_url
        if product_url is None:
            if not self.launched.uses_simulator:
                raise DemoFailed("with the real Creatify, pass --product-url with a public image URL")
            product_url = self.launched.simulator.sample_product_url(self.options.sample)
        request = {
            "product_url": product_url,
            "type": self.options.product_type,
            "aspect_ratio": self.options.aspect_ratio,
            "webhook_url": webhook_url,
        }
        self.say("\nSubmitting one product: POST /v1/product-videos")
        self.say(_indent(json.dumps(request, indent=2)))
        task = client.submit(request)
        self.say(f"  -> 201, task {task['id']} ({task['status']})")
        return task

    def _follow(self, client: ReelayClient, task_id: str) -> dict[str, Any]:
        self.say("\nStatus (GET /v1/product-videos/{id}, polled):")
        progress = StatusProgress.for_stream(self.out)
        final = follow_task(
            lambda: client.get(task_id), progress, until=TERMINAL_STATUSES, timeout=self.options.timeout
        )
        if final is None:
            raise DemoFailed(
                f"the task was still {progress.current} after {self.options.timeout:g}s (raise --timeout?)"
            )
        self.say(f"  finished as {final['status']} after {progress.elapsed:.1f}s")
        return final

    def _show_event(self) -> None:
        consumers = self.launched.embedded.consumers
        events = _collect(consumers.events)
        if not events:
            raise DemoFailed(f"no EventBridge event reached the consumer queue within {FAN_OUT_SECONDS:g}s")
        bus = self.launched.embedded.deployed.outputs["EventBusName"]
        self.say(f"\nEventBridge: the consumer queue (rule on bus {bus}, source = reelay) received:")
        for event in events:
            self.say(_indent(_pretty(event)))

    def _show_sns_message(self) -> None:
        consumers = self.launched.embedded.consumers
        notes = _collect(consumers.notifications)
        if not notes:
            raise DemoFailed(
                f"no SNS message reached the subscribed consumer queue within {FAN_OUT_SECONDS:g}s"
            )
        self.say("\nSNS: the queue subscribed to the topic received:")
        for note in notes:
            attributes = {k: v.get("Value") for k, v in (note.get("MessageAttributes") or {}).items()}
            self.say(f"  message attributes (filterable): {json.dumps(attributes)}")
            try:
                message = json.loads(note.get("Message", ""))
            except ValueError:
                message = note.get("Message")
            self.say(_indent(_pretty(message)))

    def _show_delivery(self, receiver: Any) -> None:
        received = receiver.wait_for(1, timeout=FAN_OUT_SECONDS)
        if not received:
            raise DemoFailed(f"no webhook reached {receiver.url} within {FAN_OUT_SECONDS:g}s")
        self.say(f"\nWebhook: POST {receiver.url} received:")
        for delivery in received:
            for name in _SHOWN_HEADERS:
                if name in delivery.headers:
                    self.say(f"  {name}: {_trim(delivery.headers[name], 70)}")
            body = delivery.json()
            self.say(f"  body: {json.dumps(_trimmed({k: body.get(k) for k in ('id', 'status')}))} ...")
            if delivery.verified:
                self.say(
                    "  signature: VERIFIED (Standard Webhooks, HMAC-SHA256 with the tenant's webhook secret)"
                )
            else:
                raise DemoFailed(f"the webhook signature did not verify: {delivery.error}")

    def _show_media(self, task: dict[str, Any]) -> None:
        urls = {"preview image": task.get("generated_photo_url"), "video": task.get("generated_video_url")}
        if task["status"] == "video_generated" and not urls["video"]:
            raise DemoFailed("the task finished without a generated_video_url")
        shown = {label: url for label, url in urls.items() if url}
        if not shown:
            return
        folder = self.options.out_dir / task["id"]
        self.say("\nGenerated media (the URLs work while the stack runs; the copies stay):")
        for label, url in shown.items():
            self.say(f"  {label:<14} {url}")
            saved = _save(url, folder, "preview" if label == "preview image" else "video")
            if saved is not None:
                self.say(f"  {'':<14} saved to {saved}")


class _ShopSteps:
    """The demo's steps when the product comes from the local shop (`--shop`)."""

    # What the shop sells in the demo; two photos: the first is the product image, the second
    # the showcase.
    TITLE = "Trail Runner Sneaker"

    def __init__(self, demo: _Demo) -> None:
        self.demo = demo
        self.launched = demo.launched
        self.say = demo.say

    def run(self) -> None:
        from reelay_local.commands.local_shop import connect_local_shop
        from reelay_local.simulators.shop import ShopError

        launched = self.launched
        with ReelayClient(launched.api_url, launched.api_key) as client:
            self.say("\nConnecting the shop: POST /v1/shop-connections (a random secret, never shown)")
            try:
                # The shop also gets write-back: the video goes onto the product.
                link = connect_local_shop(launched.shop, client, write_back=True)
            except ShopError as exc:  # the shop would not save the webhook (WooCommerce's ping failed)
                raise DemoFailed(f"the shop's webhook could not be saved: {exc}") from exc
            launched.shop_link = link
            self.say(f"  -> 201, connection {link.connection_id} for {link.connection['shop']}")
            self.say(f"  the shop's webhook posts {', '.join(link.webhook.topics)} to {link.hook_url}")
            for ping in (a for a in link.shop.deliveries if a.kind == "ping"):
                # WooCommerce saves a webhook only once its address answers an unsigned ping.
                self.say(f"  the shop pinged it first, as WooCommerce does: {ping.status_code}")
            product = self._create_product(link)
            self._show_delivery(link, product)
            task = self._find_task(client, link, product)
            final = self.demo._follow(client, task["id"])
            self._show_event(link, product)
            self.demo._show_sns_message()
            self.demo._show_media(final)
            if final["status"] == "failed":
                raise DemoFailed(f"the task failed: {final.get('failed_reason')}")
            self._show_publication(client, link, task["id"])

    def _show_publication(self, client: ReelayClient, link: Any, task_id: str) -> None:
        from reelay_local.commands.demo_publication import PublicationFailed, show_publication

        try:
            show_publication(self.say, client, link, task_id)
        except PublicationFailed as exc:
            raise DemoFailed(str(exc)) from exc

    def _create_product(self, link: Any) -> dict[str, Any]:
        self.say(f"\nCreating a product in the shop: {self.TITLE!r} with 2 photos")
        product = link.shop.create_product(
            self.TITLE, product_type="Shoes", vendor="Reelay Demo", tags=["demo", "running"], images=2
        )
        self.say(f"  product {product['id']}, first photo {product['images'][0]['src']}")
        return product

    def _show_delivery(self, link: Any, product: dict[str, Any]) -> None:
        if not link.shop.wait_for_deliveries(FAN_OUT_SECONDS):
            raise DemoFailed(f"the shop's webhook was still being delivered after {FAN_OUT_SECONDS:g}s")
        attempts = [a for a in link.shop.deliveries if a.kind == "event" and a.product_id == product["id"]]
        if not attempts:
            raise DemoFailed("the shop sent no webhook for the product")
        for attempt in attempts:
            answer = attempt.status_code if attempt.status_code is not None else attempt.error
            took = attempt.latency_seconds * 1000
            self.say(
                f"  the shop's webhook: {attempt.topic} -> {answer} in {took:.0f} ms "
                f"(try {attempt.attempt}, signed with the connection's secret)"
            )
        last = attempts[-1]
        if not last.ok:
            raise DemoFailed(f"Reelay did not accept the shop's webhook: {last.error or last.status_code}")

    def _find_task(self, client: ReelayClient, link: Any, product: dict[str, Any]) -> dict[str, Any]:
        product_id = str(product["id"])
        self.say(
            f"\nThe product's task: GET /v1/product-videos?source={link.platform}&product_id={product_id}"
        )
        deadline = time.monotonic() + FAN_OUT_SECONDS
        while True:
            items = client.list(source=link.platform, product_id=product_id)["items"]
            if items:
                break
            if time.monotonic() > deadline:
                raise DemoFailed(f"no task for product {product_id} after {FAN_OUT_SECONDS:g}s")
            time.sleep(0.2)
        if len(items) != 1:
            raise DemoFailed(f"product {product_id} became {len(items)} tasks, not one")
        task = items[0]
        self.say(f"  -> task {task['id']} ({task['status']}), product_url {_trim(task['product_url'], 70)}")
        return dict(task)

    def _show_event(self, link: Any, product: dict[str, Any]) -> None:
        consumers = self.launched.embedded.consumers
        finished = ("Product Video Generated", "Product Video Failed")
        product_id = str(product["id"])
        events = [
            event
            for event in _collect(consumers.events)
            if event.get("detail-type") in finished
            and (event.get("detail") or {}).get("external_ref", {}).get("product_id") == product_id
        ]
        if not events:
            raise DemoFailed(
                f"no Product Video Generated event naming product {product_id} reached the consumer "
                f"queue within {FAN_OUT_SECONDS:g}s"
            )
        bus = self.launched.embedded.deployed.outputs["EventBusName"]
        self.say(f"\nEventBridge: the consumer queue (rule on bus {bus}, source = reelay) received:")
        for event in events:
            self.say(_indent(_pretty(event)))
        named = events[-1]["detail"]["external_ref"]
        expected = {
            "source": link.platform,
            "shop": link.connection["shop"],
            "product_id": product_id,
            "title": self.TITLE,
        }
        wrong = {key: named.get(key) for key, value in expected.items() if named.get(key) != value}
        if wrong:
            raise DemoFailed(f"the event's external_ref does not name the product: {wrong}")
        self.say(
            f"  external_ref names the product: {named['source']} shop {named['shop']}, "
            f"product {named['product_id']} {named['title']!r}"
        )


def _collect(drain: Any) -> list[dict[str, Any]]:
    """Everything a consumer queue holds, waiting up to FAN_OUT_SECONDS for the first message."""
    deadline = time.monotonic() + FAN_OUT_SECONDS
    found: list[dict[str, Any]] = drain()
    while not found and time.monotonic() < deadline:
        time.sleep(0.2)
        found = drain()
    return found + drain()


def _save(url: str, folder: Path, stem: str) -> Path | None:
    suffix = Path(url.split("?", 1)[0]).suffix or ".bin"
    try:
        answer = httpx.get(url, timeout=30.0, follow_redirects=True)
        answer.raise_for_status()
    except httpx.HTTPError:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}{suffix}"
    path.write_bytes(answer.content)
    return path


def _trim(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _trimmed(value: Any) -> Any:
    """The JSON a person wants to read: nulls dropped, long strings shortened."""
    if isinstance(value, dict):
        return {k: _trimmed(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_trimmed(v) for v in value]
    if isinstance(value, str):
        return _trim(value)
    return value


def _pretty(value: Any) -> str:
    return json.dumps(_trimmed(value), indent=2)


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())
