"""Work shared out to forked processes, for cold builds on several cores.

A forked child starts with a copy of its parent's memory (shared until written), so
it needs nothing sent to it: it runs one function and sends back its result, pickled,
through a pipe. A child that fails prints why and returns nothing; its parent then
does that share of the work itself, so a failure costs time, never output.

Forking copies only the thread that forks: a lock another thread held at that moment
stays held in the child forever. So work is shared out only by a process that runs
no other thread (`osce-feeds build`); the daemon, with its watcher and server
threads, builds in one process. No I/O beyond the pipes.
"""

from __future__ import annotations

import ctypes
import gc
import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
MAX_WORKERS = 4


def usable() -> int:
    """Processes a cold build may use: one per usable core (at most four), or one
    when this process may not fork (see above; and off Linux, where system libraries
    may not survive a fork without exec)."""
    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        return 1
    return max(1, min(MAX_WORKERS, len(os.sched_getaffinity(0))))


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with(parent: int) -> None:
    """Have the kernel kill this (forked) process when its parent dies, so that a
    killed build leaves no worker writing on behind it."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


@dataclass(frozen=True, slots=True)
class Child(Generic[T]):
    pid: int
    pipe: int

    def result(self) -> T | None:
        """What the child's function returned, or None when it failed."""
        with os.fdopen(self.pipe, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        if status != 0 or not data:
            return None
        result: T = pickle.loads(data)
        return result


def start(work: Callable[..., T], *args: object) -> Child[T]:
    """Run `work(*args)` in a forked child process."""
    readable, writable = os.pipe()
    gc.freeze()  # a collection in either process would otherwise copy every page
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 1
        try:
            die_with(parent)
            gc.disable()
            os.close(readable)
            with os.fdopen(writable, "wb") as pipe:
                pickle.dump(work(*args), pipe, protocol=pickle.HIGHEST_PROTOCOL)
            status = 0
        except OSError as error:  # a fault of the environment: one line is enough
            print(f"worker {os.getpid()}: {error}", file=sys.stderr)
        except BaseException:  # told here; the parent does the work again
            traceback.print_exc()
        finally:
            os._exit(status)
    gc.unfreeze()
    os.close(writable)
    return Child(pid, readable)
