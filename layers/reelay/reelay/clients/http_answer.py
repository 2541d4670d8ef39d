"""One HTTP answer read whole, as the urllib3-based clients (Creatify, the shops) hand it on.

Status, reason, headers (case-insensitive, urllib3's) and body, with the two readings the
callers use: the body as text and as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Answer:
    status_code: int
    reason_phrase: str
    headers: Mapping[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not (an empty body included)."""
        return json.loads(self.content)
