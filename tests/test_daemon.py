"""The daemon as an operator runs it and a feed reader sees it: the real `serve`
command in a subprocess on a folder of seeds, spoken to over real HTTP on 127.0.0.1,
its feeds read back with a real feed parser.

Nothing here sleeps a fixed time to let the daemon catch up: every wait polls for
what a user would notice, with a timeout.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import feedparser
import pytest

from .conftest import DATA, ROOT, SAMPLE_SEEDS

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


# --- fixtures ------------------------------------------------------------------------


@pytest.fixture
def start(tmp_path: Path, seeds: Path) -> Iterator[Callable[..., Daemon]]:
    """Starts daemons on `seeds` and `tmp_path/public` and waits for /healthz; every
    one is stopped at the end (SIGTERM, then SIGKILL)."""
    started: list[Daemon] = []

    def start_daemon(
        *, port: int | None = None, poll: bool = False, flags: tuple[str, ...] = ()
    ) -> Daemon:
        log_path = tmp_path / f"daemon-{len(started)}.log"
        daemon = Daemon(
            seeds, tmp_path / "public", port or free_port(), log_path, poll=poll, flags=flags
        )
        started.append(daemon)
        daemon.wait_ready()
        return daemon

    yield start_daemon
    for daemon in started:
        daemon.stop()


@pytest.fixture
def daemon(start: Callable[..., Daemon]) -> Daemon:
    running = start()
    assert len(running.feed().entries) == SAMPLE_ITEMS
    return running


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


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """One daemon on the sample seeds for the tests that only read over HTTP."""
    with sample_daemon(tmp_path_factory.mktemp("served")) as running:
        yield running


# --- 1. changes to seeds/ reach the feeds ------------------------------------------


def test_new_page_adds_its_items_once(daemon: Daemon) -> None:
    before = set(daemon.titles())
    new = titles_in_page(PAGE_01)
    assert len(new) == 10
    assert not new & before

    shutil.copy(PAGE_01, daemon.seeds / "page_01.txt")

    def with_new_items() -> feedparser.FeedParserDict | None:
        feed = daemon.feed()
        return feed if new <= {e.title for e in feed.entries} else None

    feed = wait_for(with_new_items, "the new page's items in all.atom", daemon)
    assert len(feed.entries) == SAMPLE_ITEMS + 10
    assert {e.title for e in feed.entries} == before | new
    ids = [e.id for e in feed.entries]
    assert len(set(ids)) == len(ids), "duplicate entry ids"
    # /healthz reports a build once it is done, a moment after its files are out.
    wait_for(lambda: daemon.health()["items"] == SAMPLE_ITEMS + 10, "/healthz", daemon)


ALPHA = item(
    "Daemon test workshop Alpha on community policing",
    dt.date(2026, 3, 3),
    "A first, short summary.",
)
LONGER = "A first, short summary, now with a second sentence the scraper found later."
ALPHA_LONGER = item("Daemon test workshop Alpha on community policing", dt.date(2026, 3, 3), LONGER)
BETA = item(
    "Daemon test seminar Beta on election observation",
    dt.date(2026, 3, 4),
    "Beta summary.",
    topic="Elections",
)


def mine(feed: feedparser.FeedParserDict) -> dict[str, Any]:
    """The entries of the test's own page, by the word that tells them apart."""
    return {e.title.split()[3]: e for e in feed.entries if e.title.startswith("Daemon test")}


@pytest.mark.parametrize(
    ("edited", "expected"),
    [
        pytest.param(
            page(ALPHA, BETA),
            {"Alpha": "A first, short summary.", "Beta": "Beta summary."},
            id="append-item",
        ),
        pytest.param(page(BETA), {"Beta": "Beta summary."}, id="replace-item"),
        pytest.param(
            page(ALPHA_LONGER),
            {"Alpha": LONGER},
            id="longer-summary",
        ),
    ],
)
def test_edited_page_changes_its_entries(
    start: Callable[..., Daemon], seeds: Path, edited: str, expected: dict[str, str]
) -> None:
    (seeds / "mine.txt").write_text(page(ALPHA), encoding="utf-8")
    daemon = start()
    before = mine(daemon.feed())
    assert {k: e.content[0].value for k, e in before.items()} == {
        "Alpha": "A first, short summary."
    }

    (seeds / "mine.txt").write_text(edited, encoding="utf-8")

    def edited_feed() -> feedparser.FeedParserDict | None:
        feed = daemon.feed()
        shown = {k: e.content[0].value for k, e in mine(feed).items()}
        return feed if shown == expected else None

    feed = wait_for(edited_feed, "the edit in all.atom", daemon)
    assert len(feed.entries) == SAMPLE_ITEMS + len(expected)
    ids = [e.id for e in feed.entries]
    assert len(set(ids)) == len(ids), "duplicate entry ids"
    after = mine(feed)
    if "Alpha" in after:  # the same item (title and date) is the same entry
        assert after["Alpha"].id == before["Alpha"].id
    if "Beta" in after:
        assert "Elections" in {t.term for t in after["Beta"].tags}


