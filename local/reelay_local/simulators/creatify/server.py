"""The simulator's HTTP server and its Python face, `CreatifySimulator`.

Paths:
  /api/...        the Creatify contract (endpoints.py), behind the transport faults below
  /media/...      rendered previews and videos, persona thumbnails (no auth, like a CDN)
  /samples/...    drawn product images, so a demo needs no internet
  /_sim/...       admin knobs for another process (faults, accounts, calls, webhooks, concurrency);
                  no auth, loopback dev tool, not part of the contract

Transport faults on every request outside /media, /samples and /_sim, in this order: latency
(plus `post_latency_seconds` for a POST), then an answer from `error_queue`, `rate_429` or
`rate_5xx` (before any processing, so nothing is charged), then the real answer; a POST may
then hang (`hang_rate`) after it was fully processed.
Fault bodies look like what sits in front of a Django app: DRF's throttle JSON for 429, Django's
HTML page for 500, a gateway's HTML page for 502/503/504.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import re
import socket
import threading
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from reelay_local.simulators.creatify import media, personas
from reelay_local.simulators.creatify.concurrency import ConcurrencyGauge
from reelay_local.simulators.creatify.config import GATEWAY_ERRORS, Faults, SimulatorConfig
from reelay_local.simulators.creatify.endpoints import (
    ApiRequest,
    ApiResponse,
    CreatifyApi,
    detail,
    json_response,
)
from reelay_local.simulators.creatify.lifecycle import TaskLifecycle
from reelay_local.simulators.creatify.scheduler import Scheduler
from reelay_local.simulators.creatify.store import MediaStore, Store
from reelay_local.simulators.creatify.webhooks import WebhookRecord, WebhookSender

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
_UNRECORDED_PREFIXES = ("/media/", "/samples/", "/_sim/")
_TASK_MEDIA = re.compile(r"^/media/(?P<name>[0-9a-f-]{36}\.(?:jpg|mp4))$")
_PERSONA_MEDIA = re.compile(r"^/media/personas/(?P<id>[0-9a-f-]{36})/preview_(?P<ratio>16x9|9x16|1x1)\.jpg$")
_SAMPLE = re.compile(r"^/samples/(?P<name>[a-z]+)\.png$")
_CONTENT_TYPES = {"jpg": "image/jpeg", "mp4": "video/mp4", "png": "image/png"}

_DJANGO_500 = (
    b'<!doctype html>\n<html lang="en">\n<head>\n  <title>Server Error (500)</title>\n</head>\n'
    b"<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n"
)


@dataclass(frozen=True)
class CallRecord:
    """One API request the simulator answered (or is about to answer, for a hanging POST)."""

    method: str
    path: str
    query: str
    status_code: int
    api_id: str | None
    timestamp: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class CreatifySimulator:
    """A local Creatify Product-to-Video API over real HTTP. Start it, point a client at base_url."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self._config = config or SimulatorConfig()
        self._store = Store()
        for api_id, (api_key, credits) in self._config.accounts.items():
            self._store.add_account(api_id, api_key, credits)
        self._media = MediaStore()
        self._scheduler = Scheduler()
        seed = self._config.seed
        self._webhooks = WebhookSender(
            lambda: self._config.faults,
            self._scheduler,
            random.Random(None if seed is None else seed + 2),
            self._config.webhook_timeout_seconds,
        )
        self._lifecycle = TaskLifecycle(
            self._config, self._store, self._media, self._scheduler, self._webhooks, lambda: self.base_url
        )
        self._api = CreatifyApi(self._config, self._store, self._lifecycle, lambda: self.base_url)
        self._fault_rng = random.Random(None if seed is None else seed + 3)
        self._fault_lock = threading.Lock()
        self._calls: list[CallRecord] = []
        self._calls_lock = threading.Lock()
        self._concurrency = ConcurrencyGauge()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._serve_thread: threading.Thread | None = None
        self._base_url: str | None = None

    # ---- lifecycle

    def start(self) -> Self:
        if self._server is not None:
            return self
        if self._stopping.is_set():
            raise RuntimeError("a stopped simulator cannot be restarted; create a new one")
        server = _Server((self._config.host, self._config.port), _Handler)
        server.simulator = self
        host, port = server.server_address[:2]
        # Bound to every interface, it is still reached through loopback from this machine.
        shown = "127.0.0.1" if host == "0.0.0.0" else host  # noqa: S104 - compared, not bound
        self._base_url = f"http://{shown}:{port}"
        self._server = server
        self._scheduler.start()
        self._serve_thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="creatify-sim-http", daemon=True
        )
        self._serve_thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cancel timers and pending webhooks, free the port. Safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        # Wakes requests sleeping in latency or hang faults so their threads end promptly.
        self._stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        self._scheduler.stop()
        self._webhooks.stop()
        self._lifecycle.stop()
        if self._serve_thread is not None:
            self._serve_thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ---- public knobs and views

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the simulator is not started")
        return self._base_url

    @property
    def config(self) -> SimulatorConfig:
        return self._config

    @property
    def faults(self) -> Faults:
        """The live fault settings: change a field and the next request or webhook obeys it."""
        return self._config.faults

    def set_faults(self, **fields: Any) -> None:
        self._config.faults.update(**fields)

    def add_account(self, api_id: str, api_key: str, credits: float = 100.0) -> None:
        self._store.add_account(api_id, api_key, credits)

    def credits(self, api_id: str) -> float:
        return self._store.credits(api_id)

    def calls(self, method: str | None = None, path_contains: str | None = None) -> list[CallRecord]:
        with self._calls_lock:
            calls = list(self._calls)
        return [
            call
            for call in calls
            if (method is None or call.method == method.upper())
            and (path_contains is None or path_contains in call.path)
        ]

    def concurrency(self) -> dict[str, dict[str, int]]:
        """API requests being answered now and the most answered at once, by method and in "all".

        A request counts from its arrival until its answer is written (through any latency or
        hang fault), so a client's cap on calls in flight shows up here as the peak.
        """
        return self._concurrency.snapshot()

    def reset_concurrency_peak(self) -> None:
        """Start the peaks again from what is in flight now (between phases of a run)."""
        self._concurrency.reset_peak()

    @property
    def webhooks_sent(self) -> list[WebhookRecord]:
        """Webhooks POSTed (including failed attempts), oldest first; dropped ones are not here."""
        return [record for record in self._webhooks.records if not record.dropped]

    @property
    def webhooks_dropped(self) -> list[WebhookRecord]:
        return [record for record in self._webhooks.records if record.dropped]

    def task(self, task_id: str) -> dict[str, Any] | None:
        task = self._store.find(task_id)
        return task.to_api() if task else None

    def sample_product_url(self, name: str = "sneaker") -> str:
        if name not in media.SAMPLE_PRODUCTS:
            raise ValueError(f"no sample product {name!r}; choose from {', '.join(media.SAMPLE_PRODUCTS)}")
        return f"{self.base_url}/samples/{name}.png"

    # ---- request handling (server threads)

    def _serve(self, request: ApiRequest) -> tuple[ApiResponse, float]:
        """The answer to a request, and how long to stall before sending it (hang fault)."""
        if request.path.startswith("/_sim/"):
            return self._admin(request), 0.0
        if request.path.startswith(("/media/", "/samples/")):
            return self._file(request), 0.0
        return self._serve_api(request)

    def _serve_api(self, request: ApiRequest) -> tuple[ApiResponse, float]:
        faults = self._config.faults
        latency = faults.latency_seconds + (faults.post_latency_seconds if request.method == "POST" else 0.0)
        if latency > 0:
            self._stopping.wait(latency)
        injected = self._injected_status(faults)
        api_id = request.header("X-API-ID")
        if injected is not None:
            response = _fault_response(injected)
        else:
            response, authenticated = self._api.handle(request)
            api_id = authenticated or api_id
        stall = 0.0
        if injected is None and request.method == "POST":
            with self._fault_lock:
                if self._fault_rng.random() < faults.hang_rate:
                    stall = faults.hang_seconds
        call = CallRecord(
            request.method, request.path, _raw_query(request), response.status, api_id, time.time()
        )
        self._record(call)
        return response, stall

    def _injected_status(self, faults: Faults) -> int | None:
        with self._fault_lock:
            if faults.error_queue:
                return faults.error_queue.pop(0)
            if self._fault_rng.random() < faults.rate_429:
                return 429
            if self._fault_rng.random() < faults.rate_5xx:
                return self._fault_rng.choice(GATEWAY_ERRORS)
        return None

    def _record(self, call: CallRecord) -> None:
        with self._calls_lock:
            self._calls.append(call)

    def _file(self, request: ApiRequest) -> ApiResponse:
        if request.method not in ("GET", "HEAD"):
            return detail(405, f'Method "{request.method}" not allowed.')
        path = request.path
        if match := _TASK_MEDIA.match(path):
            name = match["name"]
            data = self._media.get(name)
            if data is not None:
                return ApiResponse(200, data, _CONTENT_TYPES[name.rsplit(".", 1)[1]])
        elif match := _PERSONA_MEDIA.match(path):
            persona = personas.get_persona(match["id"])
            if persona is not None:
                data = _persona_card(persona.creator_name, match["ratio"], self._config.media_size)
                return ApiResponse(200, data, "image/jpeg")
        elif (match := _SAMPLE.match(path)) and match["name"] in media.SAMPLE_PRODUCTS:
            return ApiResponse(200, media.sample_product_png(match["name"]), "image/png")
        return detail(404, "Not found.")

    def _admin(self, request: ApiRequest) -> ApiResponse:
        route = (request.method, request.path)
        try:
            if route == ("GET", "/_sim/health"):
                return json_response(200, {"status": "ok", "base_url": self.base_url})
            if route == ("GET", "/_sim/faults"):
                return json_response(200, self.faults.to_dict())
            if route in (("PUT", "/_sim/faults"), ("PATCH", "/_sim/faults")):
                self.set_faults(**_admin_body(request))
                return json_response(200, self.faults.to_dict())
            if route == ("POST", "/_sim/accounts"):
                body = _admin_body(request)
                api_id, api_key = body.get("api_id"), body.get("api_key")
                credits = body.get("credits", 100.0)
                if not isinstance(api_id, str) or not isinstance(api_key, str) or not api_id or not api_key:
                    raise ValueError("api_id and api_key must be non-empty strings")
                if isinstance(credits, bool) or not isinstance(credits, int | float):
                    raise ValueError("credits must be a number")
                self.add_account(api_id, api_key, float(credits))
                return json_response(201, {"api_id": api_id, "credits": float(credits)})
            if route == ("GET", "/_sim/calls"):
                return json_response(200, [call.to_dict() for call in self.calls()])
            if route == ("GET", "/_sim/concurrency"):
                return json_response(200, self.concurrency())
            if route == ("DELETE", "/_sim/concurrency"):
                self.reset_concurrency_peak()
                return json_response(200, self.concurrency())
            if route == ("GET", "/_sim/webhooks"):
                return json_response(200, [record.to_dict() for record in self._webhooks.records])
            if request.method == "GET" and request.path.startswith("/_sim/tasks/"):
                task = self.task(request.path.removeprefix("/_sim/tasks/").strip("/"))
                return json_response(200, task) if task else detail(404, "Not found.")
        except ValueError as error:
            return detail(400, str(error))
        return detail(404, "Not found.")


