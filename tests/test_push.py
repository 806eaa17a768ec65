"""Push after publish: WebSub pings and the after-publish command (`feeds.push`).

The daemon tests start the real `serve` command in a subprocess, with a WebSub hub of
our own on 127.0.0.1 that records every publish notification it receives. The unit
tests drive `HubNotifier` and `AfterPublish` in-process. Every wait polls, with a
timeout; nothing sleeps a fixed time.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import shutil
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from feeds.push import AfterPublish, HubNotifier

from .daemon import (
    PAGE_01,
    SAMPLE_ITEMS,
    TIMEOUT,
    Daemon,
    free_port,
    parse_feed,
    request,
    titles_in_page,
    wait_for,
)

FEED_FOLDERS = ("topics", "missions", "types")
FEED_SUFFIXES = (".atom", ".rss", ".json")


# --- a WebSub hub of our own -----------------------------------------------------------


@dataclass(frozen=True)
class Ping:
    path: str
    content_type: str
    fields: dict[str, list[str]]
    status: int  # what the hub answered

    @property
    def url(self) -> str:
        return self.fields.get("hub.url", [""])[0]


class Hub:
    """Records every POST; `answer(url, n)` is the status for the n-th (from 0) request
    about `url`. Runs on 127.0.0.1, on a free port, in a thread."""

    def __init__(self, answer: Callable[[str, int], int] = lambda url, n: 204) -> None:
        self.answer = answer
        self.pings: list[Ping] = []
        self.lock = threading.Lock()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fields = parse_qs(body.decode("ascii"), strict_parsing=True)
                url = fields.get("hub.url", [""])[0]
                with hub.lock:
                    status = hub.answer(url, sum(p.url == url for p in hub.pings))
                    content_type = self.headers.get("Content-Type", "")
                    hub.pings.append(Ping(self.path, content_type, fields, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hub"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def received(self) -> list[Ping]:
        with self.lock:
            return list(self.pings)

    def published(self, since: int = 0) -> set[str]:
        """The URLs the hub accepted a publish notification for."""
        return {p.url for p in self.received()[since:] if 200 <= p.status < 300}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hub() -> Iterator[Hub]:
    running = Hub()
    yield running
    running.close()


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests to 127.0.0.1 go straight there, whatever proxy the machine has."""
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


# --- the daemon --------------------------------------------------------------------------


class Served(Daemon):
    """The real daemon with extra flags and environment, on `tmp_path/public`."""

    def __init__(self, tmp_path: Path, seeds: Path, flags: list[str], env: dict[str, str]) -> None:
        no_proxy = {"no_proxy": "127.0.0.1", "NO_PROXY": "127.0.0.1"}
        super().__init__(
            seeds,
            tmp_path / "public",
            free_port(),
            tmp_path / "daemon.log",
            flags=tuple(flags),
            env={**no_proxy, **env},
        )

    def items(self) -> int:
        return int(json.loads(request(self.port, "/healthz").body)["items"])

    def title_set(self, path: str = "/all.atom") -> set[str]:
        return set(self.titles(path))


@pytest.fixture
def start(tmp_path: Path, seeds: Path) -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def start_daemon(*flags: str, **env: str) -> Served:
        daemon = Served(tmp_path, seeds, list(flags), env)
        started.append(daemon)
        daemon.wait_ready()
        return daemon

    yield start_daemon
    for daemon in started:
        daemon.stop()


def subscription_documents(public: Path) -> dict[str, bytes]:
    """Every subscription feed in `public/` (Atom, RSS, JSON Feed; not archive pages nor
    the HTML pages beside feeds), by path; found by looking, not by asking `feeds`."""
    found = list(public.glob("all.*"))
    for folder in FEED_FOLDERS:
        found += (public / folder).glob("*")
    return {
        p.relative_to(public).as_posix(): p.read_bytes()
        for p in found
        if p.suffix in FEED_SUFFIXES and p.is_file()
    }


def archive_pages(public: Path) -> dict[str, bytes]:
    return {
        p.relative_to(public).as_posix(): p.read_bytes()
        for p in (public / "archive").rglob("*")
        if p.is_file()
    }


