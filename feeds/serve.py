"""HTTP for `public/`: static files, `/healthz`, nothing else. A thin shell.

Starlette's `StaticFiles` already does what a feed server needs (ETag and
Last-Modified with 304 answers, HEAD, media types, no way out of the folder) and its
`GZipMiddleware` compresses for clients that ask; uvicorn runs it. We add the feed
media types, refuse hidden paths (the state folder), and ask clients to revalidate.
"""

from __future__ import annotations

import mimetypes
import os
import socket
import threading
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import ASGIApp, Scope

MEDIA_TYPES = {
    ".atom": "application/atom+xml",
    ".rss": "application/rss+xml",
    ".opml": "text/x-opml",
    ".html": "text/html",
    ".json": "application/feed+json",  # every .json served is a JSON Feed
}
for suffix, media_type in MEDIA_TYPES.items():
    mimetypes.add_type(media_type, suffix)


class PublicFiles(StaticFiles):
    """`public/` as it is, but for hidden files and folders (the daemon's state), and
    read whole from one open file: Starlette's `FileResponse` takes the length from a
    `stat` and opens the path later, so a file replaced in between (the daemon
    publishes while readers poll) would be served cut short."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        try:
            with open(full_path, "rb") as handle:
                stat = os.fstat(handle.fileno())
                data = handle.read()
        except FileNotFoundError:
            raise HTTPException(status_code=404) from None
        headers = FileResponse(full_path, stat_result=stat).headers  # ETag, Last-Modified
        headers["content-length"] = str(len(data))
        if self.is_not_modified(headers, Headers(scope=scope)):
            return NotModifiedResponse(headers)
        body = b"" if scope.get("method") == "HEAD" else data
        return Response(body, status_code, headers=dict(headers))

    async def get_response(self, path: str, scope: Scope) -> Response:
        if any(part.startswith(".") for part in PurePosixPath(path).parts):
            raise HTTPException(status_code=404)
        response = await super().get_response(path, scope)
        # Feeds change at any moment: caches may keep a copy but must revalidate it
        # (a cheap 304 when nothing changed).
        response.headers.setdefault("cache-control", "no-cache")
        return response


def make_app(public: Path, status: Callable[[], Mapping[str, Any]]) -> ASGIApp:
    async def health(request: Request) -> Response:
        report = dict(status())
        return JSONResponse(report, status_code=200 if report.get("ok") else 503)

    app = Starlette(
        routes=[
            Route("/healthz", health, methods=["GET", "HEAD"]),
            Mount("/", app=PublicFiles(directory=public, html=True, check_dir=False)),
        ]
    )
    return GZipMiddleware(app, minimum_size=512)


class Server:
    """uvicorn in a thread of its own, on a socket bound up front so that a port in
    use is a clear error at start, not a log line in a dying thread."""

    def __init__(
        self,
        public: Path,
        host: str,
        port: int,
        status: Callable[[], Mapping[str, Any]],
        *,
        access_log: bool = False,
    ) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.create_server((host, port), family=family, reuse_port=False)
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(
            make_app(public, status),
            log_config=None,
            access_log=access_log,
            lifespan="off",
            server_header=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, name="http", daemon=True)

    def _run(self) -> None:
        self.server.run(sockets=[self.socket])

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)
        self.socket.close()
