"""Generated media files over HTTP on 127.0.0.1: a stand-in for Creatify's CDN of any size.

Files are made on the fly from their size (a fixed byte pattern), so a 200 MB video costs no
memory or disk; `digest(size)` gives what a whole copy must hash to. Paths:
    /files/<size>.<ext>   the file, with Content-Length and the extension's content type
    /cut/<size>.<ext>     claims <size> bytes, sends half of them, then closes the connection
    /fail/<name>          500, every time
Each request is counted by path (`requests`). Used by the archive tests and bench/archive_copy.py.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BLOCK = bytes(range(256)) * 256  # 64 KiB
CONTENT_TYPES = {"mp4": "video/mp4", "jpg": "image/jpeg", "png": "image/png"}


def chunks(size: int) -> Iterator[bytes]:
    sent = 0
    while sent < size:
        piece = BLOCK[: min(len(BLOCK), size - sent)]
        sent += len(piece)
        yield piece


def digest(size: int) -> str:
    hashed = hashlib.sha256()
    for piece in chunks(size):
        hashed.update(piece)
    return hashed.hexdigest()


class MediaSource:
    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        source = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: object) -> None:
                pass

            def do_GET(self) -> None:
                source.requests[self.path] += 1
                kind, _, name = self.path.strip("/").partition("/")
                stem, _, ext = name.partition(".")
                if kind == "fail" or not stem.isdigit():
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                size = int(stem)
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPES.get(ext, "application/octet-stream"))
                self.send_header("Content-Length", str(size))
                self.end_headers()
                limit = size // 2 if kind == "cut" else size
                sent = 0
                for piece in chunks(limit):
                    self.wfile.write(piece)
                    sent += len(piece)
                self.wfile.flush()
                if kind == "cut":
                    self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, kind: str, size: int, ext: str = "mp4") -> str:
        return f"{self.base_url}/{kind}/{size}.{ext}"

    def __enter__(self) -> MediaSource:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