def changed(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    return {path for path, data in after.items() if before.get(path) != data}


# --- the daemon notifies the hub ------------------------------------------------------


def test_hub_is_pinged_for_each_changed_feed_and_no_archive_page(
    start: Callable[..., Served], hub: Hub
) -> None:
    # Small feeds, so that the sample seeds already have archive pages.
    daemon = start("--hub-url", hub.url, "--feed-size", "4")
    feeds_at_start = subscription_documents(daemon.public)
    assert {"all.atom", "all.rss"} <= set(feeds_at_start)
    assert archive_pages(daemon.public), "no archive pages: the test proves nothing"

    # A fresh public/: every feed was published, so every feed is announced.
    every_feed = {daemon.base_url + path for path in feeds_at_start}
    wait_for(lambda: hub.published() == every_feed, "pings for every feed", daemon)
    for ping in hub.received():
        assert ping.path == "/hub"
        assert ping.content_type == "application/x-www-form-urlencoded"
        assert ping.fields == {"hub.mode": ["publish"], "hub.url": [ping.url]}
    wait_for(lambda: "notified hub of" in daemon.log(), "the log line", daemon)

    mark = len(hub.received())
    archives_before = archive_pages(daemon.public)
    new = titles_in_page(PAGE_01)
    shutil.copy(PAGE_01, daemon.seeds / "page_01.txt")
    wait_for(lambda: daemon.items() == SAMPLE_ITEMS + 10, "the new items", daemon)

    feeds_now = subscription_documents(daemon.public)
    expected = {daemon.base_url + path for path in changed(feeds_at_start, feeds_now)}
    wait_for(lambda: hub.published(mark) >= expected, "pings for the changed feeds", daemon)
    assert hub.published(mark) == expected

    # The subscription feeds and the topic and mission feeds of the new items are among
    # them; no archive page is, though some changed.
    assert {daemon.base_url + "all.atom", daemon.base_url + "all.rss"} <= expected
    for folder in ("topics", "missions"):
        holding_new = {
            path
            for path, data in feeds_now.items()
            if path.startswith(folder + "/")
            and path.endswith(".atom")
            and new & {e.title for e in parse_feed(data).entries}
        }
        assert holding_new, f"no {folder} feed shows a new item"
        for path in holding_new:
            assert daemon.base_url + path in expected
            assert daemon.base_url + path.replace(".atom", ".rss") in expected
    assert changed(archives_before, archive_pages(daemon.public)), "no archive page changed"
    assert not any("/archive/" in ping.url for ping in hub.received())
    assert "Traceback" not in daemon.log()


def test_failed_ping_is_retried_with_back_off(start: Callable[..., Served], hub: Hub) -> None:
    hub.answer = lambda url, n: 503 if n < 2 else 204  # twice 503, then 204, per feed
    daemon = start("--hub-url", hub.url, OSCE_FEEDS_HUB_RETRY_SECONDS="0.05")
    every_feed = {daemon.base_url + path for path in subscription_documents(daemon.public)}
    wait_for(lambda: hub.published() == every_feed, "the pings to get through", daemon)

    all_atom = [p for p in hub.received() if p.url == daemon.base_url + "all.atom"]
    assert [p.status for p in all_atom] == [503, 503, 204]
    for url in every_feed:
        assert [p.status for p in hub.received() if p.url == url] == [503, 503, 204], url
    log = daemon.log()
    assert "notifications failed (HTTP 503); next try in" in log
    assert "gave up" not in log


def test_feeds_are_published_while_the_hub_is_down(start: Callable[..., Served], hub: Hub) -> None:
    up = threading.Event()
    hub.answer = lambda url, n: 204 if up.is_set() else 503
    daemon = start("--hub-url", hub.url, OSCE_FEEDS_HUB_RETRY_SECONDS="0.1")
    wait_for(lambda: hub.received(), "a first ping", daemon)

    new = titles_in_page(PAGE_01)
    shutil.copy(PAGE_01, daemon.seeds / "page_01.txt")
    wait_for(lambda: new <= daemon.title_set(), "the new items in all.atom", daemon)
    assert hub.published() == set(), "the hub took a ping while down"
    assert all(p.status == 503 for p in hub.received())

    up.set()
    all_atom = daemon.base_url + "all.atom"
    wait_for(lambda: all_atom in hub.published(), "the ping once the hub is up", daemon)
    assert daemon.alive()


def test_sighup_with_a_new_hub_notifies_the_new_hub(
    start: Callable[..., Served], hub: Hub, tmp_path: Path
) -> None:
    settings = tmp_path / "osce-feeds.toml"
    settings.write_text(f'hub_url = "{hub.url}"\n', encoding="utf-8")
    daemon = start("--config", str(settings))
    every_feed = {daemon.base_url + path for path in subscription_documents(daemon.public)}
    wait_for(lambda: hub.published() == every_feed, "pings for every feed", daemon)

    new_hub = Hub()
    try:
        settings.write_text(f'hub_url = "{new_hub.url}"\n', encoding="utf-8")
        daemon.proc.send_signal(signal.SIGHUP)
        # Every feed now names the new hub, so every feed changed: all are announced.
        wait_for(lambda: new_hub.published() == every_feed, "the new hub", daemon)
        assert new_hub.url.encode() in (daemon.public / "all.atom").read_bytes()
        assert "settings reloaded" in daemon.log()
    finally:
        new_hub.close()


# --- the after-publish command --------------------------------------------------------


def test_after_publish_runs_after_each_publish(
    start: Callable[..., Served], tmp_path: Path
) -> None:
    record = tmp_path / "published.txt"
    command = f'echo "$OSCE_FEEDS_PUBLIC $OSCE_FEEDS_CHANGED" >> {shlex.quote(str(record))}'
    daemon = start("--after-publish", command)
    lines = wait_for(lambda: record.exists() and record.read_text().splitlines(), "a first run")
    public, count = lines[0].rsplit(" ", 1)
    assert public == str(daemon.public.resolve())
    assert int(count) > 0

    shutil.copy(PAGE_01, daemon.seeds / "page_01.txt")
    lines = wait_for(lambda: record.read_text().splitlines()[1:], "a run after the change")
    assert lines[0].startswith(str(daemon.public.resolve()) + " ")
    assert int(lines[0].rsplit(" ", 1)[1]) > 0
    assert "after-publish command done" in daemon.log()


def test_failing_after_publish_is_logged_and_the_daemon_goes_on(
    start: Callable[..., Served],
) -> None:
    daemon = start("--after-publish", "echo sync broke: bucket gone >&2; exit 3")
    failure = "after-publish command failed (exit status 3"
    wait_for(lambda: failure in daemon.log(), "the failure in the log", daemon)
    assert "sync broke: bucket gone" in daemon.log()

    new = titles_in_page(PAGE_01)
    shutil.copy(PAGE_01, daemon.seeds / "page_01.txt")
    wait_for(lambda: new <= daemon.title_set(), "the new items", daemon)
    wait_for(lambda: daemon.log().count(failure) >= 2, "a second run", daemon)
    assert daemon.alive()
    assert "Traceback" not in daemon.log()


# --- HubNotifier and AfterPublish in-process ---------------------------------------------


@pytest.mark.usefixtures("no_proxy")
def test_notifier_coalesces_and_gives_up(hub: Hub, caplog: pytest.LogCaptureFixture) -> None:
    hub.answer = lambda url, n: 500
    notifier = HubNotifier(hub.url, first_delay=0.02, tries=3)
    try:
        notifier.notify(["https://x.test/all.atom"] * 3 + ["https://x.test/all.rss"])
        notifier.notify(["https://x.test/all.atom"])
        wait_for(lambda: "gave up notifying of 2 feeds" in caplog.text, "giving up")
    finally:
        notifier.stop()
    urls = [p.url for p in hub.received()]
    assert sorted(urls) == ["https://x.test/all.atom"] * 3 + ["https://x.test/all.rss"] * 3
    assert [r.levelno for r in caplog.records if "gave up" in r.message] == [logging.ERROR]


def test_notify_never_blocks_and_stop_is_prompt(caplog: pytest.LogCaptureFixture) -> None:
    # A hub that takes the connection and never answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/hub"
        # Blocking would take the request's 30 s: a third of that tells prompt from
        # blocked on any machine, however loaded.
        notifier = HubNotifier(url, timeout=30)
        started = time.monotonic()
        notifier.notify(f"https://x.test/topics/t{n}.atom" for n in range(100))
        notifier.notify(["https://x.test/all.atom"])
        assert time.monotonic() - started < 10
        wait_for(lambda: notifier.pending() < 101, "the first request to start")
        started = time.monotonic()
        notifier.stop()
        assert time.monotonic() - started < 10
    assert "hub notifications dropped at shutdown" in caplog.text


@pytest.mark.usefixtures("no_proxy")
def test_stop_is_prompt_during_back_off(hub: Hub) -> None:
    hub.answer = lambda url, n: 503
    notifier = HubNotifier(hub.url, first_delay=60)
    notifier.notify(["https://x.test/all.atom"])
    wait_for(lambda: hub.received(), "the first try")
    started = time.monotonic()
    notifier.stop()
    assert time.monotonic() - started < 20  # not the 60 s of the back-off
    assert not notifier._thread.is_alive()


def test_notifier_backs_off_exponentially_up_to_a_cap() -> None:
    notifier = HubNotifier("http://127.0.0.1:9/", first_delay=1, max_delay=300)
    try:
        assert [notifier.delay(n) for n in range(1, 11)] == [
            1,
            2,
            4,
            8,
            16,
            32,
            64,
            128,
            256,
            300,
        ]
    finally:
        notifier.stop()


def test_retry_delay_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSCE_FEEDS_HUB_RETRY_SECONDS", "0.25")
    notifier = HubNotifier("http://127.0.0.1:9/")
    notifier.stop()
    assert notifier.first_delay == 0.25
    monkeypatch.setenv("OSCE_FEEDS_HUB_RETRY_SECONDS", "soon")
    notifier = HubNotifier("http://127.0.0.1:9/")
    notifier.stop()
    assert notifier.first_delay == 1.0


@pytest.mark.usefixtures("no_proxy")
def test_hub_redirect_is_a_failure() -> None:
    redirecting = Hub(lambda url, n: 302)
    notifier = HubNotifier(redirecting.url, first_delay=60)
    try:
        assert notifier.publish("https://x.test/all.atom") == "HTTP 302"
    finally:
        notifier.stop()
        redirecting.close()


def test_after_publish_coalesces_runs(tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    runs = tmp_path / "runs.txt"
    command = (
        f'echo "start $OSCE_FEEDS_CHANGED" >> {runs}; '
        f"while [ ! -e {gate} ]; do sleep 0.01; done; echo done >> {runs}"
    )
    after = AfterPublish(command, tmp_path)
    try:
        after.trigger(5)
        wait_for(lambda: runs.exists(), "the first run to start")
        for n in range(4):  # while it runs: one more run, for all of them
            after.trigger(n + 1)
        gate.touch()
        assert after.wait_idle(TIMEOUT)
    finally:
        after.stop()
    assert runs.read_text().splitlines() == ["start 5", "done", "start 10", "done"]


def test_after_publish_failure_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    noisy = "; ".join(f"echo line {n} >&2" for n in range(30))
    after = AfterPublish(f"{noisy}; exit 7", tmp_path)
    try:
        after.trigger(1)
        assert after.wait_idle(TIMEOUT)
    finally:
        after.stop()
    [record] = [r for r in caplog.records if "after-publish" in r.message]
    assert record.levelno == logging.ERROR
    assert "exit status 7" in record.message
    assert "line 29" in record.message
    assert "line 10 " not in record.message  # only the tail


def test_after_publish_timeout_kills_the_command_and_its_children(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pid_file = tmp_path / "child.pid"
    after = AfterPublish(f"sleep 30 & echo $! > {pid_file}; wait", tmp_path, timeout=0.5)
    try:
        started = time.monotonic()
        after.trigger(1)
        assert after.wait_idle(TIMEOUT)
        assert time.monotonic() - started < 15  # not the command's 30 s
    finally:
        after.stop()
    assert "timed out after 0.5 s and was killed" in caplog.text
    child = int(pid_file.read_text())
    wait_for(lambda: not _running(child), "the child to be gone")


def test_after_publish_stop_ends_a_running_command(tmp_path: Path) -> None:
    after = AfterPublish("sleep 30", tmp_path)
    after.trigger(1)
    wait_for(lambda: after._process is not None, "the command to start")
    started = time.monotonic()
    after.stop(wait=0.2)
    assert time.monotonic() - started < 15  # not the command's 30 s
    assert not after._thread.is_alive()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes (its parent, the killed shell, is gone too).
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except OSError:
        return False
