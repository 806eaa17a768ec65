"""The real daemon as tests drive it: `python -m feeds serve` in a subprocess, spoken
to over real HTTP on 127.0.0.1, with seed pages to give it and waits that poll for
what a user would notice (never a fixed sleep)."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import feedparser
import pytest

from .paths import DATA, ROOT, SAMPLE_SEEDS

T = TypeVar("T")

HOLDOUT = DATA / "holdout"
HAZARDS = DATA / "seeds"
PAGE_01 = HOLDOUT / "page_01.txt"
SAMPLE_A = "000_2ff1a2d5822c8077.txt"
SAMPLE_B = "004_bf5a14e946b6e3cc.txt"
SAMPLE_ITEMS = 14
POLL_SECONDS = 0.05
TIMEOUT = 10.0

HEADER = (
    "Newsroom\nNews and press releases\n"
    "News and press releases from the OSCE's global activities.\n"
)
TOPICS = ("Policing", "Elections", "Media freedom and development", "Gender equality", "Youth")
MISSIONS = (
    "OSCE Mission to Serbia",
    "OSCE Mission to Moldova",
    "OSCE Secretariat",
    "OSCE Presence in Albania",
)


# --- seed pages ---------------------------------------------------------------------


def item(
    title: str, day: dt.date, summary: str, *, mission: str = MISSIONS[2], topic: str = TOPICS[0]
) -> str:
    return (
        f"{title}\nPublishing date: {day.day} {day:%B %Y}\nContent type: News\n"
        f"Where we are: {mission}\nWhat we do: {topic}\n{summary}\n"
    )


def page(*items: str) -> str:
    return HEADER + "".join(items)


BURST_START = dt.date(2022, 1, 1)  # no sample item is from 2022 or 2023
BURST_ITEMS_DIR = "items/2022"


def burst_page(n: int, per_page: int = 3) -> str:
    """Page `n` of a burst: items of their own, one day each, from 1 January 2022 on
    (so the first pages of a burst hold whole months of items)."""
    items = []
    for j in range(per_page):
        day = BURST_START + dt.timedelta(days=n * per_page + j)
        items.append(
            item(
                f"Burst item {n} number {j} on regional co-operation",
                day,
                f"Summary of burst item {n}.{j} about a workshop.",
                mission=MISSIONS[(n + j) % len(MISSIONS)],
                topic=f"{TOPICS[n % 5]}, {TOPICS[(n + j + 1) % 5]}",
            )
        )
    return page(*items)


def write_burst(seeds: Path, count: int, per_page: int = 3) -> None:
    for n in range(count):
        (seeds / f"burst_{n:03d}.txt").write_text(burst_page(n, per_page), encoding="utf-8")


def titles_in_page(path: Path) -> set[str]:
    """Independent of the parser: a title is the line just above a `Publishing date:`
    line (the sample and holdout pages used here have no cut or broken item)."""
    lines = [" ".join(line.split()) for line in path.read_text(encoding="utf-8").splitlines()]
    return {
        lines[i - 1] for i, line in enumerate(lines) if i and line.startswith("Publishing date:")
    }


# --- talking to the daemon -----------------------------------------------------------


class Reply:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = {name.lower(): value for name, value in headers}
        self.body = body

    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip()


def request(
    port: int, path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> Reply:
    """One HTTP request, the path sent exactly as given (no normalisation)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, response.getheaders(), response.read())
    finally:
        connection.close()


