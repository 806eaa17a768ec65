"""The daemon as an operator runs it and a feed reader sees it: the real `serve`
command in a subprocess on a folder of seeds, spoken to over real HTTP on 127.0.0.1,
its feeds read back with a real feed parser.

Nothing here sleeps a fixed time to let the daemon catch up: every wait polls for
what a user would notice, with a timeout.
"""

from __future__ import annotations

import datetime as dt
import gzip
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest

from .daemon import (
    BURST_ITEMS_DIR,
    HAZARDS,
    PAGE_01,
    SAMPLE_A,
    SAMPLE_B,
    SAMPLE_ITEMS,
    TIMEOUT,
    Daemon,
    daemon_env,
    free_port,
    item,
    page,
    parse_feed,
    published,
    request,
    snapshot,
    temporaries,
    titles_in_page,
    wait_for,
    wait_quiet,
    write_burst,
)

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

    daemon.proc.send_signal(signum)
    try:
        code = daemon.proc.wait(2)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running 2 s after {signal.Signals(signum).name}:\n{daemon.log()}")
    assert code == 0, daemon.log()
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
