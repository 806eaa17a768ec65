"""HTTP for `public/`: static files, `/healthz`, nothing else. A thin shell.

What each request is answered (representations, validators, preconditions, ranges,
cache policy) is `feeds.http`'s; this module puts it on Starlette and uvicorn, and
keeps connections in check: a request's head must arrive within `HEAD_TIMEOUT`
seconds, an idle keep-alive connection is closed after `KEEP_ALIVE` seconds, and open
connections stay below the process's limit of open files (less `HEADROOM` for the
daemon's own files): beyond the cap the longest idle connection is closed to make
room, so `/healthz` and new readers are answered however many sockets sit idle.
Repeated log lines (a full table of open files, bad requests) are logged once, then
counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import resource
import socket
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import h11
import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from feeds.http import (
    NO_STORE,
    Answer,
    Files,
    Version,
    answer,
    not_found,
    redirect_to_folder,
    resolve,
)
from feeds.metrics import Metrics
from feeds.queryhttp import ROUTES, QueryAnswers, Snapshot

log = logging.getLogger("feeds.serve")

HEAD_TIMEOUT = 10.0  # seconds for a request's head to arrive, from connect or last answer
KEEP_ALIVE = 5  # seconds an idle keep-alive connection is kept
HEADROOM = 256  # open files kept free: one burst of accepts, and the daemon's own
BACKLOG = 128  # the listen queue, and so the most connections accepted in one go
MAX_CONNECTIONS = 4096
REPEAT_WINDOW = 60.0  # seconds during which a repeated log line is only counted


def make_app(
    public: Path,
    status: Callable[[], Mapping[str, Any]],
    *,
    feed_size: int = 50,
    metrics: Metrics | None = None,
    catalog: Callable[[], Snapshot] | None = None,
) -> ASGIApp:
    """`catalog`: the daemon's current catalog, for the feeds cut to measure
    (`/feed.atom?...`, `feeds.queryhttp`); without it, those are 404."""
    files = Files(public, feed_size)
    metrics = metrics or Metrics()
    queries = QueryAnswers(catalog) if catalog is not None else None

    async def show_metrics(request: Request) -> Response:
        body, media_type = metrics.render()
        return Response(body, 200, headers={"cache-control": NO_STORE, "content-type": media_type})

    async def health(request: Request) -> Response:
        report = dict(status())
        return JSONResponse(
            report,
            status_code=200 if report.get("ok") else 503,
            headers={"cache-control": NO_STORE},
        )

    async def serve_file(request: Request) -> Response:
        url_path = request.scope["path"]
        path = resolve(url_path)
        if path is None:
            return response(not_found())
        version = files.current(path) or await read_once(path)
        if version is None:
            if not url_path.endswith("/") and await run_in_threadpool(
                files.is_folder_with_index, path
            ):
                return response(redirect_to_folder(url_path))
            return response(not_found())
        return response(answer(version, request.method, request_fields(request)))

    reading: dict[str, asyncio.Future[Version | None]] = {}

    async def read_once(path: str) -> Version | None:
        """Read, hash and compress `path` off the event loop, once however many
        requests ask for it meanwhile: at 256 clients a new version of a feed was
        otherwise read and compressed by each request that arrived during the first
        read (85 times per version, a third of the throughput while pages land)."""
        pending = reading.get(path)
        if pending is None:
            pending = asyncio.ensure_future(read_and_keep(path))
            reading[path] = pending
        # A reader that hangs up cancels its wait, not the read the others await.
        return await asyncio.shield(pending)

    async def read_and_keep(path: str) -> Version | None:
        try:
            version = await run_in_threadpool(files.read, path)
            if version is not None:
                files.keep(path, version)
            return version
        finally:
            del reading[path]

    async def serve_query(request: Request) -> Response:
        assert queries is not None
        fmt = request.scope["path"].rpartition(".")[2]
        query_string = request.scope["query_string"].decode("utf-8", "replace")
        found = await run_in_threadpool(
            queries.answer, fmt, query_string, request.method, request_fields(request)
        )
        return response(found)

    query_routes = [Route(path, serve_query, methods=["GET", "HEAD"]) for path in ROUTES]
    app = Starlette(
        routes=[
            Route("/healthz", health, methods=["GET", "HEAD"]),
            Route("/metrics", show_metrics, methods=["GET", "HEAD"]),
            *(query_routes if queries is not None else []),
            Route("/{path:path}", serve_file, methods=["GET", "HEAD"]),
        ]
    )
    return counting(app, metrics)


def counting(app: ASGIApp, metrics: Metrics) -> ASGIApp:
    """`app`, counting its answers by status for `/metrics`."""

    async def counted(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                metrics.answered(message["status"])
            await send(message)

        await app(scope, receive, send_counted)

    return counted


def request_fields(request: Request) -> dict[str, str]:
    """Request header fields by lower-case name, repeated ones joined with commas
    (so that two dates make an invalid date, as RFC 9110 wants)."""
    fields: dict[str, str] = {}
    for name, value in request.headers.items():
        fields[name] = f"{fields[name]}, {value}" if name in fields else value
    return fields


def response(found: Answer) -> Response:
    return Response(found.body, found.status, headers=found.headers)


class Connection(H11Protocol):
    """uvicorn's HTTP/1.1 connection, with a deadline for each request's head and a
    cap on open connections (class attributes, set per server)."""

    max_connections = MAX_CONNECTIONS
    head_timeout = HEAD_TIMEOUT
    idle_since = 0.0
    deadline: Any = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        # A response goes out as two writes (head, body): without this, a small body
        # waits for the client's delayed ACK of the head (40 ms on Linux).
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.arm()
        if len(self.connections) > self.max_connections:
            self.make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self.arm()

    def arm(self) -> None:
        """From now on, the next request's head has `head_timeout` seconds to arrive."""
        if self.deadline is not None:
            self.deadline.cancel()
        self.idle_since = self.loop.time()
        self.deadline = self.loop.call_later(self.head_timeout, self.expire)

    def is_busy(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def expire(self) -> None:
        # A request being answered re-arms the deadline when it is done.
        if not self.is_busy():
            self.close()

    def close(self) -> None:
        if self.transport.is_closing():
            return
        # (Half a request may have come in: then there is nothing to say.)
        with contextlib.suppress(h11.LocalProtocolError):
            self.conn.send(h11.ConnectionClosed())
        self.transport.close()

    def make_room(self) -> None:
        """Over the cap: close the connection idle the longest (this one, if every
        other is answering a request, with a 503)."""
        idle = [c for c in self.connections if isinstance(c, Connection) and not c.is_busy()]
        others = [c for c in idle if c is not self and not c.transport.is_closing()]
        log.warning(
            "%d connections open, the most kept at once: closing idle ones", len(self.connections)
        )
        if others:
            min(others, key=lambda c: c.idle_since).close()
        else:
            self.transport.write(
                b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n"
                b"retry-after: 1\r\nconnection: close\r\n\r\n"
            )
            self.transport.close()


def connection_cap() -> int:
    """The most connections to keep open: the limit of open files less a headroom."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(16, min(MAX_CONNECTIONS, soft - HEADROOM))


class RepeatFilter(logging.Filter):
    """Lets the first of a kind of log line through, then counts those like it (same
    logger, level and first line, numbers aside) for `window` seconds; the next one
    after that says how many were left out."""

    def __init__(self, window: float = REPEAT_WINDOW) -> None:
        super().__init__()
        self.window = window
        self.seen: dict[tuple[str, int, str], tuple[float, int]] = {}
        self.lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        first_line = record.getMessage().partition("\n")[0]
        key = (record.name, record.levelno, re.sub(r"\d+", "#", first_line))
        now = time.monotonic()
        with self.lock:
            since, count = self.seen.get(key, (-self.window, 0))
            if now - since < self.window:
                self.seen[key] = (since, count + 1)
                return False
            self.seen[key] = (now, 0)
        if count:
            record.msg = f"{record.msg} ({count} more like it in the last {self.window:.0f} s)"
        return True


NOISY_LOGGERS = ("asyncio", "uvicorn.error", "feeds.serve")


class Server:
    """uvicorn in a thread of its own, on a socket bound up front so that a port in
    use is a clear error at start, not a log line in a dying thread.

    `feed_size` is the daemon's (`Config.feed_size`): which archive pages are finished
    depends on it. `max_connections` defaults to what the limit of open files allows."""

    def __init__(
        self,
        public: Path,
        host: str,
        port: int,
        status: Callable[[], Mapping[str, Any]],
        *,
        access_log: bool = False,
        feed_size: int = 50,
        max_connections: int | None = None,
        head_timeout: float = HEAD_TIMEOUT,
        metrics: Metrics | None = None,
        catalog: Callable[[], Snapshot] | None = None,
    ) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.create_server(
            (host, port), family=family, backlog=BACKLOG, reuse_port=False
        )
        self.port = self.socket.getsockname()[1]
        self.max_connections = max_connections or connection_cap()
        limits = {"max_connections": self.max_connections, "head_timeout": head_timeout}
        protocol = type("Connection", (Connection,), limits)
        config = uvicorn.Config(
            make_app(public, status, feed_size=feed_size, metrics=metrics, catalog=catalog),
            http=protocol,
            log_config=None,
            access_log=access_log,
            lifespan="off",
            server_header=False,
            backlog=BACKLOG,
            timeout_keep_alive=KEEP_ALIVE,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, name="http", daemon=True)
        self.repeats = RepeatFilter()

    def _run(self) -> None:
        self.server.run(sockets=[self.socket])

    def start(self) -> None:
        for name in NOISY_LOGGERS:
            logging.getLogger(name).addFilter(self.repeats)
        self.thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)
        self.socket.close()
        for name in NOISY_LOGGERS:
            logging.getLogger(name).removeFilter(self.repeats)
