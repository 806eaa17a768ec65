"""Requests per second and latency of the HTTP origin for `all.atom` at 30,000 items,
full and conditional GETs, gzip and identity, with 1, 16 and 256 concurrent clients,
while new pages land in `seeds/` and the daemon publishes them.

    make bench-serve ARGS="--dir /dev/shm/osce-serve --json benchmarks/results-serve.json"
    python -m benchmarks.serve [--items 30000] [--dir DIR] [--clients 1,16,256]
                               [--seconds 10] [--pace 0.5] [--rounds 1] [--threads N]
                               [--json FILE]
    python -m benchmarks.serve --url http://127.0.0.1:8080/   # a running server; no pages land

What runs:

- the server is the real daemon, in a process of its own, as in production:
  `python -m feeds serve --seeds DIR/seeds --public DIR/public --port 0 --base-url ...`
  (watcher, builder and HTTP in one process). Its corpus of `--items` items is
  generated and built once into DIR and kept for the next run. The pages a run lands
  are removed at its end (the next daemon start withdraws their items; pages left by
  an interrupted run are removed and built away first), so every run starts from the
  same corpus;
- while each cell is measured, a new seed page of 10 items, newer than any before,
  lands in `seeds/` every `--pace` seconds (written to a temporary name, then
  renamed, as a scraper should). Each one changes `all.atom`, so the daemon rebuilds
  and the server reads, hashes and gzips a new version of it about twice a second.
  After each cell the script waits until `/healthz` counts every landed item, and at
  the end checks that `all.atom` holds the ten items of the last page landed;
- the clients are wrk (a C load generator: one epoll loop per thread, latency kept
  in a histogram), driven by `benchmarks/serve.lua`: one connection per wrk thread,
  so that each thread is one reader with its own validator. A conditional reader
  sends If-None-Match with the ETag it saw last, so a feed that changed answers it
  200 once, then 304 again. Python clients (threads or asyncio) cost tens of
  microseconds of the same two cores per request, as much as a good part of what the
  server spends; wrk's cost is measured (its CPU time) and shown beside each cell.

Each cell (request kind × coding × clients) gives requests per second, p50 and p99
latency (from the request's first byte sent to its last byte received), the statuses
seen, errors (connect, read, write, timeout, and any status but 200 and 304: there
must be none; the script exits 1 otherwise), the CPU time of wrk and of the daemon
during the cell, and the pages landed and rebuilds the daemon logged. With `--rounds
N` the whole grid is measured N times, one round after the other (on a machine shared
with other work, a busy moment then spoils one round of a cell, not all), and the
table shows for each cell the round of median requests per second, with the range
of all rounds. The table goes to stdout, progress to stderr, every round of every
cell to `--json FILE`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from benchmarks.generate import Page, write_pages
from benchmarks.run import Daemon, NewPages, filesystem, machine, progress, write_replacing
from feeds.build import build
from feeds.config import Config

WRK_SCRIPT = Path(__file__).with_name("serve.lua")
LANDED_FIRST_INDEX = 900_000  # landed pages are named 900001_….txt and up
WRK_TIMEOUT = "10s"  # a request slower than this counts as an error
PUBLISH_TIMEOUT = 120.0  # seconds to wait for the daemon to publish what landed
SETTLE_SECONDS = 1.0  # pause between cells: the last rebuild logged, the server idle


@contextlib.contextmanager
def landing(seeds: Path | None, pages: NewPages, pace: float) -> Iterator[list[Page]]:
    """Land a new page in `seeds` every `pace` seconds while in the block (none without
    `seeds` or with a `pace` of 0); yields the list of pages landed so far."""
    landed: list[Page] = []
    stop = threading.Event()

    def land() -> None:
        assert seeds is not None
        due = time.monotonic() + pace
        while not stop.wait(max(0.0, due - time.monotonic())):
            page = pages.next()
            write_replacing(seeds, page)
            landed.append(page)
            due += pace

    lander = threading.Thread(target=land, name="lander", daemon=True)
    active = seeds is not None and pace > 0
    if active:
        lander.start()
    try:
        yield landed
    finally:
        stop.set()
        if active:
            lander.join()


def get(host: str, port: int, path: str, headers: dict[str, str]) -> tuple[int, str, bytes]:
    """(status, ETag, body) of one GET."""
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("etag", ""), response.read()
    finally:
        connection.close()


def healthz_items(host: str, port: int) -> int:
    status, _, body = get(host, port, "/healthz", {})
    report = json.loads(body)
    return int(report["items"]) if status == 200 else -1


def wait_published(host: str, port: int, items: int) -> float:
    """Wait until /healthz counts `items` items; returns how long that took."""
    began = time.monotonic()
    while (seen := healthz_items(host, port)) != items:
        if time.monotonic() - began > PUBLISH_TIMEOUT:
            raise RuntimeError(f"/healthz counts {seen} items, not {items}")
        time.sleep(0.05)
    return time.monotonic() - began


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process, all its threads (from /proc)."""
    if pid is None:
        return None
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(
    url: str, kind: str, coding: str, clients: int, threads: int, seconds: int, etag: str
) -> dict[str, Any]:
    """One wrk run; its JSON report with the wrk process's CPU time added."""
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={clients}",
        f"--duration={seconds}s",
        f"--timeout={WRK_TIMEOUT}",
        f"--script={WRK_SCRIPT}",
        url,
        "--",
        kind,
        coding,
        etag,
    ]
    before = children_cpu()
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    report["client_cpu_s"] = children_cpu() - before
    return report


