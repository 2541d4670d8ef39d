"""An archived video in the media bucket, read as a stream (the publish worker's VideoSource).

Its size and type come from the task's archive record, so asking for an upload target needs no
request to S3; the bytes come from one GetObject whose body is read a bounded chunk at a time,
so a 1 GB video never sits in the worker's memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reelay.clients.aws import aws_client

CHUNK_BYTES = 1024 * 1024


class ArchivedVideo:
    def __init__(
        self, bucket: str, key: str, size: int, content_type: str, filename: str, s3: Any = None
    ) -> None:
        self.bucket = bucket
        self.key = key
        self._size = size
        self._content_type = content_type
        self._filename = filename
        self._s3 = s3

    @property
    def size(self) -> int:
        return self._size

    @property
    def content_type(self) -> str:
        return self._content_type

    @property
    def filename(self) -> str:
        return self._filename

    def chunks(self) -> Iterator[bytes]:
        s3 = self._s3 if self._s3 is not None else aws_client("s3")
        body = s3.get_object(Bucket=self.bucket, Key=self.key)["Body"]
        try:
            yield from body.iter_chunks(CHUNK_BYTES)
        finally:
            body.close()