def parse_feed(body: bytes) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def daemon_env() -> dict[str, str]:
    """The environment without settings of ours, so that only the flags count."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSCE_FEEDS_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


class Daemon:
    """`python -m feeds serve` in a subprocess; its stdout and stderr go to a log file."""

    def __init__(
        self,
        seeds: Path,
        public: Path,
        port: int,
        log_path: Path,
        *,
        poll: bool = False,
        flags: tuple[str, ...] = (),
        env: Mapping[str, str] | None = None,
        base_url: bool = True,
    ) -> None:
        """`base_url`: whether to give `--base-url` (it is the address served)."""
        self.seeds = seeds
        self.public = public
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}/"
        self.log_path = log_path
        argv = [
            sys.executable,
            "-m",
            "feeds",
            "serve",
            "--seeds",
            str(seeds),
            "--public",
            str(public),
            "--port",
            str(port),
        ]
        if base_url:
            argv.extend(["--base-url", self.base_url])
        if poll:
            argv.append("--poll")
        argv.extend(flags)
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=log_path.parent,
                env={**daemon_env(), **(env or {})},
            )

    # --- the process ---

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def rebuilds(self) -> list[str]:
        return [line for line in self.log().splitlines() if " rebuilt (" in line]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_ready(self) -> None:
        def answers() -> bool:
            if not self.alive():
                pytest.fail(f"daemon exited with {self.proc.returncode}:\n{self.log()}")
            try:
                return request(self.port, "/healthz").status == 200  # first build done
            except OSError:
                return False

        wait_for(answers, "/healthz to answer", self)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc.wait()

    # --- HTTP ---

    def get(self, path: str, method: str = "GET", **headers: str) -> Reply:
        """A request; a response cut short by a concurrent rebuild is asked again, as
        a feed reader would at its next poll. Such responses are the subject of
        `test_readers_polling_during_rebuilds_get_whole_documents` alone."""
        fields = {k.replace("_", "-"): v for k, v in headers.items()}
        for _ in range(4):
            try:
                return request(self.port, path, method, fields)
            except http.client.IncompleteRead:
                continue
        return request(self.port, path, method, fields)

    def health(self) -> dict[str, Any]:
        reply = self.get("/healthz")
        assert reply.media_type() == "application/json"
        return dict(json.loads(reply.body))

    def feed(self, path: str = "/all.atom") -> feedparser.FeedParserDict:
        reply = self.get(path)
        assert reply.status == 200, (path, reply.status)
        return parse_feed(reply.body)

    def titles(self, path: str = "/all.atom") -> list[str]:
        return [entry.title for entry in self.feed(path).entries]

    def problems(self, name: str) -> list[str]:
        return [p for p in self.health()["seed_problems"] if name in p]


def wait_for(
    condition: Callable[[], T],
    what: str,
    daemon: Daemon | None = None,
    interval: float = POLL_SECONDS,
) -> T:
    deadline = time.monotonic() + TIMEOUT
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            log = f"\ndaemon log:\n{daemon.log()[-4000:]}" if daemon else ""
            pytest.fail(f"timed out after {TIMEOUT:.0f} s waiting for {what}{log}")
        time.sleep(interval)


def wait_quiet(daemon: Daemon, quiet: float = 1.0) -> int:
    """Wait until no rebuild has been logged for `quiet` seconds; the rebuild count."""
    count, since = len(daemon.rebuilds()), time.monotonic()

    def quiet_enough() -> bool:
        nonlocal count, since
        now = len(daemon.rebuilds())
        if now != count:
            count, since = now, time.monotonic()
        return time.monotonic() - since >= quiet

    wait_for(quiet_enough, "the daemon to stop rebuilding", daemon)
    return count


def published(public: Path) -> dict[str, bytes]:
    """Every file a reader can be served (not the daemon's hidden state), by path."""
    return {
        path.relative_to(public).as_posix(): path.read_bytes()
        for path in sorted(public.rglob("*"))
        if path.is_file() and not any(p.startswith(".") for p in path.relative_to(public).parts)
    }


def snapshot(public: Path) -> dict[Path, tuple[int, bytes]]:
    """Every file under `public/`, state included, with its mtime and bytes."""
    return {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in public.rglob("*") if p.is_file()}


def temporaries(public: Path) -> list[Path]:
    return sorted(public.rglob("*.tmp"))


@contextlib.contextmanager
def sample_daemon(base: Path) -> Iterator[Daemon]:
    """The real daemon on a copy of the sample seeds in `base`, as after `make run`."""
    shutil.copytree(SAMPLE_SEEDS, base / "seeds")
    running = Daemon(base / "seeds", base / "public", free_port(), base / "daemon.log")
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()
