"""An HTTP front for the local stack: requests become REST proxy events for the template's routes."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from reelay_local.stack import LocalStack

# Header names API Gateway adds or rewrites; a client's own values are not passed through.
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "host"}
_INTEGRATION_FAILED = b'{"message": "Internal server error"}'



class Gateway:
    """Binds at once (so its URL can go into the stack's settings); serves once `stack` is set."""

    def __init__(self, stack: LocalStack | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.stack = stack
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                headers["X-Forwarded-Proto"] = "http"
                headers["Host"] = gateway.host_header
                if gateway.stack is None:
                    self._reply(503, {"Content-Type": "application/json"}, b'{"message": "starting"}')
                    return
                try:
                    answer = gateway.stack.api_request(
                        self.command, parts.path, query_string=parts.query, headers=headers, body=body
                    )
                except Exception as exc:  # what API Gateway does when the integration fails
                    gateway.errors.append(f"{type(exc).__name__}: {exc}")
                    self._reply(
                        502, {"Content-Type": "application/json"}, b'{"message": "Internal server error"}'
                    )
                    return
                self._reply(answer.status, answer.headers, answer.body)

            def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in ("content-length", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.errors: list[str] = []
        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="gateway", daemon=True)

    @property
    def host_header(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    @property
    def url(self) -> str:
        return f"http://{self.host_header}"

    def start(self) -> Gateway:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
