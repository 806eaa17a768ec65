"""Work shared out to forked processes, for cold builds on several cores: the one
place where the package forks.

`map_shares(fn, shares)` is `[fn(share) for share in shares]`, with every share but
the first done by a forked child while this process does the first. A forked child
starts with a copy of its parent's memory (shared until written), so it needs
nothing sent to it: it runs `fn` on its share and sends the result back, pickled,
through a pipe. Results are values (frozen dataclasses); `fn` must not rely on what
another share does to memory, since each share runs in a process of its own. A child
that fails prints why and sends nothing; its parent then does that share itself,
so a failure costs time, never output.

Forking copies only the thread that forks: a lock another thread held at that moment
stays held in the child forever. So work is shared out only by a process that runs
no other thread (counted in `/proc/self/task`, which also sees threads that
`threading` does not know of); otherwise, and off Linux, every share is done here.
`deal` and `split_by_time` cut work into shares. No I/O beyond the pipes.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

S = TypeVar("S")
R = TypeVar("R")
MAX_PROCESSES = 4
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def thread_count() -> int:
    """Threads of this process, as the kernel counts them."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:  # no /proc: assume the worst
        return 2


def may_fork() -> bool:
    """Whether this process may share work out: on Linux (elsewhere system libraries
    may not survive a fork without exec), with no thread but this one."""
    return sys.platform.startswith("linux") and thread_count() == 1


def usable() -> int:
    """Processes a cold build may use: one per usable core (at most four), or one
    when this process may not fork."""
    if not may_fork():
        return 1
    return max(1, min(MAX_PROCESSES, len(os.sched_getaffinity(0))))


def map_shares(fn: Callable[[S], R], shares: Sequence[S]) -> list[R]:
    """`[fn(share) for share in shares]`: the first share here, each other one in a
    forked child at the same time, when there are several and this process may
    fork; all here otherwise, and for any child that fails. Children are always
    waited for, even when the first share raises."""
    if len(shares) < 2 or not may_fork():
        return [fn(share) for share in shares]
    children = [start(fn, share) for share in shares[1:]]
    try:
        first = fn(shares[0])
    finally:
        done = [child.result() for child in children]
    rest = [
        fn(share) if sent is None else sent.value
        for share, sent in zip(shares[1:], done, strict=True)
    ]
    return [first, *rest]


class Timed(Protocol):
    """A piece of work that belongs to a moment (`when`: smaller is newer) and costs
    `weight`."""

    @property
    def when(self) -> int: ...

    @property
    def weight(self) -> int: ...


T = TypeVar("T", bound=Timed)


def split_by_time(pieces: Iterable[T], shares: int, head: int = 0) -> list[list[T]]:
    """`pieces` cut into `shares` spans of time of about equal weight, newest first;
    the first share starts with `head` weight already (work done before them)."""
    ordered = sorted(pieces, key=lambda piece: piece.when)
    total = head + sum(piece.weight for piece in ordered)
    cut: list[list[T]] = [[] for _ in range(max(1, shares))]
    done = head
    for piece in ordered:
        cut[min(len(cut) - 1, done * len(cut) // max(1, total))].append(piece)
        done += piece.weight
    return [share for share in cut if share] or [[]]


def deal(items: Sequence[S], shares: int, first: float = 1.0) -> list[list[S]]:
    """`items` cut into `shares` runs, in order, of equal length but for the first,
    `first` times as long as each other one (the share done here: a child also
    sends its result back)."""
    count = max(1, shares)
    parts = first + count - 1
    ends = [round(len(items) * (first + n) / parts) for n in range(count)]
    starts = [0, *ends[:-1]]
    return [list(items[start:end]) for start, end in zip(starts, ends, strict=True)]


def die_with(parent: int) -> None:
    """Have the kernel kill this (forked) process when its parent dies, so that a
    killed build leaves no worker writing on behind it."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


@dataclass(frozen=True, slots=True)
class Sent(Generic[R]):
    """What a child sent back (a box, so that a result of None is told from none)."""

    value: R


@dataclass(frozen=True, slots=True)
class Child(Generic[R]):
    pid: int
    pipe: int

    def result(self) -> Sent[R] | None:
        """What the child's function returned, or None when it failed."""
        with os.fdopen(self.pipe, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        if status != 0 or not data:
            return None
        sent: Sent[R] = pickle.loads(data)
        return sent


def start(fn: Callable[[S], R], share: S) -> Child[R]:
    """Run `fn(share)` in a forked child process."""
    readable, writable = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 1
        try:
            die_with(parent)
            os.close(readable)
            with os.fdopen(writable, "wb") as pipe:
                pickle.dump(Sent(fn(share)), pipe, protocol=pickle.HIGHEST_PROTOCOL)
            status = 0
        except OSError as error:  # a fault of the environment: one line is enough
            print(f"worker {os.getpid()}: {error}", file=sys.stderr)
        except BaseException:  # told here; the parent does the work again
            traceback.print_exc()
        finally:
            os._exit(status)
    os.close(writable)
    return Child(pid, readable)
