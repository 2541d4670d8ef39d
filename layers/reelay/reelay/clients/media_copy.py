"""Copying a Creatify file into the media bucket, streamed: never the whole file in memory.

The source is fetched from an address the URL guard checked (clients/pinned_http.py), like a
webhook: no second DNS look-up, no redirect followed, no proxy from the environment. What
arrives goes to S3 as it comes: a file that fits in one part is one PutObject; a larger one
is a multipart upload of PART_SIZE parts, so at most about two parts are held at a time
whatever the file's size. The object appears only when it is whole: a single PutObject, or
CompleteMultipartUpload after every part; on any failure before that, the upload is aborted
(and the bucket's lifecycle rule removes what a process that died mid-copy left behind).
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from urllib3.exceptions import HTTPError, NewConnectionError, SSLError

from reelay.clients.aws import aws_client
from reelay.clients.pinned_http import pinned_open
from reelay.ports.media import CopiedFile, CopyFailed

if TYPE_CHECKING:
    from urllib3 import BaseHTTPResponse

# S3's smallest part is 5 MiB; 8 MiB keeps a 1 GB video under 130 parts (of 10,000 allowed).
PART_SIZE = 8 * 1024 * 1024
CHUNK_SIZE = 256 * 1024
CONNECT_TIMEOUT_SECONDS = 3.0
READ_TIMEOUT_SECONDS = 30.0
# Larger than any product video Creatify makes; a source claiming more is refused before a byte.
MAX_BYTES = 5 * 1024**3

EXTENSIONS: dict[str, str] = {
    "video/mp4": "mp4",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "video/quicktime": "mov",
    "video/webm": "webm",
}
_BY_EXTENSION = {ext: content_type for content_type, ext in EXTENSIONS.items()} | {"jpeg": "image/jpeg"}
_GENERIC = {"", "application/octet-stream", "binary/octet-stream"}


def extension(content_type: str) -> str:
    return EXTENSIONS.get(content_type, "bin")


def content_type_of(header: str | None, url: str) -> str:
    """The answer's media type; for a generic one, what the URL's file extension says."""
    declared = (header or "").split(";", 1)[0].strip().lower()
    if declared not in _GENERIC:
        return declared
    suffix = urlsplit(url).path.rsplit(".", 1)[-1].lower()
    return _BY_EXTENSION.get(suffix, declared or "application/octet-stream")


def _parts(chunks: Iterator[bytes], size: int) -> Iterator[bytearray]:
    """The stream cut into parts of exactly `size` bytes, the last one shorter (or empty).

    Two buffers take turns (the caller has uploaded a part before it asks for the one after
    next), so the copy allocates no new part-sized block per part: freed blocks of that size
    are not handed back to the system at once, and a new one each time would grow the peak.
    """
    buffers = (bytearray(size), bytearray(size))
    turn, filled = 0, 0
    for chunk in chunks:
        view = memoryview(chunk)
        while view:
            take = min(len(view), size - filled)
            buffers[turn][filled : filled + take] = view[:take]
            filled += take
            view = view[take:]
            if filled == size:
                yield buffers[turn]
                turn, filled = 1 - turn, 0
    yield buffers[turn][:filled]


class StreamedMediaCopier:
    def __init__(
        self, bucket: str, s3: Any = None, part_size: int = PART_SIZE, tls: ssl.SSLContext | None = None
    ) -> None:
        self.bucket = bucket
        self._s3 = s3
        self._part_size = part_size
        # The source is fetched like a webhook is sent (pinned_open, urllib3, which botocore has
        # already loaded): no redirect, no kept connection, no proxy. `tls`: the roots to trust.
        self._tls = tls

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = aws_client("s3")
        return self._s3

    def copy(self, url: str, addresses: Sequence[str], key_stem: str) -> CopiedFile:
        error = "no address to connect to"
        for address in addresses:
            try:
                response = pinned_open(
                    "GET",
                    url,
                    address,
                    connect_timeout=CONNECT_TIMEOUT_SECONDS,
                    read_timeout=READ_TIMEOUT_SECONDS,
                    tls=self._tls,
                )
            except (NewConnectionError, SSLError):
                # The error's name as httpx gave it, as copies failed before.
                error = "could not connect: ConnectError"
                continue  # the host's next checked address may answer
            except HTTPError as exc:
                raise CopyFailed(f"source request failed: {type(exc).__name__}") from exc
            try:
                return self._store(response, url, key_stem)
            finally:
                response.close()
        raise CopyFailed(error)

    def _store(self, response: BaseHTTPResponse, url: str, key_stem: str) -> CopiedFile:
        if response.status != 200:
            raise CopyFailed(f"source answered HTTP {response.status}")
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_BYTES:
            raise CopyFailed(f"source is {declared} bytes, more than {MAX_BYTES}")
        content_type = content_type_of(response.headers.get("content-type"), url)
        key = f"{key_stem}.{extension(content_type)}"
        parts = _parts(response.stream(CHUNK_SIZE), self._part_size)
        try:
            first = next(parts)
            second = next(parts, bytearray())
        except HTTPError as exc:
            raise CopyFailed(f"source stream broke: {type(exc).__name__}") from exc
        if not second:
            return self._put_whole(key, first, content_type, declared)
        return self._multipart(key, first, second, parts, content_type, declared)

    def _put_whole(self, key: str, body: bytearray, content_type: str, declared: str | None) -> CopiedFile:
        _check_length(len(body), declared)
        try:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)
        except Exception as exc:
            raise _s3_failure(exc) from exc
        return CopiedFile(key=key, size=len(body), content_type=content_type)

    def _multipart(
        self,
        key: str,
        first: bytearray,
        second: bytearray,
        rest: Iterator[bytearray],
        content_type: str,
        declared: str | None,
    ) -> CopiedFile:
        upload = self.s3.create_multipart_upload(
            Bucket=self.bucket, Key=key, ContentType=content_type, ChecksumAlgorithm="CRC32"
        )["UploadId"]
        try:
            done: list[dict[str, Any]] = []
            size = 0
            for part in _chained(first, second, rest):
                if not part:
                    break
                answer = self.s3.upload_part(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload,
                    PartNumber=len(done) + 1,
                    Body=part,
                    ChecksumAlgorithm="CRC32",
                )
                done.append(_completed_part(len(done) + 1, answer))
                size += len(part)
                if size > MAX_BYTES:
                    raise CopyFailed(f"source sent more than {MAX_BYTES} bytes")
            _check_length(size, declared)
            self.s3.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": done}
            )
        except BaseException as exc:
            self._abort(key, upload)
            if isinstance(exc, Exception) and not isinstance(exc, CopyFailed):
                raise _s3_failure(exc) from exc
            raise
        return CopiedFile(key=key, size=size, content_type=content_type)

    def _abort(self, key: str, upload: str) -> None:
        # An abort that fails leaves parts, never an object: the lifecycle rule removes them.
        with contextlib.suppress(Exception):
            self.s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload)


def _chained(first: bytearray, second: bytearray, rest: Iterator[bytearray]) -> Iterator[bytearray]:
    yield first
    yield second
    yield from rest


def _completed_part(number: int, answer: dict[str, Any]) -> dict[str, Any]:
    part = {"PartNumber": number, "ETag": answer["ETag"]}
    if answer.get("ChecksumCRC32"):
        part["ChecksumCRC32"] = answer["ChecksumCRC32"]
    return part


def _check_length(size: int, declared: str | None) -> None:
    if declared is not None and declared.isdigit() and int(declared) != size:
        raise CopyFailed(f"source sent {size} of {declared} bytes")


def _s3_failure(exc: Exception) -> CopyFailed:
    if isinstance(exc, HTTPError):
        return CopyFailed(f"source stream broke: {type(exc).__name__}")
    code = getattr(exc, "response", {}).get("Error", {}).get("Code") if hasattr(exc, "response") else None
    return CopyFailed(f"storing the copy failed: {code or type(exc).__name__}")
