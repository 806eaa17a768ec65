"""Requests per second and p99 latency of the HTTP origin for one path (`all.atom` by
default): full and conditional GETs, gzip and not, with a few numbers of concurrent
clients, each a thread with one persistent http.client connection.

    python -m benchmarks.serve --items 30000 [--dir DIR] [--clients 1,16,64] [--seconds 5]
    python -m benchmarks.serve --url http://127.0.0.1:8080/  # a server already running

Without `--url`, a corpus of `--items` items is generated and built into DIR (kept for
the next run) and served by `feeds.serve.Server` in a process of its own, so that the
clients do not share its interpreter.
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.generate import write_pages
from feeds.build import build
from feeds.config import Config

SERVER = """
import sys, time
from pathlib import Path
from feeds.serve import Server
server = Server(Path(sys.argv[1]), "127.0.0.1", 0, lambda: {"ok": True})
server.start()
print(server.port, flush=True)
time.sleep(1e9)
"""


def load(host: str, port: int, path: str, headers: dict[str, str], clients: int, seconds: float):
    """(requests per second, p99 latency in ms, statuses seen)."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    statuses: set[int] = set()
    stop = time.monotonic() + seconds
    start_line = threading.Barrier(clients)

    def client(n: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        start_line.wait()
        mine = latencies[n]
        while time.monotonic() < stop:
            began = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - began)
            statuses.add(response.status)
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    every = sorted(t for mine in latencies for t in mine)
    p99 = every[min(len(every) - 1, int(len(every) * 0.99))] * 1000 if every else float("nan")
    return len(every) / elapsed, p99, statuses


def validators(host: str, port: int, path: str, coding: str) -> dict[str, str]:
    connection = http.client.HTTPConnection(host, port, timeout=30)
    connection.request("GET", path, headers={"Accept-Encoding": coding})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    print(f"# {path} {coding or 'identity'}: {len(body):,} bytes", file=sys.stderr)
    return {"If-None-Match": response.getheader("etag", "")}


def prepare(folder: Path, items: int) -> Path:
    seeds, public = folder / "seeds", folder / "public"
    if not (public / "all.atom").exists():
        shutil.rmtree(seeds, ignore_errors=True)
        write_pages(seeds, items)
        build(Config(seeds=seeds, public=public))
    return public


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="measure this server instead of starting one")
    parser.add_argument("--items", type=int, default=30_000)
    parser.add_argument("--dir", type=Path, help="where to keep the corpus (default: temporary)")
    parser.add_argument("--path", default="/all.atom")
    parser.add_argument("--clients", default="1,16,64")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    server = None
    temporary = None
    if args.url:
        parts = urlsplit(args.url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
    else:
        if args.dir is None:
            temporary = tempfile.TemporaryDirectory()
            args.dir = Path(temporary.name)
        public = prepare(args.dir, args.items)
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(public)], stdout=subprocess.PIPE, text=True
        )
        assert server.stdout is not None
        host, port = "127.0.0.1", int(server.stdout.readline())
    try:
        print("| request | clients | requests/s | p99 ms |")
        print("|---|---|---|---|")
        for coding in ("", "gzip"):
            conditional = validators(host, port, args.path, coding)
            for kind, extra in (("full", {}), ("conditional", conditional)):
                headers = {"Accept-Encoding": coding, **extra}
                for clients in (int(n) for n in args.clients.split(",")):
                    rate, p99, statuses = load(
                        host, port, args.path, headers, clients, args.seconds
                    )
                    label = f"{kind}, {coding or 'identity'} ({'/'.join(map(str, statuses))})"
                    print(f"| {label} | {clients} | {rate:,.0f} | {p99:.1f} |", flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        if temporary is not None:
            temporary.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
