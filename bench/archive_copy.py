"""Peak memory of the media worker's copy: a large video streamed into S3, never held whole.

A generated video (default 200 MB, made on the fly: local/reelay_local/simulators/media_source.py)
is served on 127.0.0.1; a fresh interpreter copies it with the worker's own code
(`reelay.clients.media_copy.StreamedMediaCopier`, through the URL guard's checked address) into
the template's kind of bucket in a moto server over HTTP, and reports its peak resident set size
(the kernel's VmHWM) before and after the copy, and how long the copy took. The object is read
back and its SHA-256 compared with the source's.

Prints the peak beside the file size and the goal (at most half the media worker's MemorySize
in template.yaml), plus time and throughput; exits 1 if the goal is missed or the copy is wrong.

    .venv/bin/python bench/archive_copy.py [--size-mb 200]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUCKET = "reelay-media-bench"
STEM = "tasks/bench/task-1/video"
# The peak may use at most this share of the function's MemorySize.
GOAL_SHARE = 0.5

_COPY = """
import json, sys, time

def peak_rss_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])

url, bucket, stem = sys.argv[1:4]
from reelay.clients.media_copy import StreamedMediaCopier
from reelay.security.url_guard import check_outbound_url
copier = StreamedMediaCopier(bucket)
copier.s3  # the client, made before the copy starts (as a warm worker has it)
before = peak_rss_kib()
started = time.perf_counter()
copied = copier.copy(url, check_outbound_url(url, allow_loopback=True), stem)
seconds = time.perf_counter() - started
print(json.dumps({"key": copied.key, "size": copied.size, "seconds": seconds,
                  "rss_before_kib": before, "rss_kib": peak_rss_kib()}))
"""


def memory_size_mb() -> int:
    from reelay_local.aws.template import load_template

    return int(load_template()["Resources"]["MediaWorkerFunction"]["Properties"]["MemorySize"])


def stored_digest(s3: object, key: str) -> str:
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"]  # type: ignore[attr-defined]
    hashed = hashlib.sha256()
    for piece in iter(lambda: body.read(8 * 1024 * 1024), b""):
        hashed.update(piece)
    return hashed.hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200, help="size of the generated video (MB)")
    args = parser.parse_args()
    size = args.size_mb * 1000 * 1000

    from reelay_local.aws.moto_server import MotoServer
    from reelay_local.simulators.media_source import MediaSource, digest

    with MotoServer() as moto, MediaSource() as source:
        s3 = moto.clients("s3")
        s3.create_bucket(Bucket=BUCKET)
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL": moto.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        run = subprocess.run(
            [sys.executable, "-c", _COPY, source.url("files", size), BUCKET, STEM],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode != 0:
            print(run.stderr, file=sys.stderr)
            return 1
        result = json.loads(run.stdout.strip().splitlines()[-1])
        whole = stored_digest(s3, result["key"]) == digest(size)

    mib = 1024 * 1024
    limit_mib = memory_size_mb() * GOAL_SHARE
    peak_mib = result["rss_kib"] / 1024
    ok = peak_mib <= limit_mib and whole and result["size"] == size
    print("archive copy: a generated video streamed from 127.0.0.1 into S3 (moto server over HTTP)")
    print(f"file size        {size / mib:8.1f} MiB ({args.size_mb} MB)")
    print(
        f"peak RSS         {peak_mib:8.1f} MiB  (before the copy {result['rss_before_kib'] / 1024:.1f} MiB)"
    )
    print(
        f"goal             {limit_mib:8.1f} MiB  ({GOAL_SHARE:.0%} of the media worker's "
        f"MemorySize {memory_size_mb()} MB)  {'ok' if peak_mib <= limit_mib else 'MISSED'}"
    )
    print(f"time             {result['seconds']:8.2f} s")
    print(f"throughput       {size / mib / result['seconds']:8.1f} MiB/s")
    print(f"object           {'whole, same SHA-256 as the source' if whole else 'WRONG'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
