"""The benchmark table of osce-feeds: build times, daemon latency, memory, output size.

    python -m benchmarks.run [--sizes 1000,10000,30000,100000] [--json FILE] [--quick]
    python -m benchmarks.run --profile 30000     # cProfile of one cold build

For each corpus size (items) a synthetic seeds folder (`benchmarks.generate`) is
written into a temporary folder, and then:

1. cold build: `feeds.build.build` into an empty `public/`, in a fresh subprocess,
   which also gives the peak memory (ru_maxrss of RUSAGE_CHILDREN, read in a small
   wrapper process so that no other child counts) and the files and bytes written;
2. no-change rebuild: nothing changed; `build` in a fresh process (as `osce-feeds
   build` run again: it checks the inputs it recorded), a new `Builder` (as a daemon
   started again: reads every seed, compares every file) and the same `Builder`
   again (caches warm, as the daemon);
3. with that long-lived `Builder`: add one page of 10 new items (newest of all), edit
   the newest original page (three summaries longer, one topic more), delete a page
   from the middle; each `Builder.build()` call is timed;
4. end to end through the daemon: `python -m feeds watch` in a subprocess; once its
   first build is done, a new page is written (temporary name, then `os.replace`
   into seeds/) and `public/all.atom` is polled until the new item's title is in it;
5. the baseline (`benchmarks.baseline`) cold build in a subprocess, skipped when its
   time, extrapolated from the smaller sizes, would exceed two minutes.

Times are medians of 3 runs when one run is cheap (under `--cheap` seconds, default
3 s), else of one run; the table marks one-run values with †. Progress goes to
stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import hashlib
import io
import json
import os
import platform
import pstats
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from benchmarks.generate import Page, corpus, edited, make_items, page_name, write_page

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SIZES = (1000, 10000, 30000, 100000)
QUICK_SIZES = (1000, 10000)
REPEATS = 3
CHEAP_SECONDS = 3.0
BASELINE_LIMIT_SECONDS = 120.0
BASE_URL = "http://127.0.0.1:8080/"
POLL_SECONDS = 0.005
DAEMON_TIMEOUT_SECONDS = 900.0
NEW_PAGE_ITEMS = 10

# Runs a command and prints its last output line (JSON) with the peak memory of its
# process added: RUSAGE_CHILDREN of this wrapper covers that one child only.
PROBE = """
import json, resource, subprocess, sys, time

def tree(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            kids = [int(k) for k in handle.read().split()]
    except OSError:
        return [pid]
    return [pid, *(p for kid in kids for p in tree(kid))]

def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

child = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, text=True)
peak = 0
while child.poll() is None:  # the build's processes together (their shared pages once)
    peak = max(peak, sum(pss_kb(pid) for pid in tree(child.pid)))
    time.sleep(0.5)  # (reading smaps costs the build's processes time: not too often)
out = child.stdout.read()
if child.returncode:
    sys.exit(child.returncode)
data = json.loads(out.strip().splitlines()[-1])
data["maxrss_kb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
data["peak_pss_kb"] = peak
print(json.dumps(data))
"""


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def child_env(root: Path = ROOT) -> dict[str, str]:
    """The environment of child processes: the code in `root` importable first, no
    settings of a user."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSCE_FEEDS_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    return env


def probe(command: Sequence[str], cwd: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *command],
        cwd=cwd,
        env=child_env(),
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def machine() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    return {
        "feeds_digest": feeds_digest(),
        "load_before": os.getloadavg()[0],
        "cpu": model,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def filesystem(path: Path) -> str:
    """The type of the file system `path` is on (from /proc/mounts), and its device."""
    found, best = "unknown", ""
    with contextlib.suppress(OSError):
        target = str(path.resolve())
        for line in Path("/proc/mounts").read_text().splitlines():
            device, mount, kind = line.split()[:3]
            inside = target == mount or target.startswith(mount.rstrip("/") + "/")
            if inside and len(mount) >= len(best):
                found, best = f"{kind} ({device}) at {mount}", mount
    return found


def feeds_digest(root: Path = ROOT) -> str:
    """Which version of the core was measured: a digest of the sources of `feeds/`."""
    digest = hashlib.sha256()
    for path in sorted((root / "feeds").rglob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


# --- measurements ---


@dataclass
class Timing:
    """Seconds of each run of one measurement; its value is their median."""

    runs: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.runs) if self.runs else None

    def as_json(self) -> dict[str, Any]:
        return {"median": self.median, "runs": self.runs, "note": self.note}


def repeated(run: Callable[[], float], repeats: int, cheap: float) -> Timing:
    """One run; `repeats` in all when that one was cheap."""
    timing = Timing([run()])
    if timing.runs[0] < cheap:
        timing.runs.extend(run() for _ in range(repeats - 1))
    return timing


def cold_build(seeds: Path, public: Path, *, empty: bool = True) -> dict[str, Any]:
    """One `build` in a fresh process (cold: into an empty `public/`), with its peak
    memory."""
    if empty:
        shutil.rmtree(public, ignore_errors=True)
    command = [sys.executable, "-m", "benchmarks.run", "--cold-child", str(seeds), str(public)]
    return probe(command, seeds.parent)


def cold_child(seeds: Path, public: Path) -> None:
    """The body of the cold-build subprocess: prints one JSON line."""
    from feeds import heap
    from feeds.build import build
    from feeds.config import Config

    config = Config(seeds=seeds, public=public, base_url=BASE_URL)
    started = time.perf_counter()
    with heap.paused(freeze=True):  # as `osce-feeds build` does
        result = build(config)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "items": result.items,
                "feeds": result.feeds,
                "files_written": len(result.report.written),
                "bytes_written": result.report.bytes_written,
            }
        )
    )


