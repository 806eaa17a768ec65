"""Time to answer a feed cut to measure over a large archive: p50 and p99, uncached
(a query not asked before: matched and its feed rendered), the first answer after
a publish (a new catalog, whose searcher the daemon warmed before handing it over,
as `feeds.watch` does) and cached (the kept answer), for a few kinds of query, each
answered as Atom. The warm-up itself (off the request path) is timed apart.

    python -m benchmarks.query --items 30000 [--dir DIR] [--runs 200]

A corpus of `--items` items is generated (`benchmarks.generate`) and built once; the
answers are timed in process through `feeds.queryhttp.QueryAnswers`, what the server
runs for `/feed.atom?...` (the HTTP shell adds what `benchmarks.serve` measures). The
first answer ever, which folds the text of every entry it looks at, is shown apart.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.generate import write_pages
from feeds.build import build
from feeds.config import Config
from feeds.model import Catalog, Kind
from feeds.query import Searcher, query_from_string
from feeds.queryhttp import QueryAnswers, Snapshot


def queries(catalog: Catalog) -> dict[str, str]:
    """Queries of each kind, named after what they cost."""
    by_size = {
        kind: sorted((g for g in catalog.groups if g.kind is kind), key=lambda g: -len(g.entries))
        for kind in Kind
    }
    mission, topic = by_size[Kind.MISSION][0].slug, by_size[Kind.TOPIC][0].slug
    rare_mission = by_size[Kind.MISSION][-1].slug
    return {
        "mission x topic": f"mission={mission}&topic={topic}",
        "3 topics, not a word": f"not=training&topic={by_size[Kind.TOPIC][1].slug}"
        f"&topic={by_size[Kind.TOPIC][2].slug}&topic={topic}",
        "a rare word (whole catalog)": "q=zzzz",
        "a common word, newest 500": "limit=500&q=osce",
        "all but a common word (whole catalog)": "not=osce",
        "rare mission x type": f"mission={rare_mission}&type={by_size[Kind.TYPE][0].slug}",
        "everything": "",
    }


def timed(answers: QueryAnswers, query: str) -> float:
    started = time.perf_counter()
    found = answers.answer("atom", query, "GET", {"accept-encoding": "gzip"})
    elapsed = time.perf_counter() - started
    assert found.status == 200, (query, found.status, found.body[:300])
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=30_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="osce-query-bench-"))
    seeds = base / f"seeds-{args.items}"
    if not seeds.is_dir():
        seeds.mkdir(parents=True)
        write_pages(seeds, args.items)
    config = Config(seeds=seeds, public=base / f"public-{args.items}")
    result = build(dataclasses.replace(config))
    if result.catalog is None:  # built before, nothing changed: build it again
        for path in (config.public / ".osce-feeds").glob("inputs.json"):
            path.unlink()
        result = build(config)
    catalog = result.catalog
    assert catalog is not None
    now = [Snapshot(1, Searcher(catalog), config)]  # what the daemon publishes
    answers = QueryAnswers(lambda: now[0])
    cases = {
        name: query_from_string(query, config.feed_size).canonical()
        for name, query in queries(catalog).items()
    }
    first = timed(answers, cases["a rare word (whole catalog)"])
    print(
        f"{len(catalog.entries):,} items; first answer ever, from a searcher not warmed "
        f"(folds every text): {first * 1000:.1f} ms"
    )
    print("| query | not cached p50 / p99 | after a publish p50 / p99 | cached p50 / p99 |")
    print("|---|---|---|---|")
    warming: list[float] = []
    for name, query in cases.items():
        uncached, published, cached = [], [], []
        for n in range(args.runs):
            answers.kept.clear()  # a query not asked before, of the same catalog
            answers.size = 0
            uncached.append(timed(answers, query))
            cached.append(timed(answers, query))
            if n % 10 == 0:  # a publish: a new catalog (a new tuple of entries), warmed
                entries = catalog.entries[:-1] + catalog.entries[-1:]
                new = dataclasses.replace(catalog, entries=entries)
                started = time.perf_counter()
                searcher = Searcher(new, now[0].searcher).warm()
                warming.append(time.perf_counter() - started)
                now[0] = Snapshot(now[0].version + 1, searcher, config)
                published.append(timed(answers, query))
        cells = [percentiles(values) for values in (uncached, published, cached)]
        print(f"| {name} (`{query or '(none)'}`) | " + " | ".join(cells) + " |")
    print(f"warm-up after a publish (the daemon's, off the request path): {percentiles(warming)}")


def percentiles(values: list[float]) -> str:
    values = sorted(values)
    p50 = statistics.median(values) * 1000
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))] * 1000
    return f"{p50:.2f} / {p99:.2f} ms"


if __name__ == "__main__":
    main()