def test_renamed_page_keeps_the_same_entries(daemon: Daemon) -> None:
    before = daemon.get("/all.atom")
    ids = [e.id for e in parse_feed(before.body).entries]

    os.rename(daemon.seeds / SAMPLE_B, daemon.seeds / "renamed.txt")

    wait_for(
        lambda: any("renamed.txt" in line for line in daemon.rebuilds()),
        "a rebuild after the rename",
        daemon,
    )
    after = daemon.get("/all.atom")
    assert [e.id for e in parse_feed(after.body).entries] == ids
    assert after.body == before.body, "a rename changed all.atom"
    assert after.headers["etag"] == before.headers["etag"]
    assert daemon.health()["items"] == SAMPLE_ITEMS


def test_deleted_page_withdraws_its_items(daemon: Daemon) -> None:
    entries = daemon.feed().entries
    withdrawn = titles_in_page(daemon.seeds / SAMPLE_A)
    kept = titles_in_page(daemon.seeds / SAMPLE_B)
    assert {e.title for e in entries} == withdrawn | kept
    links = {e.title: urlsplit(e.link).path for e in entries}
    assert all(daemon.get(link).status == 200 for link in links.values())

    (daemon.seeds / SAMPLE_A).unlink()

    wait_for(lambda: set(daemon.titles()) == kept, "the deleted page's items to go", daemon)
    assert len(daemon.feed().entries) == len(kept) == 7
    for title, link in links.items():
        assert daemon.get(link).status == (404 if title in withdrawn else 200), title
    wait_for(lambda: daemon.health()["seed_files"] == 1, "/healthz", daemon)


@pytest.mark.parametrize(
    "hazard", ["error_page.txt", "binary_file.txt", "nul_padded_partial_copy.txt"]
)
def test_garbage_page_is_reported_and_published_nowhere(daemon: Daemon, hazard: str) -> None:
    before = daemon.get("/all.atom")
    name = f"garbage-{hazard}"

    shutil.copy(HAZARDS / hazard, daemon.seeds / name)

    problems = wait_for(lambda: daemon.problems(name), f"/healthz to report {name}", daemon)
    assert any(
        re.fullmatch(rf"{re.escape(str(daemon.seeds / name))}:1: error: .+", p) for p in problems
    ), problems
    assert daemon.alive()
    assert daemon.get("/healthz").status == 200
    after = daemon.get("/all.atom")
    assert after.body == before.body
    assert after.headers["etag"] == before.headers["etag"]

    # It survived: it still follows the seeds.
    shutil.copy(PAGE_01, daemon.seeds / "page_01.txt")
    wait_for(lambda: len(daemon.feed().entries) == SAMPLE_ITEMS + 10, "the next good page", daemon)
    assert daemon.problems(name), "the garbage page is still a problem"


# --- 2. HTTP as feed readers use it ------------------------------------------------


def test_conditional_get_and_etag_follow_the_seeds(daemon: Daemon) -> None:
    first = daemon.get("/all.atom")
    etag, modified = first.headers["etag"], first.headers["last-modified"]

    again = daemon.get("/all.atom", If_None_Match=etag)
    assert again.status == 304
    assert again.body == b""
    assert daemon.get("/all.atom", If_Modified_Since=modified).status == 304

    shutil.copy(PAGE_01, daemon.seeds / "page_01.txt")

    changed = wait_for(
        lambda: (r := daemon.get("/all.atom", If_None_Match=etag)).status == 200 and r,
        "all.atom to change",
        daemon,
    )
    assert changed.headers["etag"] != etag
    assert len(parse_feed(changed.body).entries) == SAMPLE_ITEMS + 10
    assert daemon.get("/all.atom", If_None_Match=changed.headers["etag"]).status == 304


DOCUMENT_ENDS = {
    "/all.atom": b"</feed>",
    "/all.rss": b"</rss>",
    "/index.html": b"</html>",
    "/feeds.opml": b"</opml>",
    "/topics/policing.atom": b"</feed>",
}


