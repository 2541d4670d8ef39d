"""A local webhook receiver that verifies Standard Webhooks signatures, as a consumer would."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from reelay.security.webhook_signing import WebhookVerificationError, verify


@dataclass
class ReceivedWebhook:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    error: str | None

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """Listens on 127.0.0.1; answers `status_code` (200 by default) and records every POST."""

    def __init__(
        self, secret: str | None = None, status_code: int = 200, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.secret = secret
        self.status_code = status_code
        self.received: list[ReceivedWebhook] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified, error = False, None
                if receiver.secret:
                    try:
                        verify(receiver.secret, headers, body)
                        verified = True
                    except WebhookVerificationError as exc:
                        error = str(exc)
                with receiver._arrived:
                    receiver.received.append(ReceivedWebhook(self.path, headers, body, verified, error))
                    receiver._arrived.notify_all()
                self.send_response(receiver.status_code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="webhook-receiver", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hooks/reelay"

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedWebhook]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