class NewPages:
    """Pages of new items, each newer than everything before it."""

    def __init__(self, first_day: dt.date, first_index: int) -> None:
        self.day = first_day
        self.index = first_index
        self.count = 0

    def next(self) -> Page:
        first, last = self.day, self.day + dt.timedelta(days=9)
        self.day = last + dt.timedelta(days=1)
        self.count += 1
        items = tuple(make_items(NEW_PAGE_ITEMS, 10_000 + self.count, first, last))
        page = Page("", items, 3)
        return Page(page_name(self.index + self.count, page.text()), items, 3)


class Changes:
    """What the daemon's builder is timed on, round after round: a page of new items
    added (newest of all), the newest original page edited, a page from the middle
    deleted; each build told which seed changed, as the daemon's watcher tells it."""

    def __init__(self, seeds: Path, pages: Sequence[Page], size: int) -> None:
        self.seeds = seeds
        self.pages = pages
        self.expected = size  # items after the last change
        self.new_pages = NewPages(dt.date(2026, 1, 1), 800_000)
        self.victims = iter(pages[len(pages) // 2 :])
        self.written: dict[str, list[int]] = {"add": [], "edit": [], "delete": []}

    def round(self, builder: Any, round_: int) -> tuple[float, float, float]:
        """Seconds of the add, the edit and the delete."""
        written, seeds = self.written, self.seeds
        page = self.new_pages.next()
        write_page(seeds, page)
        self.expected += NEW_PAGE_ITEMS
        add = timed_build(builder, self.expected, written["add"], {page.name})
        write_page(seeds, edited(self.pages[0], round_))
        edit = timed_build(builder, self.expected, written["edit"], {self.pages[0].name})
        victim = next(self.victims)
        (seeds / victim.name).unlink()
        self.expected -= len(victim.items)
        delete = timed_build(builder, self.expected, written["delete"], {victim.name})
        return add, edit, delete


def together_child(seeds: Path, public: Path, size: int, rounds: int) -> None:
    """The body of a process of `benchmarks.compare --together`: a new Builder's first
    build into an empty `public/`, then `rounds` of `Changes`; prints one JSON line."""
    from feeds.build import Builder
    from feeds.config import Config

    builder = Builder(Config(seeds=seeds, public=public, base_url=BASE_URL))
    first = timed_build(builder, size, first=True)
    changes = Changes(seeds, corpus(size), size)
    done = [changes.round(builder, round_) for round_ in range(rounds)]
    found = {name: [d[n] for d in done] for n, name in enumerate(("add", "edit", "delete"))}
    print(json.dumps({"first": first, **found}))


def write_replacing(folder: Path, page: Page) -> float:
    """Write a page as a scraper should (temporary name, then rename); returns the
    time.time() of the moment its bytes were complete."""
    temp = folder / f".{page.name}.partial"
    with open(temp, "wb") as handle:
        handle.write(page.text().encode())
    written = time.time()
    os.replace(temp, folder / page.name)
    return written


class Daemon:
    """`python -m feeds watch` (or `command`, with `options` added) in a subprocess,
    with its log lines read in a thread."""

    def __init__(
        self, seeds: Path, public: Path, command: str = "watch", options: Sequence[str] = ()
    ) -> None:
        command_line = [
            sys.executable,
            "-m",
            "feeds",
            command,
            "--seeds",
            str(seeds),
            "--public",
            str(public),
            "--base-url",
            BASE_URL,
            *options,
        ]
        self.process = subprocess.Popen(
            command_line,
            cwd=seeds.parent,
            env=child_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def wait_for_line(self, text: str, timeout: float = DAEMON_TIMEOUT_SECONDS) -> str:
        """Wait until the daemon logs a line containing `text`; returns it."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for line in self.lines:
                    if text in line:
                        return line
                left = deadline - time.monotonic()
                if self.process.poll() is not None or left <= 0:
                    tail = "\n".join(self.lines[-20:])
                    status = self.process.poll()
                    raise RuntimeError(f"daemon: no {text!r} (exit {status})\n{tail}")
                self.changed.wait(min(left, 1.0))

    def rebuilds(self) -> list[str]:
        return [line for line in self.lines if "rebuilt (" in line or "rebuild failed" in line]

    def wait_for_rebuilds(self, count: int, timeout: float = DAEMON_TIMEOUT_SECONDS) -> str:
        """Wait until the daemon has logged `count` rebuilds; returns the last."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.rebuilds()) < count:
                left = deadline - time.monotonic()
                if self.process.poll() is not None or left <= 0:
                    tail = "\n".join(self.lines[-20:])
                    status = self.process.poll()
                    raise RuntimeError(f"daemon: no rebuild {count} (exit {status})\n{tail}")
                self.changed.wait(min(left, 1.0))
            return self.rebuilds()[count - 1]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.join(5)
        if self.process.stderr is not None:
            self.process.stderr.close()


def end_to_end(
    seeds: Path, public: Path, pages: NewPages, repeats: int, cheap: float
) -> tuple[Timing, float]:
    """Latency from a new page in seeds/ to its newest item in all.atom, through the
    real daemon; also returns how long the daemon's first build took (wall)."""
    feed = public / "all.atom"
    started = time.perf_counter()
    daemon = Daemon(seeds, public)
    try:
        first = daemon.wait_for_rebuilds(1)
        if "rebuilt (start)" not in first:
            raise RuntimeError(f"daemon: first build failed: {first}")
        while not feed.is_file():
            time.sleep(POLL_SECONDS)
        start_seconds = time.perf_counter() - started
        # The daemon logs 'rebuilt (start)' before it starts watching seeds/: a page
        # written in between would go unnoticed. Its 'watching' line comes after.
        daemon.wait_for_line("watching ")
        patience = max(60.0, 20 * start_seconds)

        def trial() -> float:
            page = pages.next()
            wanted = escape(page.items[0].title).encode()
            done = len(daemon.rebuilds()) + 1
            seen = feed.stat().st_mtime_ns
            written = write_replacing(seeds, page)
            deadline = time.monotonic() + patience
            while True:
                mtime = feed.stat().st_mtime_ns
                if mtime != seen:
                    seen = mtime
                    with contextlib.suppress(FileNotFoundError):
                        if wanted in feed.read_bytes():
                            latency = time.time() - written
                            break
                if time.monotonic() > deadline or daemon.process.poll() is not None:
                    tail = "\n".join(daemon.lines[-20:])
                    raise RuntimeError(f"daemon: the new item never appeared in all.atom\n{tail}")
                time.sleep(POLL_SECONDS)
            daemon.wait_for_rebuilds(done)  # let the rebuild end before the next trial
            return latency

        timing = repeated(trial, repeats, cheap)
    finally:
        daemon.stop()
    return timing, start_seconds


@dataclass
class SizeResult:
    size: int
    pages: int = 0
    items: int = 0
    feeds: int = 0
    cold: Timing = field(default_factory=Timing)
    rebuild_cli: Timing = field(default_factory=Timing)
    rebuild_new: Timing = field(default_factory=Timing)
    rebuild_same: Timing = field(default_factory=Timing)
    add: Timing = field(default_factory=Timing)
    edit: Timing = field(default_factory=Timing)
    delete: Timing = field(default_factory=Timing)
    end_to_end: Timing = field(default_factory=Timing)
    daemon_start_seconds: float | None = None
    peak_mb: float | None = None
    peak_one_process_mb: float | None = None
    files_written: int | None = None
    bytes_written: int | None = None
    op_files_written: dict[str, list[int]] = field(default_factory=dict)
    baseline: Timing = field(default_factory=Timing)
    baseline_peak_mb: float | None = None
    baseline_bytes: int | None = None
    seconds: float = 0.0

    @property
    def speedup(self) -> float | None:
        ours, theirs = self.cold.median, self.baseline.median
        return theirs / ours if ours and theirs else None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name, value in vars(self).items():
            data[name] = value.as_json() if isinstance(value, Timing) else value
        data["speedup"] = self.speedup
        return data


def measure_size(
    size: int,
    repeats: int,
    cheap: float,
    baseline_rate: float | None,
    work: Path,
    *,
    baseline: bool = True,
) -> SizeResult:
    """Every measurement at one corpus size; `baseline_rate`: seconds per item of
    the baseline at a smaller size, to decide whether to run it here; `baseline`
    False: not at all."""
    from feeds import heap
    from feeds.build import Builder
    from feeds.config import Config

    started = time.perf_counter()
    out = SizeResult(size)
    seeds, public = work / "seeds", work / "public"
    pages = corpus(size)
    seeds.mkdir(parents=True)
    for page in pages:
        write_page(seeds, page)
    out.pages = len(pages)
    progress(f"{size}: {len(pages)} pages written")

    # 1. cold builds, each in a fresh process (also: peak memory, files written)
    colds: list[dict[str, Any]] = []

    def cold() -> float:
        colds.append(cold_build(seeds, public))
        return float(colds[-1]["seconds"])

    out.cold = repeated(cold, repeats, cheap)
    out.items, out.feeds = colds[-1]["items"], colds[-1]["feeds"]
    # The build's processes together, shared pages counted once (PSS), sampled; at
    # least the largest single process's peak resident size.
    out.peak_mb = max(max(c["maxrss_kb"], c["peak_pss_kb"]) for c in colds) / 1024
    out.peak_one_process_mb = max(c["maxrss_kb"] for c in colds) / 1024
    out.files_written = colds[-1]["files_written"]
    out.bytes_written = colds[-1]["bytes_written"]
    if out.items != size:
        raise RuntimeError(f"{size} items generated but {out.items} built")
    progress(f"{size}: cold build {fmt_seconds(out.cold)}, peak {out.peak_mb:.0f} MB")

    # 2. nothing changed: `build` again in a fresh process (as `osce-feeds build`), a new
    # Builder (as a daemon started again), then one Builder again and again
    out.rebuild_cli = repeated(
        lambda: float(cold_build(seeds, public, empty=False)["seconds"]), repeats, cheap
    )
    config = Config(seeds=seeds, public=public, base_url=BASE_URL)
    builders: list[Builder] = []

    def rebuild_new() -> float:
        heap.thaw()  # as the daemon does when it replaces its builder
        builders[:] = [Builder(config)]
        return timed_build(builders[-1], size, first=True)

    out.rebuild_new = repeated(rebuild_new, repeats, cheap)
    builder = builders[-1]  # warm: it has built once
    out.rebuild_same = repeated(lambda: timed_build(builder, size), repeats, cheap)
    progress(
        f"{size}: no-change rebuild {fmt_seconds(out.rebuild_cli)} (build), "
        f"{fmt_seconds(out.rebuild_new)} (new Builder), "
        f"{fmt_seconds(out.rebuild_same)} (same Builder)"
    )

    # 3. the daemon's Builder: add a page, edit a page, delete a page
    changes = Changes(seeds, pages, size)
    rounds = [changes.round(builder, 0)]
    if max(rounds[0]) < cheap:
        rounds.extend(changes.round(builder, n) for n in range(1, repeats))
    out.add, out.edit, out.delete = (Timing([r[n] for r in rounds]) for n in range(3))
    out.op_files_written = changes.written
    heap.thaw()
    progress(
        f"{size}: add {fmt_seconds(out.add)}, edit {fmt_seconds(out.edit)}, "
        f"delete {fmt_seconds(out.delete)}"
    )

    # 4. end to end through the daemon
    out.end_to_end, out.daemon_start_seconds = end_to_end(
        seeds, public, NewPages(dt.date(2027, 1, 1), 900_000), repeats, cheap
    )
    progress(
        f"{size}: end-to-end add {fmt_seconds(out.end_to_end)} "
        f"(daemon's first build {out.daemon_start_seconds:.1f} s)"
    )

    # 5. the baseline, on the original pages
    if not baseline:
        out.baseline.note = "not run"
        out.seconds = time.perf_counter() - started
        return out
    shutil.rmtree(seeds)
    shutil.rmtree(public)
    seeds.mkdir()
    for page in pages:
        write_page(seeds, page)
    estimate = baseline_rate * size if baseline_rate is not None else None
    if estimate is not None and estimate > BASELINE_LIMIT_SECONDS:
        out.baseline.note = f"skipped: estimated {estimate:.0f} s"
        progress(f"{size}: baseline {out.baseline.note}")
    else:
        baselines: list[dict[str, Any]] = []

        def run_baseline() -> float:
            target = work / "baseline"
            shutil.rmtree(target, ignore_errors=True)
            command = [
                sys.executable,
                "-m",
                "benchmarks.baseline",
                str(seeds),
                str(target),
                "--json",
            ]
            baselines.append(probe(command, work))
            return float(baselines[-1]["seconds"])

        out.baseline = repeated(run_baseline, repeats, cheap)
        out.baseline_peak_mb = max(b["maxrss_kb"] for b in baselines) / 1024
        out.baseline_bytes = baselines[-1]["bytes_written"]
        progress(f"{size}: baseline cold {fmt_seconds(out.baseline)}")
    out.seconds = time.perf_counter() - started
    return out


def timed_build(
    builder: Any,
    expected: int,
    written: list[int] | None = None,
    changed: set[str] | None = None,
    *,
    first: bool = False,
) -> float:
    """One build as the daemon runs it: collections paused, a first build frozen
    (`feeds.heap`)."""
    from feeds import heap

    started = time.perf_counter()
    with heap.paused(freeze=first):
        result = builder.build(changed)
    seconds = time.perf_counter() - started
    if result.items != expected:
        raise RuntimeError(f"expected {expected} items, built {result.items}")
    if written is not None:
        written.append(len(result.report.written))
    return seconds


# --- the table ---


def fmt_seconds(timing: Timing) -> str:
    value = timing.median
    if value is None:
        return timing.note or "–"
    text = f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
    if value >= 10:
        text = f"{value:.1f} s"
    return text + ("†" if len(timing.runs) == 1 else "")


COLUMNS = (
    "items",
    "cold build",
    "no-change rebuild (`build` / new / same Builder)",
    "add page",
    "edit page",
    "delete page",
    "end-to-end add",
    "peak MB (all processes)",
    "files written",
    "MB written",
    "baseline cold",
    "speed-up",
)


def table(results: Sequence[SizeResult]) -> str:
    rows = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in results:
        speedup = f"{r.speedup:.2f}×" if r.speedup is not None else "–"
        cells = [
            f"{r.size:,}",
            fmt_seconds(r.cold),
            f"{fmt_seconds(r.rebuild_cli)} / {fmt_seconds(r.rebuild_new)} / "
            f"{fmt_seconds(r.rebuild_same)}",
            fmt_seconds(r.add),
            fmt_seconds(r.edit),
            fmt_seconds(r.delete),
            fmt_seconds(r.end_to_end),
            f"{r.peak_mb:.0f}" if r.peak_mb is not None else "–",
            f"{r.files_written:,}" if r.files_written is not None else "–",
            f"{r.bytes_written / 1e6:.1f}" if r.bytes_written is not None else "–",
            fmt_seconds(r.baseline),
            speedup,
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def report(results: Sequence[SizeResult], info: dict[str, Any], total: float) -> str:
    single = any(
        len(t.runs) == 1
        for r in results
        for t in (
            r.cold,
            r.rebuild_cli,
            r.rebuild_new,
            r.rebuild_same,
            r.add,
            r.edit,
            r.delete,
            r.end_to_end,
        )
    )
    lines = [
        table(results),
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable), "
        f"{info['memory']} RAM, Python {info['python']}, {info['platform']}; "
        f"seeds/ and public/ on {info['filesystem']}; "
        f"load average {info['load_before']:.2f} before, {info['load_after']:.2f} after",
        f"Core measured: feeds/ sources digest {info['feeds_digest']}"
        + (
            ""
            if info["feeds_digest_after"] == info["feeds_digest"]
            else f" at the start, {info['feeds_digest_after']} at the end (edited meanwhile!)"
        ),
        f"Times are medians of {REPEATS} runs"
        + ("; † marks a single run (one run was not cheap)" if single else ""),
        "Speed-up: baseline cold / cold build (above 1 is faster than the baseline).",
        f"Total benchmark time: {total:.0f} s",
    ]
    skipped = [f"{r.size:,}: {r.baseline.note}" for r in results if r.baseline.note]
    if skipped:
        lines.append(
            f"Baseline skipped where it would take over {BASELINE_LIMIT_SECONDS:.0f} s ("
            + "; ".join(skipped)
            + ")"
        )
    return "\n".join(lines)


# --- profile ---


def profile(size: int, top: int = 15) -> str:
    """cProfile of one cold build at `size` items: top functions both ways."""
    from feeds.build import build
    from feeds.config import Config

    with tempfile.TemporaryDirectory(prefix="osce-bench-") as folder:
        seeds, public = Path(folder) / "seeds", Path(folder) / "public"
        seeds.mkdir()
        for page in corpus(size):
            write_page(seeds, page)
        config = Config(seeds=seeds, public=public, base_url=BASE_URL)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.runcall(build, config)
        seconds = time.perf_counter() - started
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    print(f"cold build of {size} items under cProfile: {seconds:.1f} s\n", file=text)
    for order in ("cumulative", "tottime"):
        print(f"## top {top} by {order}", file=text)
        stats.sort_stats(order).print_stats(top)
    return text.getvalue()


# --- the command ---


def parse_sizes(text: str) -> tuple[int, ...]:
    sizes = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    if not sizes or min(sizes) < NEW_PAGE_ITEMS * 10:
        raise argparse.ArgumentTypeError("sizes: a comma-separated list of numbers >= 100")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description="The osce-feeds benchmark table."
    )
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=DEFAULT_SIZES,
        help="corpus sizes in items (default 1000,10000,30000,100000)",
    )
    parser.add_argument("--quick", action="store_true", help="sizes 1000,10000 (a smoke run)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the data as JSON")
    parser.add_argument(
        "--cheap",
        type=float,
        default=CHEAP_SECONDS,
        metavar="S",
        help=f"repeat a measurement {REPEATS} times when one run takes under S seconds "
        f"(default {CHEAP_SECONDS:g})",
    )
    parser.add_argument(
        "--profile", type=int, metavar="N", help="only profile one cold build of N items"
    )
    parser.add_argument(
        "--dir",
        type=Path,
        metavar="DIR",
        help="where seeds/ and public/ are made (default: the system's temporary folder); "
        "/dev/shm measures the code without the disk",
    )
    parser.add_argument(
        "--skip-baseline", action="store_true", help="do not run the baseline (`baseline.py`)"
    )
    parser.add_argument("--cold-child", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--together-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.cold_child:
        cold_child(*args.cold_child)
        return 0
    if args.together_child:
        seeds, public, size, rounds = args.together_child
        together_child(Path(seeds), Path(public), int(size), int(rounds))
        return 0
    if args.profile:
        print(profile(args.profile))
        return 0

    sizes = QUICK_SIZES if args.quick else args.sizes
    info = machine()
    info["filesystem"] = filesystem(args.dir or Path(tempfile.gettempdir()))
    started = time.perf_counter()
    progress(f"sizes {', '.join(map(str, sizes))} on {info['cpu']}, {info['cores']} cores")
    results: list[SizeResult] = []
    rate: float | None = None
    for size in sizes:
        with scratch(args.dir) as work:
            results.append(
                measure_size(size, REPEATS, args.cheap, rate, work, baseline=not args.skip_baseline)
            )
        last = results[-1]
        if last.baseline.median is not None:
            rate = last.baseline.median / size
        progress(f"{size}: done in {last.seconds:.0f} s")
    total = time.perf_counter() - started
    info["load_after"] = os.getloadavg()[0]
    info["feeds_digest_after"] = feeds_digest()
    print(report(results, info, total))
    if args.json:
        data = {
            "machine": info,
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "sizes": [r.as_json() for r in results],
            "total_seconds": total,
            "table": table(results),
        }
        args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return 0


@contextlib.contextmanager
def scratch(parent: Path | None = None) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="osce-bench-", dir=parent) as folder:
        yield Path(folder)


if __name__ == "__main__":
    raise SystemExit(main())