class Target:
    """The server measured: where it listens, its process (if ours) and its log."""

    def __init__(self, host: str, port: int, path: str, daemon: Daemon | None) -> None:
        self.host, self.port, self.path, self.daemon = host, port, path, daemon
        self.url = f"http://{host}:{port}{path}"

    @property
    def pid(self) -> int | None:
        return self.daemon.process.pid if self.daemon else None

    def rebuild_ms(self, first_line: int = 0) -> list[int]:
        """How long each rebuild took, of those the daemon logged after its first
        build, from its log line number `first_line` on ('rebuilt (…): …; 53 ms')."""
        lines = self.daemon.lines[first_line:] if self.daemon else []
        return [
            int(line.rsplit("; ", 1)[1].removesuffix(" ms"))
            for line in lines
            if " rebuilt (" in line and "(start)" not in line
        ]

    def problems(self) -> list[str]:
        """Warnings and errors in the daemon's log (a failed rebuild among them)."""
        lines = self.daemon.lines if self.daemon else []
        return [line for line in lines if " WARNING " in line or " ERROR " in line]


def measure(
    target: Target,
    kind: str,
    coding: str,
    clients: int,
    args: argparse.Namespace,
    seeds: Path | None,
    pages: NewPages,
    items: int,
    landed_before: list[Page],
) -> dict[str, Any]:
    """One cell, with pages landing meanwhile; returns its figures."""
    headers = {"Accept-Encoding": coding}
    etag = get(target.host, target.port, target.path, headers)[1] if kind == "conditional" else ""
    threads = min(args.threads or clients, clients)
    server_cpu = cpu_seconds(target.pid)
    logged = len(target.daemon.lines) if target.daemon else 0
    with landing(seeds, pages, args.pace) as landed:
        report = run_wrk(target.url, kind, coding, clients, threads, args.seconds, etag)
    landed_before.extend(landed)
    server_after = cpu_seconds(target.pid)
    if server_cpu is not None and server_after is not None:
        server_cpu = server_after - server_cpu
    publish_wait = None
    if seeds is not None:
        publish_wait = wait_published(target.host, target.port, items + 10 * pages.count)
    time.sleep(SETTLE_SECONDS)
    seconds = report["duration_us"] / 1e6
    statuses = {int(status): n for status, n in report["statuses"].items()}
    latency = report["latency_us"]
    cell = {
        "kind": kind,
        "coding": coding,
        "clients": clients,
        "wrk_threads": threads,
        "seconds": seconds,
        "requests": report["requests"],
        "requests_per_s": report["requests"] / seconds,
        "latency_ms": {key: value / 1000 for key, value in latency.items()},
        "statuses": dict(sorted(statuses.items())),
        "errors": report["errors"],
        "failed": sum(report["errors"].values())
        + sum(n for status, n in statuses.items() if status not in (200, 304)),
        "bytes_per_s": report["bytes"] / seconds,
        "client_cpu_s": report["client_cpu_s"],
        "server_cpu_s": server_cpu,
        "pages_landed": len(landed),
        "rebuild_ms": target.rebuild_ms(logged),
        "publish_wait_s": publish_wait,
    }
    progress(
        f"{kind} {coding} {clients}: {cell['requests_per_s']:,.0f}/s, "
        f"p99 {cell['latency_ms']['99']:.1f} ms, {statuses}, {cell['failed']} failed, "
        f"{len(landed)} pages landed"
    )
    return cell


