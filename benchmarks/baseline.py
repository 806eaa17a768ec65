"""The straightforward approach, to compare osce-feeds with.

Parse every seed page, merge the items, then build one feedgen `FeedGenerator` per
feed (all items, each topic, each mission, each content type) holding the feed's FULL
history, serialise each with `atom_str` and write every document into a folder. No
caches, no incremental work, no RSS, no site pages: a cold build is all it can do.

    python -m benchmarks.baseline SEEDS OUT [--json]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from feedgen.feed import FeedGenerator

from feeds.catalog import merge_items
from feeds.model import Entry, Kind, Record
from feeds.parse import parse_seed

BASE_URL = "http://127.0.0.1:8080/"
NOON = dt.time(12, 0, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class BaselineResult:
    seconds: float
    items: int
    feeds: int
    files: int
    bytes_written: int


def instant(entry: Entry) -> dt.datetime:
    return dt.datetime.combine(entry.date, NOON) + dt.timedelta(seconds=entry.second)


def feed_document(feed_id: str, title: str, path: str, entries: Sequence[Entry]) -> bytes:
    fg = FeedGenerator()
    fg.id(feed_id)
    fg.title(title)
    fg.author({"name": "OSCE"})
    fg.link(href=f"{BASE_URL}{path}.atom", rel="self")
    fg.language("en")
    fg.updated(instant(entries[0]) if entries else dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
    for entry in entries:
        fe = fg.add_entry(order="append")
        when = instant(entry)
        fe.id(entry.id)
        fe.title(entry.title)
        fe.published(when)
        fe.updated(when)
        fe.content(entry.summary or entry.title, type="text")
        for kind in Kind:
            for name in entry.names(kind):
                fe.category(term=name, scheme=f"{BASE_URL}{kind.folder}/", label=name)
    return bytes(fg.atom_str(pretty=True))


def baseline_build(seeds: Path, out: Path) -> BaselineResult:
    """Every Atom feed, each with every entry, from the seed pages in `seeds`."""
    started = time.perf_counter()
    records: list[Record] = []
    for path in sorted(seeds.glob("*.txt")):
        records.extend(parse_seed(path.read_bytes(), str(path)).records)
    catalog = merge_items(records)
    documents = {"all": feed_document("urn:all", "All", "all", catalog.entries)}
    for group in catalog.groups:
        path = f"{group.kind.folder}/{group.slug}"
        documents[path] = feed_document(f"urn:{path}", group.name, path, group.entries)
    size = 0
    for path, data in documents.items():
        target = out / f"{path}.atom"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        size += len(data)
    return BaselineResult(
        seconds=time.perf_counter() - started,
        items=len(catalog.entries),
        feeds=len(documents),
        files=len(documents),
        bytes_written=size,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.baseline",
        description="Build every Atom feed with its full history the straightforward way.",
    )
    parser.add_argument("seeds", metavar="SEEDS", type=Path)
    parser.add_argument("out", metavar="OUT", type=Path)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = baseline_build(args.seeds, args.out)
    print(json.dumps(dataclasses.asdict(result)) if args.json else result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