def test_readers_polling_during_rebuilds_get_whole_documents(daemon: Daemon) -> None:
    """Feed readers poll at any moment, rebuilds included: each response must be one
    whole version of the file, as long as its Content-Length says, and one ETag must
    always stand for the same bytes."""
    problems: list[str] = []
    bodies: dict[tuple[str, str], bytes] = {}
    served = 0
    done = threading.Event()

    def read(first: int) -> None:
        nonlocal served
        paths = list(DOCUMENT_ENDS)
        n = first
        while not done.is_set():
            path = paths[n % len(paths)]
            n += 1
            try:
                reply = request(daemon.port, path)
            except http.client.IncompleteRead as error:
                problems.append(
                    f"{path}: body cut short, {len(error.partial)} bytes read and "
                    f"{error.expected} more announced"
                )
                continue
            except Exception as error:  # anything else a reader would see
                problems.append(f"{path}: {type(error).__name__}: {error}")
                continue
            served += 1
            if reply.status != 200:
                problems.append(f"{path}: status {reply.status}")
            elif len(reply.body) != int(reply.headers["content-length"]):
                problems.append(f"{path}: {len(reply.body)} bytes, not Content-Length")
            elif not reply.body.rstrip().endswith(DOCUMENT_ENDS[path]):
                problems.append(f"{path}: not a whole document")
            elif bodies.setdefault((path, reply.headers["etag"]), reply.body) != reply.body:
                problems.append(f"{path}: one ETag, two different bodies")

    readers = [threading.Thread(target=read, args=(k,)) for k in range(6)]
    for reader in readers:
        reader.start()
    try:
        # Add and remove a page, again and again, each time once readers see the change.
        page = daemon.seeds / "page_01.txt"
        for _ in range(10):
            if page.exists():
                page.unlink()
            else:
                shutil.copy(PAGE_01, page)
            want = SAMPLE_ITEMS + (10 if page.exists() else 0)
            wait_for(lambda w=want: len(daemon.feed().entries) == w, "the rebuild", daemon)
    finally:
        done.set()
        for reader in readers:
            reader.join()
    assert served > 100
    assert problems == [], f"{len(problems)} bad of {served + len(problems)}: {problems[:3]}"


@pytest.mark.parametrize("path", ["/all.atom", "/all.rss", "/index.html", "/feeds.opml"])
def test_head_and_gzip(served: Daemon, path: str) -> None:
    plain = served.get(path)
    assert plain.status == 200
    assert "content-encoding" not in plain.headers

    head = served.get(path, "HEAD")
    assert head.status == 200
    assert head.body == b""
    for header in ("content-type", "etag", "last-modified", "content-length"):
        assert head.headers.get(header) == plain.headers.get(header), header
    assert int(head.headers["content-length"]) == len(plain.body)

    zipped = served.get(path, Accept_Encoding="gzip")
    assert zipped.status == 200
    assert zipped.headers.get("content-encoding") == "gzip"
    assert "accept-encoding" in zipped.headers.get("vary", "").lower()
    assert len(zipped.body) < len(plain.body)
    assert gzip.decompress(zipped.body) == plain.body


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/all.atom", "application/atom+xml"),
        ("/all.rss", "application/rss+xml"),
        ("/topics/policing.atom", "application/atom+xml"),
        ("/missions/osce-mission-to-montenegro.rss", "application/rss+xml"),
        ("/feeds.opml", "text/x-opml"),
        ("/index.html", "text/html"),
        ("/", "text/html"),
    ],
)
def test_media_types(served: Daemon, path: str, media_type: str) -> None:
    reply = served.get(path)
    assert reply.status == 200
    assert reply.media_type() == media_type


@pytest.mark.parametrize(
    "path",
    [
        "/.osce-feeds/manifest.json",
        "/.osce-feeds/groups.json",
        "/.osce-feeds/lock",
        "/.osce-feeds/last-good/00.pack",
        "/%2eosce-feeds/manifest.json",
        "/items/../.osce-feeds/manifest.json",
        f"/../seeds/{SAMPLE_A}",
        f"/topics/../../seeds/{SAMPLE_A}",
        f"/%2e%2e/seeds/{SAMPLE_A}",
        f"/..%2fseeds%2f{SAMPLE_A}",
        "/../daemon.log",
        "/nonexistent.atom",
    ],
)
def test_hidden_state_and_paths_outside_public_are_not_served(served: Daemon, path: str) -> None:
    reply = served.get(path)
    assert reply.status == 404
    assert b"Publishing date" not in reply.body
    assert b"all.atom" not in reply.body


