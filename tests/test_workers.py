"""Worker processes for cold builds: results come back as values, failures are told
and the share done here, and no process with other threads forks."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from feeds import workers


@dataclass(frozen=True, slots=True)
class Done:
    pid: int
    share: tuple[int, ...]


@pytest.fixture
def alone() -> None:
    """This process runs no thread but the test's, as forking needs: the pool threads
    of a server that the tests before shared may take a moment to end."""
    deadline = time.monotonic() + 10
    while workers.thread_count() > 1:
        if time.monotonic() > deadline:
            pytest.fail(f"other threads still run: {[t.name for t in threading.enumerate()]}")
        time.sleep(0.05)


def note(share: tuple[int, ...]) -> Done:
    return Done(os.getpid(), share)


@pytest.mark.usefixtures("alone")
def test_each_share_after_the_first_is_done_by_a_child_of_its_own() -> None:
    shares = [(1, 2), (3,), (4, 5, 6)]
    done = workers.map_shares(note, shares)
    assert [d.share for d in done] == shares  # in order, as values
    pids = [d.pid for d in done]
    assert pids[0] == os.getpid()
    assert len(set(pids)) == 3


def test_a_result_of_none_is_a_result() -> None:
    assert workers.map_shares(lambda share: None, [1, 2]) == [None, None]


@pytest.mark.usefixtures("alone")
def test_a_failed_child_is_told_and_its_share_done_here(
    capfd: pytest.CaptureFixture[str],
) -> None:
    parent = os.getpid()

    def fragile(share: int) -> tuple[int, int]:
        if os.getpid() != parent:
            raise RuntimeError("the disk is full")
        return share, os.getpid()

    assert workers.map_shares(fragile, [1, 2]) == [(1, parent), (2, parent)]
    assert "the disk is full" in capfd.readouterr().err


@pytest.mark.usefixtures("alone")
def test_children_are_waited_for_when_the_first_share_fails(tmp_path: Path) -> None:
    def first_fails(share: int) -> int:
        if share == 0:
            raise ValueError("a bug")
        (tmp_path / str(share)).write_text(str(os.getpid()))
        return share

    with pytest.raises(ValueError, match="a bug"):
        workers.map_shares(first_fails, [0, 1, 2])
    pids = [int((tmp_path / name).read_text()) for name in ("1", "2")]
    assert os.getpid() not in pids
    # Reaped: not even a zombie is left (a child not waited for keeps its entry).
    assert not [pid for pid in pids if os.path.exists(f"/proc/{pid}")]


@pytest.mark.usefixtures("alone")
def test_a_process_running_another_thread_never_forks() -> None:
    assert workers.thread_count() == threading.active_count() == 1
    assert workers.usable() == min(workers.MAX_PROCESSES, len(os.sched_getaffinity(0)))
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert workers.usable() == 1
        assert {d.pid for d in workers.map_shares(note, [(1,), (2,)])} == {os.getpid()}
    finally:
        stop.set()
        other.join()


@dataclass(frozen=True, slots=True)
class Work:
    when: int
    weight: int


def test_shares_are_spans_of_time_of_about_equal_weight() -> None:
    pieces = [Work(when, 10) for when in (5, 1, 4, 2, 3, 6)]
    shares = workers.split_by_time(pieces, 3)
    assert [[w.when for w in share] for share in shares] == [[1, 2], [3, 4], [5, 6]]
    headed = workers.split_by_time(pieces, 2, head=20)  # the first share starts loaded
    assert [len(share) for share in headed] == [2, 4]
    assert workers.split_by_time([], 4) == [[]]


def test_dealt_shares_keep_every_item_in_order_and_the_first_is_larger() -> None:
    names = [f"page-{n:04}.txt" for n in range(3000)]
    shares = workers.deal(names, 2, first=1.4)
    assert [len(share) for share in shares] == [1750, 1250]
    assert [name for share in shares for name in share] == names
    assert [len(share) for share in workers.deal(names[:10], 3)] == [3, 4, 3]
    assert workers.deal([], 2, first=1.4) == [[], []]
