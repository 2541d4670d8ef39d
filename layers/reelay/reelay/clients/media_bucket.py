"""Short-lived URLs to objects in the media bucket, minted per request behind a media link.

Presigning is local arithmetic (no AWS call) with the function role's credentials, so the URL
lasts at most as long as that session: fine for a redirect followed at once, which is all it
is used for (security/media_links.py says why nothing lasting carries one).
"""

from __future__ import annotations

from typing import Any

from reelay.clients.aws import aws_session


class PresignedMediaUrls:
    def __init__(self, bucket: str, s3: Any = None) -> None:
        self.bucket = bucket
        self._s3 = s3

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            from botocore.config import Config

            # Signature version 4 (X-Amz-Expires): what S3 requires of new buckets' presigned URLs.
            self._s3 = aws_session().create_client("s3", config=Config(signature_version="s3v4"))
        return self._s3

    def presigned_get(self, key: str, expires_in: int) -> str:
        return str(
            self.s3.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
            )
        )