# --- 3. a good page turned error page ----------------------------------------------


def test_page_overwritten_with_error_page_keeps_its_items(
    start: Callable[..., Daemon], seeds: Path
) -> None:
    daemon = start()
    before = daemon.get("/all.atom")
    ids = {e.id for e in parse_feed(before.body).entries}
    assert len(ids) == SAMPLE_ITEMS

    shutil.copy(HAZARDS / "error_page.txt", seeds / SAMPLE_A)

    problems = wait_for(lambda: daemon.problems(SAMPLE_A), f"/healthz to report {SAMPLE_A}", daemon)
    assert any(f"{SAMPLE_A}:1: error: " in p for p in problems), problems
    after = daemon.get("/all.atom")
    assert {e.id for e in parse_feed(after.body).entries} == ids
    assert after.body == before.body

    # ...and across a restart.
    daemon.stop()
    again = start(port=daemon.port)
    assert again.problems(SAMPLE_A)
    assert again.get("/all.atom").body == before.body


# --- 4. one daemon per public/ -------------------------------------------------------


def test_second_daemon_on_the_same_public_exits_at_once(daemon: Daemon) -> None:
    """A second daemon, and a `build` too: its result would differ from what the
    daemon keeps in memory until the daemon restarts."""
    before = snapshot(daemon.public)
    for command in (["serve", "--port", str(free_port())], ["watch"], ["build"]):
        started = time.monotonic()
        folders = ["--seeds", str(daemon.seeds), "--public", str(daemon.public)]
        second = subprocess.run(
            [sys.executable, "-m", "feeds", *command, *folders, "--base-url", daemon.base_url],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            cwd=daemon.log_path.parent,
            env=daemon_env(),
            check=False,
        )
        assert second.returncode != 0, command
        assert time.monotonic() - started < 5, "the second daemon did not give up at once"
        message = second.stderr + second.stdout
        assert f"pid {daemon.proc.pid}" in message, message
        assert "Traceback" not in message
    assert daemon.alive()
    assert daemon.health()["ok"]
    after = snapshot(daemon.public)
    assert after == before, "the second daemon touched public/"


# --- 5. clean shutdown ---------------------------------------------------------------


