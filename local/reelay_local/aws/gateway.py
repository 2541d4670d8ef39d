"""An HTTP front for the local stack: requests become REST proxy events for the template's routes.

Like API Gateway's invoke URL, the API lives under the stage: `http://127.0.0.1:<port>/<stage>`
reaches the routes the template declares, and the event's `path` is the resource path
without the stage (as API Gateway sends it), while `requestContext.path` keeps it.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from reelay_local.aws.stack import ApiAnswer, LocalStack

# Header names API Gateway adds or rewrites; a client's own values are not passed through.
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "host"}
_INTEGRATION_FAILED = b'{"message": "Internal server error"}'
# API Gateway's payload limit for REST APIs, answered in the template's DEFAULT_4XX shape.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
_TOO_LARGE = b'{"error": {"code": "rejected_by_gateway", "message": "Request Too Large"}}'

log = logging.getLogger(__name__)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up (`curl | head`, a closed browser tab) is no news for the console;
        # anything else goes to the log, not to stderr as socketserver would print it.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        log.exception("serving %s failed", client_address)


class Gateway:
    """Binds at once (so its URL can go into the stack's settings); serves once `stack` is set."""

    def __init__(
        self, stack: LocalStack | None = None, host: str = "127.0.0.1", port: int = 0, stage: str = "dev"
    ) -> None:
        self.stack = stack
        self.stage = stage
        # Called after every request the stack answered (the embedded stack wakes its pollers).
        self.after_request: Callable[[], None] | None = None
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # An idle kept-alive connection ends after this long instead of holding a thread forever.
            timeout = 120
            # Headers and body go out in two writes: with Nagle's algorithm the body waits for the
            # client's delayed ACK, about 40 ms added to every answer on a kept-alive connection.
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_PAYLOAD_BYTES:
                    # API Gateway refuses it before any function runs; the body is never read.
                    self.close_connection = True
                    self._reply(413, {"Content-Type": "application/json"}, _TOO_LARGE)
                    return
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                headers["X-Forwarded-Proto"] = "http"
                headers["Host"] = gateway.host_header
                if gateway.stack is None:
                    self._reply(503, {"Content-Type": "application/json"}, b'{"message": "starting"}')
                    return
                prefix = f"/{gateway.stage}"
                if parts.path != prefix and not parts.path.startswith(prefix + "/"):
                    message = {"message": f"not found: the API is under {gateway.api_url}"}
                    self._reply(404, {"Content-Type": "application/json"}, json.dumps(message).encode())
                    return
                try:
                    answer = gateway.stack.api_request(
                        self.command,
                        parts.path.removeprefix(prefix) or "/",
                        query_string=parts.query,
                        headers=headers,
                        body=body,
                    )
                except Exception:  # what API Gateway does when the integration fails
                    log.exception("%s %s failed in its function", self.command, parts.path)
                    answer = ApiAnswer(502, {"Content-Type": "application/json"}, _INTEGRATION_FAILED)
                if gateway.after_request is not None:
                    gateway.after_request()
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

            def __getattr__(self, name: str) -> Any:
                # Any other method (TRACE, CONNECT, PROPFIND...) goes to the stack too, which
                # answers as API Gateway does, instead of http.server's 501.
                if name.startswith("do_"):
                    return self._serve
                raise AttributeError(name)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = _Server((host, port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="gateway", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def host_header(self) -> str:
        host, port = self.address
        return f"{host}:{port}"

    @property
    def url(self) -> str:
        """The server's root; the API itself is at `api_url`."""
        return f"http://{self.host_header}"

    @property
    def api_url(self) -> str:
        """The base URL clients use, with the stage, like an API Gateway invoke URL."""
        return f"{self.url}/{self.stage}"

    def start(self) -> Gateway:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def close(self) -> None:
        """Free the port of a gateway that was never started."""
        self._server.server_close()
