"""`reelay demo` in a subprocess, as `make demo` runs it: exit code, what it shows, what it leaves behind."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.reelay_process import port_open, start_reelay

pytestmark = pytest.mark.e2e

FAST = ("--image-seconds", "0.5", "--video-seconds", "1")


def _ports(text: str) -> set[int]:
    return {int(port) for port in re.findall(r"http://127\.0\.0\.1:(\d+)", text)}


def test_demo_shows_the_video_the_event_the_sns_message_and_a_verified_delivery_then_leaves_nothing(
    tmp_path: Path,
):
    demo = start_reelay(tmp_path, "demo", *FAST)
    assert demo.process.wait(timeout=120) == 0, demo.describe()
    out = demo.stdout

    assert "video_generated" in out
    assert "EventBridge" in out and '"detail-type": "Product Video Generated"' in out
    assert "SNS" in out and '"status": "video_generated"' in out
    assert "signature: VERIFIED" in out
    assert re.search(r"video\s+http://127\.0\.0\.1:\d+/media/[0-9a-f-]+\.mp4", out), out

    saved = sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / ".reelay" / "demo").rglob("*.*"))
    assert [Path(p).name for p in saved] == ["preview.jpg", "video.mp4"]
    assert (tmp_path / saved[1]).read_bytes()[4:8] == b"ftyp"  # an MP4 a player can open

    ports = _ports(out)
    assert len(ports) >= 4  # moto, the simulator, the gateway, the webhook receiver
    assert [port for port in ports if port_open(port)] == []


def test_demo_exits_non_zero_with_the_reason_when_the_video_fails(tmp_path: Path):
    demo = start_reelay(tmp_path, "demo", *FAST, "--sim-fail-rate", "1", "--sim-fail-stage", "video")
    assert demo.process.wait(timeout=120) == 1, demo.describe()
    assert "Product Video Failed" in demo.stdout  # consumers hear about failures too
    assert "the task failed:" in demo.stderr
    assert [port for port in _ports(demo.stdout) if port_open(port)] == []


def test_demo_with_a_shopify_shop_shows_its_product_become_a_generated_event_naming_it(tmp_path: Path):
    demo = start_reelay(tmp_path, "demo", "--shop", "shopify", *FAST)
    assert demo.process.wait(timeout=60) == 0, demo.describe()
    out = demo.stdout

    assert re.search(r"-> 201, connection con_[0-9a-f]+ for reelay-demo\.myshopify\.com", out), out
    product_id = re.search(r"product (\d+), first photo http://127\.0\.0\.1:\d+/cdn/shop/files/", out)
    assert product_id, out
    assert "the shop's webhook: products/create -> 200" in out
    assert f"?source=shopify&product_id={product_id[1]}" in out
    assert re.search(r"-> task [0-9a-f-]{36} \(initializing\)", out), out
    assert "video_generated" in out
    assert '"detail-type": "Product Video Generated"' in out
    assert f'"product_id": "{product_id[1]}"' in out and '"title": "Trail Runner Sneaker"' in out
    assert "external_ref names the product: shopify shop reelay-demo.myshopify.com" in out
    assert [port for port in _ports(out) if port_open(port)] == []  # the shop's port too
