"""Shared fixtures: folders of seeds, configs, and the published feeds parsed back."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest

from feeds.config import Config

from .daemon import SAMPLE_ITEMS, Daemon, free_port, sample_daemon
from .paths import BASE_URL, DATA, ROOT, SAMPLE_SEEDS

__all__ = ["BASE_URL", "DATA", "ROOT", "SAMPLE_SEEDS"]  # (imported from here by tests)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """A config on a fresh copy of the sample seeds and an empty public folder."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SAMPLE_SEEDS, seeds)
    return Config(seeds=seeds, public=tmp_path / "public", base_url=BASE_URL)


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """A copy of the sample seeds (14 items); tests may add pages before starting."""
    folder = tmp_path / "seeds"
    shutil.copytree(SAMPLE_SEEDS, folder)
    return folder


class TextOfHtml(HTMLParser):
    """What a reader shows of an HTML fragment: its text, references resolved;
    a live tag shows no text of its own."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def shown(detail: feedparser.FeedParserDict) -> str:
    """What a feed reader displays of one of feedparser's text constructs."""
    if detail.type in ("text/html", "application/xhtml+xml"):
        return text_of_html(detail.value)
    assert detail.type == "text/plain"
    return str(detail.value)


def text_of_html(fragment: str) -> str:
    reader = TextOfHtml()
    reader.feed(fragment)
    reader.close()
    return "".join(reader.parts)


# --- the daemon ---


@pytest.fixture
def start(tmp_path: Path, seeds: Path) -> Iterator[Callable[..., Daemon]]:
    """Starts daemons on `seeds` and `tmp_path/public` (or `public`) and waits for
    /healthz; every
    one is stopped at the end (SIGTERM, then SIGKILL)."""
    started: list[Daemon] = []

    def start_daemon(
        *,
        port: int | None = None,
        poll: bool = False,
        flags: tuple[str, ...] = (),
        public: Path | None = None,
    ) -> Daemon:
        log_path = tmp_path / f"daemon-{len(started)}.log"
        folder = public or tmp_path / "public"
        daemon = Daemon(seeds, folder, port or free_port(), log_path, poll=poll, flags=flags)
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


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """One daemon on the sample seeds for the tests that only read over HTTP."""
    with sample_daemon(tmp_path_factory.mktemp("served")) as running:
        yield running


# --- no thread outlives its test ---

THREAD_GRACE_SECONDS = 5.0
# Pool threads of a server's event loop: a server a module shares among its tests
# starts them when it first reads a file, and they end with the loop.
LOOP_POOL_THREADS = ("AnyIO worker thread",)


@pytest.fixture(autouse=True)
def no_thread_outlives_its_test() -> Iterator[None]:
    """A thread a test started and left running (a server, a notifier, a watcher)
    would act on later tests' files: every test must stop what it started."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + THREAD_GRACE_SECONDS
    while True:
        left = [
            t
            for t in threading.enumerate()
            if t not in before and t.is_alive() and not t.name.startswith(LOOP_POOL_THREADS)
        ]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert not left, f"threads left running: {[t.name for t in left]}"