def median_rounds(cells: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per cell, the round of median requests per second, with the range of all rounds
    added ("range_per_s"); cells in the order first measured."""
    rounds: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for cell in cells:
        rounds.setdefault((cell["kind"], cell["coding"], cell["clients"]), []).append(cell)
    chosen = []
    for group in rounds.values():
        group = sorted(group, key=lambda cell: cell["requests_per_s"])
        rates = (group[0]["requests_per_s"], group[-1]["requests_per_s"])
        chosen.append({**group[len(group) // 2], "range_per_s": rates})
    return chosen


def table(cells: Sequence[dict[str, Any]]) -> str:
    """The markdown table: one row a cell, the round of median requests/s."""
    lines = [
        "| request | clients | requests/s | p50 ms | p99 ms | 200 / 304 | failed "
        "| wrk CPU | daemon CPU | pages landed (rebuilds, median) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for cell in median_rounds(cells):
        low, high = cell["range_per_s"]
        rate = f"{cell['requests_per_s']:,.0f}"
        if low != high:
            rate += f" ({low:,.0f}–{high:,.0f})"
        statuses = cell["statuses"]
        answered = f"{statuses.get(200, 0):,} / {statuses.get(304, 0):,}"
        server = cell["server_cpu_s"]
        server_share = "" if server is None else f"{server / cell['seconds']:.0%}"
        rebuild = f"{statistics.median(cell['rebuild_ms']):.0f} ms" if cell["rebuild_ms"] else "-"
        lines.append(
            f"| {cell['kind']}, {cell['coding']} | {cell['clients']} "
            f"| {rate} | {cell['latency_ms']['50']:.1f} "
            f"| {cell['latency_ms']['99']:.1f} | {answered} | {cell['failed']} "
            f"| {cell['client_cpu_s'] / cell['seconds']:.0%} | {server_share} "
            f"| {cell['pages_landed']} ({len(cell['rebuild_ms'])}, {rebuild}) |"
        )
    return "\n".join(lines)


def remove_landed(seeds: Path) -> int:
    """Remove the pages an earlier run landed in `seeds`; returns how many."""
    landed = [path for path in seeds.glob("*_*.txt") if int(path.name[:6]) > LANDED_FIRST_INDEX]
    for path in landed:
        path.unlink()
    return len(landed)


def prepare(folder: Path, items: int) -> tuple[Path, Path]:
    """seeds/ and public/ in `folder` for a corpus of `items` items, made once."""
    seeds, public = folder / "seeds", folder / "public"
    if not (public / "all.atom").exists():
        progress(f"generating and building {items:,} items in {folder}")
        shutil.rmtree(seeds, ignore_errors=True)
        write_pages(seeds, items)
        build(Config(seeds=seeds, public=public))
    elif remove_landed(seeds):
        progress("removing the pages an earlier run landed")
        build(Config(seeds=seeds, public=public))
    return seeds, public


def start_daemon(seeds: Path, public: Path) -> tuple[Daemon, int]:
    """The daemon on a free port, once its first build is done; (daemon, port)."""
    daemon = Daemon(seeds, public, "serve", ["--host", "127.0.0.1", "--port", "0"])
    try:
        serving = daemon.wait_for_line("serving ")
        port = int(serving.rstrip("/").rsplit(":", 1)[1])
        first = daemon.wait_for_rebuilds(1)
        if "rebuilt (start)" not in first:
            raise RuntimeError(f"daemon: first build failed: {first}")
        # Pages written before the daemon watches seeds/ would go unnoticed.
        daemon.wait_for_line("watching ")
    except BaseException:
        daemon.stop()
        raise
    return daemon, port


def check_newest(target: Target, page: Page) -> None:
    """The last page landed is in all.atom: every one of its items (the newest ten)."""
    body = get(target.host, target.port, target.path, {"Accept-Encoding": "identity"})[2]
    missing = [item.title for item in page.items if escape(item.title).encode() not in body]
    if missing:
        raise RuntimeError(f"{target.path} lacks the newest items landed: {missing}")


def report(cells: Sequence[dict[str, Any]], info: dict[str, Any]) -> str:
    about = info["machine"]
    lines = [
        f"# {info.get('items', '?'):,} items; {info['path']}: {info['bytes_identity']:,} bytes, "
        f"{info['bytes_gzip']:,} gzipped; {info.get('filesystem', 'a running server')}",
        f"# {about['cpu']}, {about['usable_cores']} cores, Python {about['python']}, "
        f"{info['wrk']}; load {about['load_before']:.2f} before, {about['load_after']:.2f} after",
        f"# {info['arguments']['seconds']} s a cell; "
        + (
            f"a new page every {info['arguments']['pace']} s: {info['pages_landed']} landed, "
            f"{info['rebuilds']} rebuilds logged, all published"
            if info["pages_landed"]
            else "no pages landing"
        ),
        "",
        table(cells),
    ]
    failed = sum(cell["failed"] for cell in cells)
    if failed:
        lines.append(f"\n{failed} requests FAILED")
    for line in info.get("daemon_problems", []):
        lines.append(f"daemon: {line}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="measure this server instead of starting the daemon")
    parser.add_argument("--items", type=int, default=30_000)
    parser.add_argument("--dir", type=Path, help="where to keep the corpus (default: temporary)")
    parser.add_argument("--path", default="/all.atom")
    parser.add_argument("--clients", default="1,16,256")
    parser.add_argument("--seconds", type=int, default=10, help="per cell")
    parser.add_argument("--pace", type=float, default=0.5, help="seconds between new pages")
    parser.add_argument("--threads", type=int, default=0, help="wrk threads (default: 1 a client)")
    parser.add_argument("--rounds", type=int, default=1, help="measure every cell this often")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("benchmarks.serve needs wrk (apt-get install wrk)", file=sys.stderr)
        return 2
    version = subprocess.run(["wrk", "-v"], stdout=subprocess.PIPE, text=True).stdout
    info: dict[str, Any] = {
        "machine": machine(),
        "arguments": {**vars(args), "dir": str(args.dir), "json": str(args.json)},
        "path": args.path,
        "wrk": version.split("[")[0].strip(),
    }
    pages = NewPages(dt.date(2026, 1, 1), LANDED_FIRST_INDEX)
    landed: list[Page] = []
    cells: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        daemon, seeds, items = None, None, 0
        if args.url:
            parts = urlsplit(args.url)
            host, port = parts.hostname or "127.0.0.1", parts.port or 80
            args.pace = 0.0
        else:
            if args.dir is None:
                args.dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            seeds, public = prepare(args.dir, args.items)
            info["filesystem"] = filesystem(args.dir)
            progress("starting the daemon")
            daemon, port = start_daemon(seeds, public)
            host = "127.0.0.1"
            stack.callback(remove_landed, seeds)
            stack.callback(daemon.stop)
            items = info["items"] = healthz_items(host, port)
        target = Target(host, port, args.path, daemon)
        for coding in ("identity", "gzip"):
            body = get(host, port, args.path, {"Accept-Encoding": coding})[2]
            info[f"bytes_{coding}"] = len(body)
        for round_ in range(1, args.rounds + 1):
            for coding in ("identity", "gzip"):
                for kind in ("full", "conditional"):
                    for clients in (int(n) for n in args.clients.split(",")):
                        cell = measure(
                            target, kind, coding, clients, args, seeds, pages, items, landed
                        )
                        cells.append({"round": round_, **cell})
        if landed:
            check_newest(target, landed[-1])
        info["pages_landed"] = len(landed)
        info["rebuild_ms"] = target.rebuild_ms()
        info["rebuilds"] = len(info["rebuild_ms"])
        info["daemon_problems"] = target.problems()
    info["machine"]["load_after"] = os.getloadavg()[0]
    print(report(cells, info))
    if args.json:
        args.json.write_text(json.dumps({"info": info, "cells": cells}, indent=1) + "\n")
    return 1 if any(cell["failed"] for cell in cells) else 0


if __name__ == "__main__":
    sys.exit(main())
