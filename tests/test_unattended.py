"""The daemon left alone: every fault of its environment, one by one and then all in
a row. Each test runs the real `serve` command in a subprocess on real folders, and
checks what a subscriber and the operator would see: the feeds over HTTP, /healthz
and the log.

Faults of the disk use a small tmpfs mounted for the test (full, or read-only); where
the test may not mount one it is skipped, saying why, and the same faults are still
covered by injected errors in test_build.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import time
import zoneinfo
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from feeds.build import build
from feeds.config import Config

from .conftest import BASE_URL, SAMPLE_SEEDS, shown
from .daemon import (
    SAMPLE_ITEMS,
    Daemon,
    daemon_env,
    free_port,
    item,
    page,
    published,
    temporaries,
    titles_in_page,
    wait_for,
)

SLOW = 30.0  # seconds to wait for a retry after back-off
BUILD = (sys.executable, "-m", "feeds", "build", "--base-url", BASE_URL)


def wait_long(condition: Callable[[], object], what: str, daemon: Daemon) -> None:
    deadline = time.monotonic() + SLOW
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}\ndaemon log:\n{daemon.log()[-4000:]}")
        time.sleep(0.1)


def new_page(title: str, day: dt.date) -> str:
    return page(item(title, day, f"Summary of {title}."))


def log_lines(daemon: Daemon, text: str) -> list[str]:
    return [line for line in daemon.log().splitlines() if text in line]


def cold_build(seeds: Path, public: Path, base_url: str) -> dict[str, bytes]:
    """What a cold build of `seeds` publishes, for comparison."""
    build(Config(seeds=seeds, public=public, base_url=base_url, max_withdraw=100))
    return published(public)


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted on `path` for the test."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=755", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}): see test_build.py")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


# --- 1. the seeds folder ----------------------------------------------------------------


def test_missing_seeds_folder_keeps_everything_and_resumes(
    start: Callable[..., Daemon], seeds: Path, tmp_path: Path
) -> None:
    daemon = start()
    before = published(daemon.public)
    away = tmp_path / "seeds.away"
    seeds.rename(away)
    wait_for(lambda: not daemon.health()["ok"], "/healthz to say something is wrong", daemon)
    health = daemon.health()
    assert "does not exist" in health["last_error"]
    assert health["items"] == SAMPLE_ITEMS
    time.sleep(2.5)  # the daemon checks the folder every second: it sees it gone, twice
    assert published(daemon.public) == before
    assert len(daemon.titles()) == SAMPLE_ITEMS
    assert len(log_lines(daemon, "does not exist")) == 1  # one line, not one a second
    away.rename(seeds)
    (seeds / "new.txt").write_text(new_page("Back again", dt.date(2026, 3, 1)), encoding="utf-8")
    wait_for(lambda: daemon.health()["ok"], "/healthz to be ok again", daemon)
    wait_for(lambda: "Back again" in daemon.titles(), "the new page", daemon)
    assert len(daemon.titles()) == SAMPLE_ITEMS + 1


def test_emptied_seeds_folder_is_held_until_confirmed(
    start: Callable[..., Daemon], seeds: Path
) -> None:
    daemon = start()
    before = published(daemon.public)
    kept = {p.name: p.read_bytes() for p in seeds.iterdir()}
    for path in seeds.iterdir():
        path.unlink()
    wait_for(lambda: daemon.health()["held"], "the change to be held", daemon)
    health = daemon.health()
    assert not health["ok"]
    assert "withdraw 14 of the 14 items" in health["held"]
    assert published(daemon.public) == before
    # The seeds come back: the hold is released by itself.
    for name, data in kept.items():
        (seeds / name).write_bytes(data)
    wait_for(lambda: daemon.health()["ok"], "the hold to be released", daemon)
    assert published(daemon.public) == before
    # Emptied again, and this time the operator confirms.
    for path in seeds.iterdir():
        path.unlink()
    wait_for(lambda: daemon.health()["held"], "the change to be held again", daemon)
    daemon.proc.send_signal(signal.SIGUSR1)
    wait_for(lambda: daemon.health()["ok"], "the confirmed change to be published", daemon)
    assert daemon.titles() == []
    assert daemon.health()["items"] == 0


def test_build_refuses_a_missing_seeds_folder(tmp_path: Path) -> None:
    public = tmp_path / "public"
    build(Config(seeds=SAMPLE_SEEDS, public=public, base_url=BASE_URL))
    before = published(public)
    done = subprocess.run(
        [*BUILD, "--seeds", str(tmp_path / "seedz"), "--public", str(public)],
        capture_output=True,
        text=True,
        env=daemon_env(),
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        f"Error: seeds folder {tmp_path / 'seedz'} does not exist; nothing was published"
    ]
    assert published(public) == before


# --- 3. odd files ---------------------------------------------------------------------


def test_odd_files_never_freeze_the_daemon(start: Callable[..., Daemon], seeds: Path) -> None:
    daemon = start()
    os.mkfifo(seeds / "x.txt")
    with open(os.path.join(os.fsencode(seeds), b"caf\xe9.txt"), "wb") as handle:
        handle.write(new_page("Not published", dt.date(2026, 3, 2)).encode())
    wait_for(lambda: len(daemon.health()["seed_problems"]) == 2, "both to be reported", daemon)
    problems = daemon.health()["seed_problems"]
    assert any("x.txt:1: warning: not a regular file (a FIFO): skipped" in p for p in problems)
    assert any("caf\\xe9.txt:1: warning: file name is not printable UTF-8" in p for p in problems)
    # Later changes still publish.
    (seeds / "new.txt").write_text(new_page("After the FIFO", dt.date(2026, 3, 3)), "utf-8")
    wait_for(lambda: "After the FIFO" in daemon.titles(), "a later page", daemon)
    assert "Not published" not in daemon.titles()
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.proc.wait(10) == 0


def test_a_file_name_cannot_forge_a_log_line(start: Callable[..., Daemon], seeds: Path) -> None:
    daemon = start(flags=("-v",))
    forged = "x\n2026-12-02 10:00:00 INFO rebuilt (all good).txt"
    (seeds / forged).write_text(new_page("Forger", dt.date(2026, 3, 4)), encoding="utf-8")
    wait_for(lambda: "not printable" in daemon.log(), "the name to be reported", daemon)
    assert not [line for line in daemon.log().splitlines() if line.startswith("2026-12-02 10")]
    assert "Forger" not in daemon.titles()


# --- 4. public/ not writable ------------------------------------------------------------


def test_full_disk_keeps_serving_says_so_and_catches_up(
    start: Callable[..., Daemon], seeds: Path, tmp_path: Path
) -> None:
    with tmpfs(tmp_path / "disk", "4m") as disk:
        daemon = start(public=disk / "public")
        before = published(daemon.public)
        filler = disk / "filler"
        with open(filler, "wb") as handle, contextlib.suppress(OSError):
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        (seeds / "new.txt").write_text(new_page("While full", dt.date(2026, 3, 5)), "utf-8")
        wait_for(lambda: not daemon.health()["ok"], "/healthz to report the full disk", daemon)
        health = daemon.health()
        assert "No space left on device" in health["last_error"]
        assert health["retry_in_s"] is not None
        assert len(daemon.titles()) == SAMPLE_ITEMS  # still served
        assert all(published(daemon.public)[p] == data for p, data in before.items() if p)
        filler.unlink()  # nothing else changes: the retry alone catches up
        wait_long(lambda: daemon.health()["ok"], "the daemon to catch up", daemon)
        assert "While full" in daemon.titles()
        assert len(log_lines(daemon, "No space left on device")) <= 2
        assert log_lines(daemon, "recovered (retry)")
        assert not temporaries(daemon.public)
        assert published(daemon.public) == cold_build(seeds, tmp_path / "cold", daemon.base_url)


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """`folder` made read-only by a read-only bind mount of itself."""
    done = subprocess.run(["mount", "--bind", str(folder), str(folder)], check=False)
    if done.returncode != 0:
        pytest.skip("cannot bind-mount here: see test_build.py for injected errors")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_read_only_folder_in_public_is_reported_truthfully_and_caught_up(
    start: Callable[..., Daemon], seeds: Path, tmp_path: Path
) -> None:
    """A new page touches feeds in several folders; with `topics/` read-only, some of
    them are written and the rest are not: the daemon says so, then catches up."""
    daemon = start()
    with read_only(daemon.public / "topics"):
        (seeds / "new.txt").write_text(new_page("While read-only", dt.date(2026, 3, 6)), "utf-8")
        wait_for(lambda: not daemon.health()["ok"], "/healthz to report it", daemon)
        error = daemon.health()["last_error"]
        assert "Read-only file system" in error
        assert "files were written before it" in error
        (line,) = log_lines(daemon, "Read-only file system")
        assert "unchanged" not in line
        assert "While read-only" in daemon.titles()  # all.atom was written before
    wait_long(lambda: daemon.health()["ok"], "the daemon to catch up", daemon)
    assert "While read-only" in daemon.titles("/topics/policing.atom")
    assert published(daemon.public) == cold_build(seeds, tmp_path / "cold", daemon.base_url)


def test_build_into_a_full_disk_is_one_line(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "256k") as disk:
        done = subprocess.run(
            [*BUILD, "--seeds", str(SAMPLE_SEEDS), "--public", str(disk / "public")],
            capture_output=True,
            text=True,
            env=daemon_env(),
            timeout=60,
            check=False,
        )
        assert done.returncode == 1
        (line,) = done.stderr.strip().splitlines()
        assert line.startswith(f"Error: {disk / 'public'}: cannot publish: No space left")
        assert not temporaries(disk / "public")


# --- 6. killed builds -------------------------------------------------------------------


def children_of(pid: int) -> set[int]:
    found: set[int] = set()
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.update(int(n) for n in handle.read().split())
    return found


def test_a_killed_build_leaves_no_worker_and_no_litter(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    subprocess.run(
        [sys.executable, "-m", "benchmarks.generate", "--items", "20000", str(seeds)],
        check=True,
        env=daemon_env(),
        cwd=Path(__file__).parent.parent,
        capture_output=True,
    )
    public = tmp_path / "public"
    argv = [sys.executable, "-m", "feeds", "build", "--seeds", str(seeds), "--public", str(public)]
    proc = subprocess.Popen(argv, env=daemon_env(), stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while not (workers and temporaries(public)) and proc.poll() is None:
        workers |= children_of(proc.pid)
        assert time.monotonic() < deadline, "the build never forked workers"
        time.sleep(0.005)
    if proc.poll() is not None:
        pytest.skip("the build ended before it could be killed mid-way (one core?)")
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while any(os.path.exists(f"/proc/{pid}") for pid in workers):
        assert time.monotonic() < deadline, "workers outlived their killed parent"
        time.sleep(0.01)
    # What a run killed mid-write leaves (the kill above may or may not have caught a
    # file between its write and its rename: leave one for sure, as it would be named).
    (public / "topics").mkdir(parents=True, exist_ok=True)
    (public / "topics" / f".policing.atom.{proc.pid}.tmp").write_bytes(b"<feed>half")
    assert temporaries(public)
    done = subprocess.run([*argv, "-q"], env=daemon_env(), timeout=120, check=False)
    assert done.returncode == 0
    assert not temporaries(public)
    assert published(public) == cold_build(seeds, tmp_path / "cold", "http://127.0.0.1:8080/")


# --- all of it in a row -----------------------------------------------------------------


def titles_served(daemon: Daemon) -> set[str]:
    """The titles of all.atom as a reader shows them."""
    return {shown(entry.title_detail) for entry in daemon.feed().entries}


def test_chaos(tmp_path: Path, seeds: Path, request: pytest.FixtureRequest) -> None:
    """The daemon through every fault in a row, in a time zone and at a day time where
    dates could spill, without --base-url. After each step every item of the seeds
    present is still served; at the end, `public/` is byte for byte a cold build of
    the seeds that remain."""

    port = free_port()
    flags = ("--timezone", "Europe/Vienna", "--day-time", "23:30")
    mounted = contextlib.ExitStack()
    request.addfinalizer(mounted.close)  # unmounted whatever happens
    try:
        disk: Path | None = mounted.enter_context(tmpfs(tmp_path / "disk", "12m"))
    except pytest.skip.Exception:
        disk = None  # the full disk step is skipped below
    public = (disk or tmp_path) / "public"
    logs = iter(range(100))

    def start() -> Daemon:
        log = tmp_path / f"chaos-{next(logs)}.log"
        daemon = Daemon(seeds, public, port, log, flags=flags, base_url=False)
        daemon.wait_ready()
        return daemon

    expected = set().union(*(titles_in_page(p) for p in seeds.iterdir()))
    daemon = start()
    try:

        def holds(what: str) -> None:
            """Every expected item is served (none lost), and no other."""
            try:
                wait_for(lambda: titles_served(daemon) == expected, what, daemon)
            except pytest.fail.Exception:
                served = titles_served(daemon)
                pytest.fail(f"{what}: missing {expected - served}, unexpected {served - expected}")

        holds("the sample")
        # Pages with hazards of their own.
        hazards = {
            "markup.txt": page(
                item("A <b>bold</b> claim", dt.date(2026, 1, 5), "<img src=x onerror=alert(2)>")
            ),
            "cp1252.txt": page(item("Caf\u00e9 talks", dt.date(2026, 1, 6), "X")),
            "cut.txt": page(item("Cut value page", dt.date(2026, 1, 7), "Fine."))
            + "Another item\r\nPublishing date: 8 January 2026\r\nWhat we do: Human rig\r\n",
            "upper.txt": page(
                item("Upper case mission", dt.date(2026, 1, 9), "U.", mission="MISSION TO TESTLAND")
            ),
            "lower.txt": page(
                item(
                    "Lower case mission", dt.date(2026, 1, 10), "L.", mission="Mission to Testland"
                )
            ),
        }
        for name, text in hazards.items():
            data = text.encode()
            if name == "cp1252.txt":
                data = data.replace("Caf\u00e9 talks\n".encode(), b"Caf\xe9 talks \x92 now\n", 1)
            (seeds / name).write_bytes(data)
        expected |= {
            "A <b>bold</b> claim",
            "Caf\u00e9 talks \u2019 now",
            "Cut value page",
            "Another item",
            "Upper case mission",
            "Lower case mission",
        }
        holds("the hazard pages")
        missions = [p for p in published(public) if p.startswith("missions/") and "testland" in p]
        assert sorted(missions) == [
            f"missions/mission-to-testland.{x}" for x in ("atom", "html", "json", "rss")
        ]
        assert not [p for p in published(public) if p.startswith("topics/human-rig.")]
        assert f"http://127.0.0.1:{port}/all.atom" in (public / "all.atom").read_text()

        # The seeds folder goes away and comes back.
        away = tmp_path / "seeds.away"
        seeds.rename(away)
        wait_for(lambda: not daemon.health()["ok"], "the missing folder to be reported", daemon)
        assert titles_served(daemon) == expected
        away.rename(seeds)
        wait_for(lambda: daemon.health()["ok"], "the folder to be back", daemon)

        # Odd files, a huge one and a hostile one.
        os.mkfifo(seeds / "fifo.txt")
        (seeds / "link.txt").symlink_to("/etc/passwd")
        (seeds / "huge.txt").write_bytes(b"A title\nPublishing date: 1 May 2026\n" * 60_000)
        with open(os.path.join(os.fsencode(seeds), b"caf\xe9\n.txt"), "wb") as handle:
            handle.write(page(item("Bad name", dt.date(2026, 2, 1), "B.")).encode())
        wait_for(lambda: len(daemon.health()["seed_problems"]) >= 4, "odd files reported", daemon)
        holds("the pages beside odd files")

        # A build on the daemon's public/ is refused.
        done = subprocess.run(
            [*BUILD, "--seeds", str(seeds), "--public", str(public)],
            capture_output=True,
            text=True,
            env=daemon_env(),
            timeout=60,
            check=False,
        )
        assert done.returncode == 1, done.stderr
        assert "in use by osce-feeds" in done.stderr

        # A full disk, then room again.
        if disk is not None:
            filler = disk / "filler"
            with open(filler, "wb") as handle, contextlib.suppress(OSError):
                while True:
                    handle.write(b"\0" * 65536)
                    handle.flush()
            (seeds / "full.txt").write_text(page(item("Disk full", dt.date(2026, 2, 2), "F.")))
            wait_for(lambda: "No space" in (daemon.health()["last_error"] or ""), "ENOSPC", daemon)
            filler.unlink()
            expected.add("Disk full")
            wait_long(lambda: daemon.health()["ok"], "the daemon to catch up", daemon)
            holds("the page that landed on a full disk")

        # Every seed moved away at once: held, then put back.
        backup = tmp_path / "backup"
        backup.mkdir()
        for path in list(seeds.iterdir()):
            path.rename(backup / path.name)
        wait_for(lambda: daemon.health()["held"], "the emptied folder to be held", daemon)
        assert titles_served(daemon) == expected
        for path in list(backup.iterdir()):
            path.rename(seeds / path.name)
        wait_for(lambda: daemon.health()["ok"], "the hold to be released", daemon)
        holds("everything after the hold")

        # Killed in the middle of a burst, then started again.
        for n in range(20):
            title = f"Burst {n} before the kill"
            (seeds / f"burst-{n}.txt").write_text(page(item(title, dt.date(2026, 3, 1 + n), ".")))
            expected.add(title)
        daemon.proc.kill()
        daemon.proc.wait()
        daemon = start()
        holds("the burst after a restart")
        vienna = zoneinfo.ZoneInfo("Europe/Vienna")
        for entry in daemon.feed().entries:  # at 23:30 in Vienna, no date spills over
            if entry.title.startswith("Burst "):
                n = int(entry.title.split()[1])
                local = dt.datetime.fromisoformat(entry.updated).astimezone(vienna)
                assert local.date() == dt.date(2026, 3, 1 + n), entry.updated
        (seeds / "fifo.txt").unlink()
    finally:
        daemon.stop()
    assert not temporaries(public)
    cold = tmp_path / "cold"
    build(
        Config(
            seeds=seeds,
            public=cold,
            base_url=f"http://127.0.0.1:{port}/",
            timezone="Europe/Vienna",
            day_time="23:30",
        )
    )
    assert published(public) == published(cold)