def _raw_query(request: ApiRequest) -> str:
    return "&".join(f"{name}={value}" for name, value in request.query_pairs)


def _admin_body(request: ApiRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"body is not JSON: {error}") from error
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    return body


@lru_cache(maxsize=128)
def _persona_card(name: str, ratio: str, long_side: int) -> bytes:
    return media.render_persona_jpeg(name, ratio, long_side)


def _fault_response(status: int) -> ApiResponse:
    if status == 429:
        return json_response(
            429, {"detail": "Request was throttled. Expected available in 1 second."}, {"Retry-After": "1"}
        )
    if status == 500:
        return ApiResponse(500, _DJANGO_500, "text/html; charset=utf-8")
    if status in GATEWAY_ERRORS:
        phrase = f"{status} {HTTPStatus(status).phrase}"
        page = (
            f"<html>\r\n<head><title>{phrase}</title></head>\r\n<body>\r\n"
            f"<center><h1>{phrase}</h1></center>\r\n</body>\r\n</html>\r\n"
        )
        return ApiResponse(status, page.encode(), "text/html")
    return detail(status, f"Simulated HTTP {status} fault.")


# --------------------------------------------------------------------------- HTTP plumbing


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    simulator: CreatifySimulator

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)

    def close_connections(self) -> None:
        """Cut kept-alive client connections, so nothing is answered after stop()."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CreatifySimulator/1"
    # Idle keep-alive connections end after this long instead of holding a thread forever.
    timeout = 120
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _handle(self) -> None:
        simulator = self.server.simulator
        body = self._read_body()
        if body is None:
            return
        split = urlsplit(self.path)
        host = self.headers.get("Host") or simulator.base_url.removeprefix("http://")
        request = ApiRequest(
            method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            query_pairs=parse_qsl(split.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            origin=f"http://{host}",
        )
        counted = not request.path.startswith(_UNRECORDED_PREFIXES)
        with simulator._concurrency.track(request.method) if counted else contextlib.nullcontext():
            try:
                response, stall = simulator._serve(request)
            except Exception:
                log.exception("simulator failed on %s %s", self.command, self.path)
                response, stall = _fault_response(500), 0.0
            if stall > 0:
                # The request is done and paid for; the answer just never comes in time.
                simulator._stopping.wait(stall)
            if request.path.startswith("/media/") and response.status == 200:
                response = _ranged(response, self.headers.get("Range"))
            self._write(response)

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length_header = self.headers.get("Content-Length")
        try:
            length = int(length_header) if length_header else 0
        except ValueError:
            self._refuse(400, "Invalid Content-Length.")
            return None
        if length > MAX_BODY_BYTES:
            self._refuse(413, "Request body too large.")
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                chunk_size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                self._refuse(400, "Malformed chunked body.")
                return None
            if chunk_size == 0:
                # Trailers end with an empty line.
                while self.rfile.readline(1024).strip():
                    pass
                return b"".join(chunks)
            size += chunk_size
            if size > MAX_BODY_BYTES:
                self._refuse(413, "Request body too large.")
                return None
            chunks.append(self.rfile.read(chunk_size))
            self.rfile.readline(1024)

    def _refuse(self, status: int, message: str) -> None:
        self.close_connection = True
        self._write(detail(status, message))

    def _write(self, response: ApiResponse) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError, OSError):
            # The client gave up (a read timeout during a hang fault, typically).
            self.close_connection = True


def _ranged(response: ApiResponse, range_header: str | None) -> ApiResponse:
    """Honour a single `bytes=a-b` range: browsers (Safari above all) need it to play an MP4."""
    response.headers["Accept-Ranges"] = "bytes"
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", (range_header or "").strip())
    if match is None or match.group(1) == match.group(2) == "":
        return response
    total = len(response.body)
    first, last = match.group(1), match.group(2)
    if first == "":
        start, end = max(0, total - int(last)), total - 1
    else:
        start, end = int(first), min(total - 1, int(last)) if last else total - 1
    if start >= total or start > end:
        return ApiResponse(416, b"", response.content_type, {"Content-Range": f"bytes */{total}"})
    headers = {**response.headers, "Content-Range": f"bytes {start}-{end}/{total}"}
    return ApiResponse(206, response.body[start : end + 1], response.content_type, headers)
