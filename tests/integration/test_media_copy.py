"""The streamed copy into S3: whole objects only, from a real HTTP source on 127.0.0.1, into moto.

Failures are real: a source that closes the connection mid-body, and (the one fault moto
cannot produce) S3 failing an UploadPart, injected with a botocore hook.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from reelay.clients.media_copy import StreamedMediaCopier
from reelay.ports.media import CopyFailed
from reelay_local.simulators.media_source import MediaSource, digest

BUCKET = "reelay-media-test"
MIB = 1024 * 1024
PART = 5 * MIB  # S3's smallest part, so a few MiB make several parts
STEM = "tasks/acme/t-1/video"


@pytest.fixture
def source() -> Iterator[MediaSource]:
    with MediaSource() as served:
        yield served


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


class S3Calls:
    """Counts S3 operations (botocore hook); `fail_part` makes that UploadPart raise."""

    def __init__(self, client: Any, fail_part: int | None = None) -> None:
        self.seen: Counter[str] = Counter()
        self.fail_part = fail_part
        client.meta.events.register("before-call.s3", self._before)

    def _before(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.seen[model.name] += 1
        if model.name == "UploadPart" and self.seen["UploadPart"] == self.fail_part:
            raise ConnectionResetError("injected: the process lost S3 mid-upload")


def copier(s3: Any) -> StreamedMediaCopier:
    return StreamedMediaCopier(BUCKET, s3=s3, part_size=PART)


def stored_digest(s3: Any, key: str) -> str:
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"]
    hashed = hashlib.sha256()
    for piece in iter(lambda: body.read(MIB), b""):
        hashed.update(piece)
    return hashed.hexdigest()


def objects(s3: Any) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def open_uploads(s3: Any) -> list[str]:
    return [u["Key"] for u in s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])]


def test_a_small_photo_is_one_put_with_its_bytes_and_content_type(source, s3):
    calls = S3Calls(s3)

    copied = copier(s3).copy(source.url("files", 13_671, "jpg"), ["127.0.0.1"], "tasks/acme/t-1/photo")

    assert (copied.key, copied.size, copied.content_type) == (
        "tasks/acme/t-1/photo.jpg",
        13_671,
        "image/jpeg",
    )
    assert calls.seen == Counter({"PutObject": 1})
    head = s3.head_object(Bucket=BUCKET, Key=copied.key)
    assert (head["ContentLength"], head["ContentType"]) == (13_671, "image/jpeg")
    assert stored_digest(s3, copied.key) == digest(13_671)


def test_a_large_video_is_a_multipart_upload_of_whole_parts(source, s3):
    size = 12 * MIB + 123
    calls = S3Calls(s3)

    copied = copier(s3).copy(source.url("files", size), ["127.0.0.1"], STEM)

    assert (copied.key, copied.size, copied.content_type) == (f"{STEM}.mp4", size, "video/mp4")
    assert calls.seen == Counter({"CreateMultipartUpload": 1, "UploadPart": 3, "CompleteMultipartUpload": 1})
    assert stored_digest(s3, copied.key) == digest(size)


@pytest.mark.parametrize("size", [3 * MIB, 12 * MIB], ids=["one part", "multipart"])
def test_a_source_cut_mid_stream_leaves_no_object_and_no_open_upload(source, s3, size):
    with pytest.raises(CopyFailed, match="source stream broke"):
        copier(s3).copy(source.url("cut", size), ["127.0.0.1"], STEM)

    assert objects(s3) == []
    assert open_uploads(s3) == []


def test_s3_failing_after_some_parts_aborts_the_upload_and_a_retry_completes(source, s3):
    size = 16 * MIB
    calls = S3Calls(s3, fail_part=2)

    with pytest.raises(CopyFailed, match="storing the copy failed"):
        copier(s3).copy(source.url("files", size), ["127.0.0.1"], STEM)

    assert objects(s3) == []
    assert open_uploads(s3) == []
    assert calls.seen["AbortMultipartUpload"] == 1

    copied = copier(s3).copy(source.url("files", size), ["127.0.0.1"], STEM)

    assert objects(s3) == [f"{STEM}.mp4"]
    assert stored_digest(s3, copied.key) == digest(size)


def test_a_source_answering_an_error_stores_nothing(source, s3):
    calls = S3Calls(s3)

    with pytest.raises(CopyFailed, match="HTTP 500"):
        copier(s3).copy(f"{source.base_url}/fail/video.mp4", ["127.0.0.1"], STEM)

    assert calls.seen == Counter()


def test_the_copy_connects_to_the_checked_address_not_to_what_the_name_resolves_to(source, s3):
    # The URL names a host that resolves nowhere; the checked address is the only way in.
    url = source.url("files", 2048, "jpg").replace("127.0.0.1", "media.invalid")

    copied = copier(s3).copy(url, ["127.0.0.1"], "tasks/acme/t-1/photo")

    assert copied.size == 2048
    assert sum(source.requests.values()) == 1
