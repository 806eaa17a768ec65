"""The daemon's watcher in this process, over a real folder with real inotify
events: what a page dropped into, changed in or deleted from `seeds/` does to the
published feeds, and what an editor's litter does not do."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from feeds.config import Config
from feeds.watch import Daemon

from .daemon import wait_for

PAGE = (
    "Newsroom\nNews and press releases\n"
    "{title}\nPublishing date: 3 March 2026\nContent type: News\n"
    "VIENNA, 3 March 2026 – Experts met...\n"
)


def titles(public: Path) -> set[str]:
    return {entry.title for entry in feedparser.parse(public / "all.atom").entries}


@pytest.fixture
def daemon(config: Config) -> Iterator[Daemon]:
    """The daemon (watch, no server) running in a thread of this process."""
    daemon = Daemon(lambda: config, poll=False, serve=False)
    runner = threading.Thread(target=daemon.run, name="daemon")
    runner.start()
    try:
        wait_for(lambda: daemon.last is not None, "the first build")
        wait_for(lambda: daemon.watch is not None, "the watch on seeds/")
        yield daemon
    finally:
        daemon.stop()
        runner.join(10)


def test_a_page_dropped_into_seeds_is_published_and_a_deleted_one_withdrawn(
    daemon: Daemon, config: Config
) -> None:
    assert daemon.last is not None
    assert daemon.last.items == 14
    (config.seeds / "new.txt").write_text(PAGE.format(title="Experts meet in Vienna"))
    wait_for(lambda: daemon.last is not None and daemon.last.items == 15, "the new item")
    assert "Experts meet in Vienna" in titles(config.public)
    (config.seeds / "new.txt").unlink()
    wait_for(lambda: daemon.last is not None and daemon.last.items == 14, "its withdrawal")
    assert "Experts meet in Vienna" not in titles(config.public)


def test_a_page_written_in_a_burst_is_published_as_last_written(
    daemon: Daemon, config: Config
) -> None:
    page = config.seeds / "new.txt"
    for n in range(5):
        page.write_text(PAGE.format(title=f"Draft {n}"))
    wait_for(lambda: "Draft 4" in titles(config.public), "the last version")
    assert not {f"Draft {n}" for n in range(4)} & titles(config.public)


def test_an_editors_temporary_files_are_not_seeds(daemon: Daemon, config: Config) -> None:
    for name in (".new.txt.swp", "new.txt~", "#new.txt#", ".hidden.txt", "notes.md"):
        (config.seeds / name).write_text(PAGE.format(title="Not a seed"))
    (config.seeds / "real.txt").write_text(PAGE.format(title="A real page"))
    wait_for(lambda: daemon.last is not None and daemon.last.items == 15, "the real page")
    assert "A real page" in titles(config.public)
    assert "Not a seed" not in titles(config.public)
    assert daemon.last is not None
    assert not [issue for issue in daemon.last.issues if "new.txt" in issue.source]


def test_a_builder_the_daemon_replaces_is_freed(daemon: Daemon, config: Config) -> None:
    # The daemon keeps its first build's objects out of the collector's passes; a
    # builder it replaces (SIGHUP, a failed build) must still be freed with them.
    first = weakref.ref(daemon.builder)
    writer = weakref.ref(daemon.builder.writer)
    daemon.reload()
    wait_for(lambda: daemon.builder is not first(), "a new builder")
    wait_for(lambda: daemon.frozen is daemon.builder, "its first build")
    gc.collect()
    assert first() is None
    assert writer() is None
    assert daemon.last is not None
    assert daemon.last.items == 14
