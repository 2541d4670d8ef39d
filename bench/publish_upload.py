"""Uploading a video to Shopify streams it: peak memory of the publisher against the file's size.

Starts the local shop in a process of its own (so its copy of the upload is not counted), makes
a product there, then runs Reelay's ShopifyPublisher in this process: stagedUploadsCreate, the
multipart POST of a synthetic video of `--megabytes` MiB read a chunk at a time (as the S3
reader gives it), productUpdate with the media. Python's allocations are traced (tracemalloc)
from before the upload to after the attach, and the peak printed beside the file's size, with
the time taken and the shop's own call counts (one target, one upload, one attach).

    .venv/bin/python bench/publish_upload.py [--megabytes 64]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator

import httpx

from reelay.clients.shopify_admin import ShopifyPublisher
from reelay.ports.shop_publishing import PublishRequest, ShopCredentials

MIB = 1024 * 1024


class SyntheticVideo:
    """`megabytes` MiB of bytes, one MiB at a time, never held whole."""

    content_type = "video/mp4"
    filename = "reelay-bench.mp4"

    def __init__(self, megabytes: int) -> None:
        self.size = megabytes * MIB
        self._chunk = bytes(range(256)) * (MIB // 256)

    def chunks(self) -> Iterator[bytes]:
        for _ in range(self.size // MIB):
            yield self._chunk


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--megabytes", type=int, default=64, help="the video's size in MiB (the local shop takes 256)"
    )
    args = parser.parse_args()
    shop = subprocess.Popen(
        [sys.executable, "-m", "reelay_local.simulators.shop", "--media-processing-seconds", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert shop.stdout is not None
        base = shop.stdout.readline().strip()
        product = httpx.post(f"{base}/_shop/products", json={"title": "Bench Shoe", "images": 1}).json()
        token = httpx.get(f"{base}/_shop/admin").json()["access_token"]
        video = SyntheticVideo(args.megabytes)
        request = PublishRequest(
            task_id="bench",
            shop="reelay-demo.myshopify.com",
            product_id=str(product["id"]),
            credentials=ShopCredentials(access_token=token),
            alt="Bench Shoe",
            video=video,
        )
        publisher = ShopifyPublisher(base_url_override=base, allow_loopback=True)
        tracemalloc.start()
        started = time.perf_counter()
        status = publisher.attach(request)
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        calls = httpx.get(f"{base}/_shop/admin").json()["calls"]
    finally:
        shop.terminate()
        shop.wait(10)
    print(f"uploaded and attached a {args.megabytes} MiB video in {seconds:.2f} s ({status.progress.value})")
    print(f"peak traced memory of the publisher: {peak / MIB:.1f} MiB ({peak / video.size:.1%} of the file)")
    print(
        f"the shop saw {calls.get('stagedUploadsCreate', 0)} upload target, "
        f"{calls.get('staged_upload', 0)} upload, {calls.get('productUpdate', 0)} attach"
    )
    return 0 if peak < video.size / 4 else 1


if __name__ == "__main__":
    raise SystemExit(main())
