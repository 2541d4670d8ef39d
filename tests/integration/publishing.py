"""Standing in for the media archive in publishing tests (until it is merged): the archived video in
moto S3 and `archive["video"]` on the task, written as the archive worker's conditional update would.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from reelay.dal import keys
from reelay.dal.attribute_values import to_attribute
from reelay_local.aws.embedded import EmbeddedStack

VIDEO = bytes(range(256)) * 1200 + b"\r\n--not-a-boundary\r\n"  # about 300 KB, binary


def archive_video(embedded: EmbeddedStack, task: dict[str, Any], *, failed: str | None = None) -> None:
    """What the archive worker does: the object in the media bucket, then archive["video"] on the task."""
    key = f"tasks/tenant/{task['id']}/video.mp4"
    if failed is None:
        embedded.clients("s3").put_object(
            Bucket=os.environ["MEDIA_BUCKET"], Key=key, Body=VIDEO, ContentType="video/mp4"
        )
        record = {"state": "archived", "key": key, "bytes": len(VIDEO), "content_type": "video/mp4"}
    else:
        record = {"state": "failed", "failed_reason": failed, "attempts": 3}
    record["updated_at"] = keys.iso(datetime.now(UTC))
    embedded.clients("dynamodb").update_item(
        TableName=os.environ["TABLE_NAME"],
        Key=keys.task_key(task["id"]),
        UpdateExpression="SET #archive = :archive",
        ExpressionAttributeNames={"#archive": "archive"},
        ExpressionAttributeValues={":archive": to_attribute({"video": record})},
    )
