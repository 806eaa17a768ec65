"""The promise of the issue, checked with a real feed reader: "a feed reader subscribed
to the feeds sees new items within a second of a new page landing in seeds/, with no
duplicates and with items it has already read still marked read."

The reader is newsboat (`apt-get install newsboat`), run unattended: `-x reload`
fetches the feeds into its SQLite cache, `-I FILE` marks articles read (its own import
of a list of read articles), `-x print-unread` counts what it would show as new. What
it holds is read back from the cache, where newsboat keeps one row per article guid
(`rss_item`: guid, title, content, pubDate, unread, and the feed it is filed under).

newsboat files an article under one feed only, by guid: an item of both all.atom and
topics/policing.atom is one row (the right thing: one entry, one id, read once), filed
under whichever feed was fetched last. So "all.atom's 14 items" are checked as the 14
guids newsboat holds, which must be the ids all.atom serves.

newsboat reaches the daemon through a small recording HTTP proxy of ours (newsboat's
own `use-proxy` setting), so that the test sees each request newsboat makes and each
status the daemon answers: the daemon keeps no access log, even with -v.

The second test is a bug found this way (a feed changed twice within one second kept
its Last-Modified, and newsboat lost the second change), now fixed in publish.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from .conftest import SAMPLE_SEEDS
from .daemon import (
    PAGE_01,
    SAMPLE_A,
    SAMPLE_B,
    SAMPLE_ITEMS,
    Daemon,
    free_port,
    item,
    page,
    parse_feed,
    titles_in_page,
    wait_for,
)
from .newsboat import NEWSBOAT, Newsboat, Relay

pytestmark = pytest.mark.skipif(
    NEWSBOAT is None, reason="newsboat not installed: apt-get install newsboat"
)

FEEDS = ("/all.atom", "/topics/policing.atom")
NEW_ITEMS = 10  # in tests/data/holdout/page_01.txt
LATENCY_LIMIT = 1.0  # seconds, the promise

# The item whose summary a later scrape lengthens: in SAMPLE_A, and about policing.
EDITED_TITLE = (
    "OSCE organizes regional workshop on intelligence-led policing for law enforcement "
    "agencies in Central Asian States"
)
ADDED_SENTENCE = "The participants also drafted a joint plan for sharing criminal intelligence."


# --- fixtures -----------------------------------------------------------------------


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    seeds = tmp_path / "seeds"
    shutil.copytree(SAMPLE_SEEDS, seeds)
    running = Daemon(seeds, tmp_path / "public", free_port(), tmp_path / "daemon.log")
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()


@pytest.fixture
def relay() -> Iterator[Relay]:
    server = Relay()
    server.thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        server.thread.join(5)


def last_modified(daemon: Daemon, path: str) -> float:
    return parsedate_to_datetime(daemon.get(path, "HEAD").headers["last-modified"]).timestamp()


def wait_past_last_modified(daemon: Daemon) -> None:
    """Wait until the clock has left the second of the feeds' current Last-Modified.
    A change published within that same second keeps the same Last-Modified (see
    `test_newsboat_sees_a_change_made_within_the_same_second`), and newsboat, which
    sends If-Modified-Since, would then drop the new version: that bug has a test of
    its own, the other steps here are kept clear of it."""
    newest = max(last_modified(daemon, feed) for feed in FEEDS)
    time.sleep(max(0.0, newest + 1.02 - time.time()))


def land(path: Path, text: str) -> float:
    """Publish a seed page the way a careful scraper does (a temporary name, then an
    atomic rename); the moment it landed."""
    temporary = path.with_name(f".{path.name}.partial")
    temporary.write_text(text, encoding="utf-8")
    landed = time.monotonic()
    os.replace(temporary, path)
    return landed


# --- the tests ----------------------------------------------------------------------


def test_newsboat_sees_new_items_once_and_keeps_read_state(
    daemon: Daemon, relay: Relay, tmp_path: Path
) -> None:
    urls = [daemon.base_url.rstrip("/") + feed for feed in FEEDS]
    reader = Newsboat(tmp_path / "newsboat", urls, relay.port)
    served = parse_feed(daemon.get("/all.atom").body)
    sample_titles = titles_in_page(daemon.seeds / SAMPLE_A) | titles_in_page(
        daemon.seeds / SAMPLE_B
    )
    policing_ids = {e.id for e in daemon.feed("/topics/policing.atom").entries}
    assert {e.title for e in served.entries} == sample_titles
    assert policing_ids, "no policing item in the samples"

    # 1. Subscribed: newsboat holds the 14 sample items, under the feeds' own ids.
    reader.reload()
    assert relay.errors == []
    assert set(relay.statuses()) == set(FEEDS), relay.exchanges
    first = reader.articles()
    assert len(first) == SAMPLE_ITEMS
    assert set(first) == {e.id for e in served.entries}
    assert policing_ids <= set(first)
    assert {a.title for a in first.values()} == sample_titles
    assert {a.feedurl for a in first.values()} <= set(urls)
    assert all(a.unread for a in first.values())
    assert reader.unread_count() == SAMPLE_ITEMS

    # 2. Everything read.
    reader.mark_read(set(first))
    read = reader.articles()
    assert not any(a.unread for a in read.values())
    assert reader.unread_count() == 0

    # 3. A new page lands; the daemon serves it within a second.
    new_titles = titles_in_page(PAGE_01)
    assert len(new_titles) == NEW_ITEMS
    assert not new_titles & sample_titles
    wait_past_last_modified(daemon)
    etag = daemon.get("/all.atom").headers["etag"]

    def new_feed_served() -> bool:
        reply = daemon.get("/all.atom")
        if reply.status != 200 or reply.headers["etag"] == etag:
            return False
        return new_titles <= {e.title for e in parse_feed(reply.body).entries}

    landed = land(daemon.seeds / "page_01.txt", PAGE_01.read_text(encoding="utf-8"))
    wait_for(new_feed_served, "all.atom with the new page's items", daemon, interval=0.01)
    latency = time.monotonic() - landed
    # The daemon publishes file by file (all.atom first): a reader polling in the
    # middle of a rebuild may get the new all.atom and the old topics/policing.atom,
    # and catches up at its next poll. Wait for the whole build, as /healthz says.
    wait_for(
        lambda: daemon.health()["items"] == SAMPLE_ITEMS + NEW_ITEMS,
        "/healthz to report the build",
        daemon,
        interval=0.01,
    )
    settled = time.monotonic() - landed
    print(
        f"\nnew page in seeds/ -> its items served in all.atom: {latency * 1000:.0f} ms, "
        f"whole build reported by /healthz: {settled * 1000:.0f} ms"
    )
    assert latency < LATENCY_LIMIT, f"the new page took {latency:.2f} s to be served"
    assert settled < LATENCY_LIMIT, f"the new page took {settled:.2f} s to be built"

    # 4. newsboat's next poll: 24 items, each once; the 10 new unread, the 14 old read
    #    and untouched (same title, content and date).
    relay.exchanges.clear()
    reader.reload()
    assert relay.statuses()["/all.atom"] == [200]
    second = reader.articles()
    assert len(second) == SAMPLE_ITEMS + NEW_ITEMS
    assert {a.title for a in second.values()} == sample_titles | new_titles
    assert set(first) <= set(second)
    for guid, before in read.items():
        after = second[guid]
        assert not after.unread, f"read item {after.title!r} is unread again"
        assert (after.title, after.content, after.pub_date) == (
            before.title,
            before.content,
            before.pub_date,
        ), f"an old item changed when a new page arrived: {after.title!r}"
    fresh = [a for guid, a in second.items() if guid not in first]
    assert {a.title for a in fresh} == new_titles
    assert all(a.unread for a in fresh)
    assert reader.unread_count() == NEW_ITEMS

    # 5. Another poll with nothing changed: the daemon answers newsboat's conditional
    #    requests with 304 and newsboat's cache stays as it was.
    relay.exchanges.clear()
    reader.reload()
    assert relay.statuses() == {feed: [304] for feed in FEEDS}, relay.exchanges
    assert all("if-none-match" in x.request_headers for x in relay.exchanges)
    assert reader.articles() == second
    assert reader.unread_count() == NEW_ITEMS

    # 6. A later scrape of an old page lengthens one summary: the same entry, updated
    #    in place, still read; nothing duplicated.
    page = daemon.seeds / SAMPLE_A
    text = page.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    at = lines.index(EDITED_TITLE + "\n") + 5  # title, date, type, missions, topics
    summary = lines[at].rstrip("\n")
    assert summary.endswith("..."), summary
    lines[at] = f"{summary.removesuffix('...')}. {ADDED_SENTENCE}\n"
    (edited_guid,) = [g for g, a in second.items() if a.title == EDITED_TITLE]
    assert edited_guid in policing_ids

    def edit_served() -> bool:  # by both feeds
        for feed in FEEDS:
            entries = parse_feed(daemon.get(feed).body).entries
            if not any(ADDED_SENTENCE in e.content[0].value for e in entries):
                return False
        return True

    wait_past_last_modified(daemon)
    land(page, "".join(lines))
    wait_for(edit_served, "the longer summary in both feeds", daemon, interval=0.01)
    relay.exchanges.clear()
    reader.reload()
    assert relay.statuses() == {feed: [200] for feed in FEEDS}, relay.exchanges
    third = reader.articles()
    assert set(third) == set(second)
    edited = third[edited_guid]
    assert ADDED_SENTENCE in edited.content
    assert not edited.unread
    assert {guid for guid, a in third.items() if a.unread} == {a.guid for a in fresh}
    assert reader.unread_count() == NEW_ITEMS
    assert relay.errors == []


def fresh_page(n: int) -> str:
    """A page of two items of its own (2026, no sample or holdout item is that recent)."""
    day = dt.date(2026, 1, 1) + dt.timedelta(days=2 * n)
    return page(
        item(f"Reader test workshop {n} on border policing", day, f"Workshop {n}."),
        item(f"Reader test seminar {n} on media freedom", day, f"Seminar {n}."),
    )


def test_newsboat_sees_a_change_made_within_the_same_second(
    daemon: Daemon, relay: Relay, tmp_path: Path
) -> None:
    """Two pages land a moment apart, within one second of the clock, and newsboat
    happens to poll between the two rebuilds (a scraper saving pages one by one, a
    reader polling at that moment). all.atom changes twice in that second: its ETag
    changes each time, its Last-Modified (the file's mtime, in whole seconds) does
    not. newsboat sends If-None-Match and If-Modified-Since; the daemon rightly
    answers 200, but libcurl finds the 200's Last-Modified no newer than
    If-Modified-Since and discards the body as "not modified", and newsboat stores
    the new ETag: it never gets the second page's items, and later polls are 304.
    Publishing now moves a changed file's mtime to the next second when needed."""
    for attempt in range(3):
        reader = Newsboat(
            tmp_path / f"newsboat-{attempt}", [daemon.base_url + "all.atom"], relay.port
        )
        reader.reload()
        reader.reload()  # newsboat 2.21 keeps the validators of its second fetch on
        # Start just after a second begins: both rebuilds (~0.2 s each) then fit in it.
        time.sleep(1.02 - time.time() % 1)
        started = time.time()
        pages = {f"reader_{attempt}_{n}.txt": fresh_page(2 * attempt + n) for n in (0, 1)}
        for name, text in pages.items():
            wanted = {line for line in text.splitlines() if line.startswith("Reader test")}
            etag = daemon.get("/all.atom").headers["etag"]
            land(daemon.seeds / name, text)

            def served(etag: str = etag, wanted: set[str] = wanted) -> bool:
                reply = daemon.get("/all.atom")
                if reply.headers["etag"] == etag:
                    return False
                return wanted <= {e.title for e in parse_feed(reply.body).entries}

            wait_for(served, f"all.atom with {name}", daemon, interval=0.005)
            if not name.endswith("_1.txt"):
                relay.exchanges.clear()
                reader.reload()  # newsboat polls between the two rebuilds
                assert relay.statuses() == {"/all.atom": [200]}, relay.exchanges
                assert wanted <= {a.title for a in reader.articles().values()}
                seen = relay.exchanges[0].response_headers["last-modified"]
        if int(started) != int(time.time()):
            continue  # too slow this time (the rebuilds may span two seconds): again
        relay.exchanges.clear()
        reader.reload()
        statuses = relay.statuses()
        relay.exchanges.clear()
        reader.reload()  # and its next poll, a while later
        later = relay.statuses()
        expected = {e.title for e in daemon.feed().entries}
        missing = expected - {a.title for a in reader.articles().values()}
        now = daemon.get("/all.atom", "HEAD").headers["last-modified"]
        assert not missing, (
            f"newsboat missed {sorted(missing)}: all.atom changed but kept Last-Modified "
            f"{now!r} (newsboat had {seen!r}); the daemon answered {statuses} to "
            f"newsboat's conditional GET, then {later} to its next one"
        )
        return
    pytest.skip("could not publish two versions of all.atom within one second")