@pytest.mark.parametrize("busy", [False, True], ids=["idle", "mid-rebuild"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_it_cleanly(daemon: Daemon, signum: int, busy: bool) -> None:
    if busy:
        write_burst(daemon.seeds, 200)
        wait_for(lambda: (daemon.public / BURST_ITEMS_DIR).exists(), "publishing", daemon)

    started = time.monotonic()
    daemon.proc.send_signal(signum)
    try:
        code = daemon.proc.wait(2)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running 2 s after {signal.Signals(signum).name}:\n{daemon.log()}")
    assert code == 0, daemon.log()
    assert time.monotonic() - started < 2
    assert temporaries(daemon.public) == []
    assert "Traceback" not in daemon.log()


# --- 6. crash and restart ------------------------------------------------------------


@pytest.mark.parametrize("moment", ["burst-written", "publishing", "publishing-then-deletions"])
def test_sigkill_mid_burst_then_restart_equals_a_cold_build(
    start: Callable[..., Daemon], seeds: Path, tmp_path: Path, moment: str
) -> None:
    daemon = start()
    write_burst(seeds, 200)
    if moment.startswith("publishing"):  # kill -9 as the burst's item pages appear
        wait_for(lambda: (daemon.public / BURST_ITEMS_DIR).exists(), "publishing", daemon, 0.002)
    daemon.proc.kill()
    daemon.proc.wait()
    expected_items = SAMPLE_ITEMS + 600
    if moment.endswith("deletions"):  # pages deleted while it was down: whole months go
        for n in range(100):
            (seeds / f"burst_{n:03d}.txt").unlink()
        expected_items -= 300

    again = start(port=daemon.port)  # the same base URL
    wait_for(lambda: again.health()["items"] == expected_items, "the restart to settle", again)
    assert temporaries(again.public) == []

    cold = tmp_path / "cold"
    folders = ["--seeds", str(seeds), "--public", str(cold)]
    subprocess.run(
        [sys.executable, "-m", "feeds", "build", *folders, "--base-url", again.base_url, "-q"],
        check=True,
        cwd=tmp_path,
        env=daemon_env(),
        timeout=60,
    )
    got, want = published(again.public), published(cold)
    withdrawn = re.compile(rb"Burst item \d{1,2} number")  # pages 0-99: deleted, if any
    if moment.endswith("deletions"):
        leaks = sorted(path for path, data in got.items() if withdrawn.search(data))
        assert leaks == [], f"withdrawn items still served in {len(leaks)} files: {leaks[:3]}"
    extra = sorted(set(got) - set(want))
    assert extra == [], f"{len(extra)} files a cold build does not publish, e.g. {extra[:3]}"
    missing = sorted(set(want) - set(got))
    assert missing == [], f"{len(missing)} files missing after the restart, e.g. {missing[:3]}"
    assert [path for path in want if got[path] != want[path]] == []


# --- 7. the seeds folder replaced ----------------------------------------------------


@pytest.mark.parametrize("how", ["recreated", "moved-into-place", "recreated-after-a-while"])
def test_seeds_folder_removed_and_recreated(
    start: Callable[..., Daemon], tmp_path: Path, how: str
) -> None:
    """The folder is followed wherever it goes; what it holds meanwhile (nothing, or
    most items gone) is published as it is: the withdrawal guard is off here (see
    test_unattended.py for it)."""
    daemon = start(flags=("--max-withdraw", "100"))
    mine = page(item("Daemon test folder item Gamma", dt.date(2026, 2, 2), "Gamma summary."))
    if how == "moved-into-place":
        ready = tmp_path / "seeds.new"
        ready.mkdir()
        shutil.copy(PAGE_01, ready / "page_01.txt")
        (ready / "mine.txt").write_text(mine, encoding="utf-8")
        shutil.rmtree(daemon.seeds)
        os.rename(ready, daemon.seeds)
    else:
        shutil.rmtree(daemon.seeds)
        if how == "recreated-after-a-while":  # the daemon has seen it gone, and rebuilt
            wait_for(lambda: "does not exist" in daemon.log(), "the daemon to notice", daemon)
            assert len(daemon.titles()) == SAMPLE_ITEMS  # kept while the folder is away
        daemon.seeds.mkdir()
        shutil.copy(PAGE_01, daemon.seeds / "page_01.txt")
        (daemon.seeds / "mine.txt").write_text(mine, encoding="utf-8")

    expected = titles_in_page(PAGE_01) | {"Daemon test folder item Gamma"}
    wait_for(lambda: set(daemon.titles()) == expected, "the new folder's items", daemon)

    # Changes inside the new folder are followed too.
    (daemon.seeds / "page_01.txt").unlink()
    wait_for(
        lambda: daemon.titles() == ["Daemon test folder item Gamma"],
        "a deletion in the new folder",
        daemon,
    )
    assert daemon.alive()


# --- 8. polling ----------------------------------------------------------------------


def test_polling_mode_follows_the_seeds(start: Callable[..., Daemon], seeds: Path) -> None:
    daemon = start(poll=True)
    assert len(daemon.feed().entries) == SAMPLE_ITEMS
    new = titles_in_page(PAGE_01)

    shutil.copy(PAGE_01, seeds / "page_01.txt")
    wait_for(lambda: new <= set(daemon.titles()), "the new page (polling)", daemon)

    (seeds / SAMPLE_A).unlink()
    kept = titles_in_page(seeds / SAMPLE_B) | new
    wait_for(lambda: set(daemon.titles()) == kept, "the deletion (polling)", daemon)
    assert "(polling)" in daemon.log()


# --- 9. a burst is a few rebuilds ----------------------------------------------------


def test_a_burst_of_new_pages_costs_a_few_rebuilds(daemon: Daemon) -> None:
    before = wait_quiet(daemon, 0.3)
    write_burst(daemon.seeds, 100, per_page=2)
    wait_for(lambda: daemon.health()["items"] == SAMPLE_ITEMS + 200, "every burst item", daemon)
    after = wait_quiet(daemon)
    rebuilds = after - before
    assert 1 <= rebuilds < 8, f"{rebuilds} rebuilds for one burst of 100 pages"
    assert daemon.health()["seed_files"] == 102


def test_verbose_daemon_logs_each_request(start: Callable[..., Daemon]) -> None:
    daemon = start(flags=("-v",))
    daemon.get("/all.atom")
    wait_for(
        lambda: '"GET /all.atom HTTP/1.1" 200' in daemon.log_path.read_text(),
        "an access log line",
    )
