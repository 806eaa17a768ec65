"""newsboat (a terminal feed reader), driven unattended, and a small recording HTTP
proxy between it and the daemon: used by the tests that subscribe a real reader
(tests/test_reader.py, tests/test_queryhttp.py)."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import sqlite3
import subprocess
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

NEWSBOAT = shutil.which("newsboat")


# --- a recording proxy between newsboat and the daemon ------------------------------


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    request_headers: dict[str, str]
    status: int
    response_headers: dict[str, str]


HOP_BY_HOP = {
    "connection",
    "proxy-connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-authenticate",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}


class RelayHandler(BaseHTTPRequestHandler):
    """Forwards one absolute-form request (`GET http://127.0.0.1:PORT/all.atom`) to the
    daemon unchanged, hands back the daemon's status, headers and body unchanged, and
    records the exchange. One request per connection (HTTP/1.0)."""

    server: Relay

    def do_GET(self) -> None:
        self.relay()

    def do_HEAD(self) -> None:
        self.relay()

    def relay(self) -> None:
        target = urlsplit(self.path)
        path = target.path + (f"?{target.query}" if target.query else "")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        try:
            upstream = http.client.HTTPConnection(
                target.hostname or "127.0.0.1", target.port or 80, timeout=5
            )
            try:
                upstream.request(self.command, path or "/", headers=headers)
                response = upstream.getresponse()
                body = response.read()
                status, reply_headers = response.status, response.getheaders()
            finally:
                upstream.close()
        except (OSError, http.client.HTTPException) as error:
            self.server.errors.append(f"{self.command} {self.path}: {error!r}")
            self.send_error(502)
            return
        self.server.exchanges.append(
            Exchange(
                self.command,
                path,
                {k.lower(): v for k, v in headers.items()},
                status,
                {k.lower(): v for k, v in reply_headers},
            )
        )
        self.send_response_only(status)
        for name, value in reply_headers:
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


class Relay(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RelayHandler)
        self.exchanges: list[Exchange] = []
        self.errors: list[str] = []
        self.thread = threading.Thread(target=self.serve_forever, name="relay", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def statuses(self) -> dict[str, list[int]]:
        seen: dict[str, list[int]] = {}
        for exchange in self.exchanges:
            seen.setdefault(exchange.path, []).append(exchange.status)
        return seen


# --- newsboat, driven from the command line -----------------------------------------


@dataclass(frozen=True)
class Article:
    """One row of newsboat's `rss_item` table."""

    guid: str
    title: str
    feedurl: str
    content: str
    pub_date: int
    unread: bool
    deleted: bool


class Newsboat:
    def __init__(self, folder: Path, feed_urls: list[str], proxy_port: int) -> None:
        folder.mkdir()
        self.folder = folder
        self.urls = folder / "urls"
        self.urls.write_text("".join(f"{url}\n" for url in feed_urls), encoding="utf-8")
        self.config = folder / "config"
        self.config.write_text(
            f"use-proxy yes\nproxy 127.0.0.1:{proxy_port}\nproxy-type http\n"
            "reload-threads 1\ndownload-timeout 10\nmax-items 0\n",
            encoding="utf-8",
        )
        self.cache = folder / "cache.db"
        home = folder / "home"
        home.mkdir()
        self.env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")} | {
            "HOME": str(home),
            "LC_ALL": "C.UTF-8",
            "TERM": "dumb",
        }

    def run(self, *args: str) -> str:
        argv = [str(NEWSBOAT), "-u", str(self.urls), "-c", str(self.cache)]
        argv += ["-C", str(self.config), *args]
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.folder,
            timeout=30,
            check=False,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"{argv} exited with {done.returncode}:\n{output}"
        return output

    def reload(self) -> None:
        self.run("-x", "reload")

    def unread_count(self) -> int:
        """What newsboat itself reports as unread."""
        match = re.search(r"(\d+) unread articles", self.run("-x", "print-unread"))
        assert match, "no count from print-unread"
        return int(match.group(1))

    def mark_read(self, guids: set[str]) -> None:
        """As a reader who read these: newsboat's import of a list of read articles."""
        listing = self.folder / "read.txt"
        listing.write_text("".join(f"{guid}\n" for guid in sorted(guids)), encoding="utf-8")
        self.run("-I", str(listing))

    def articles(self) -> dict[str, Article]:
        """Every article in the cache, by guid; a guid held twice fails here."""
        connection = sqlite3.connect(f"file:{self.cache}?mode=ro", uri=True)
        try:
            rows = connection.execute(
                "SELECT guid, title, feedurl, content, pubDate, unread, deleted FROM rss_item"
            ).fetchall()
        finally:
            connection.close()
        held = [Article(g, t, f, c, p, bool(u), bool(d)) for g, t, f, c, p, u, d in rows]
        guids = [a.guid for a in held]
        assert len(set(guids)) == len(guids), f"duplicate guids in newsboat: {guids}"
        titles = [a.title for a in held]
        assert len(set(titles)) == len(titles), f"duplicate titles in newsboat: {titles}"
        assert not any(a.deleted for a in held)
        return {a.guid: a for a in held}
