"""Worker processes for cold builds: results come back, failures are told and
answered with None, and no process with other threads forks."""

from __future__ import annotations

import os
import threading

import pytest

from feeds import workers


def test_a_child_returns_what_its_function_returns() -> None:
    child = workers.start(lambda n: (os.getpid(), list(range(n))), 5)
    pid, numbers = child.result() or (None, None)
    assert numbers == [0, 1, 2, 3, 4]
    assert pid not in (None, os.getpid())


def test_a_failed_child_is_told_and_gives_none(capfd: pytest.CaptureFixture[str]) -> None:
    def fails() -> None:
        raise RuntimeError("the disk is full")

    assert workers.start(fails).result() is None
    assert "the disk is full" in capfd.readouterr().err


def test_a_process_running_another_thread_never_forks() -> None:
    if threading.active_count() == 1:  # (another test may have left a thread behind)
        assert workers.usable() == min(workers.MAX_WORKERS, len(os.sched_getaffinity(0)))
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert workers.usable() == 1
    finally:
        stop.set()
        other.join()
