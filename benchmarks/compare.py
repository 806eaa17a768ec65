"""Before and after: the benchmark of this tree and of an earlier revision, run in
turn on one machine by one harness.

    python -m benchmarks.compare REV [--rounds 8] [--sizes 30000] [--dir /dev/shm] [--json FILE]
    make bench-compare ARGS="fb3dc58 --dir /dev/shm"

REV's `feeds/` is exported (`git archive`) into a temporary folder beside a copy of
this tree's `benchmarks/`, so that both are measured by the same code and only
`feeds/` differs; both run in this tree's virtual environment, each with its own
folder first on `PYTHONPATH`. A revision older than `feeds/heap.py` (the collector's
policy, which the benchmarks apply as the shells do) is given this tree's: it is a
policy of the shells, not of the code measured.

Each round runs `benchmarks.run --sizes N --skip-baseline` once for each tree, in
the order after-before, then before-after in the next round, and so on, so that a
machine whose speed drifts favours neither. The table gives, for each measurement,
the median over the rounds of each tree, the median of the rounds' ratios (each
round's after / before: runs close in time are compared), and the range of every
single run.

Runs a minute apart can still fall in different moods of a shared machine, so a
second measurement runs the two trees at the same moment: `--together N` rounds in
which each tree, in a process pinned to a core of its own (and so in one process: a
build uses the cores it may run on), makes a new Builder's first build into an empty
`public/` and then adds, edits and deletes pages with it (the median of five of
each); the cores are swapped every round. Both feel whatever slows the machine, and
the rounds' ratios say which code does more work. Progress goes to stderr, the table
to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from benchmarks.generate import corpus, write_page
from benchmarks.run import ROOT, child_env, feeds_digest, parse_sizes, progress

# (key in the JSON of `benchmarks.run`, what the table calls it, unit)
ROWS = (
    ("cold", "cold build", "s"),
    ("add", "one new page into the daemon's builder", "ms"),
    ("edit", "one page edited", "ms"),
    ("delete", "one page deleted", "ms"),
    ("rebuild_new", "a new Builder's first build, nothing changed", "s"),
    ("end_to_end", "end to end through the daemon: file closed -> feed published", "ms"),
    ("peak_mb", "peak memory of a cold build, all processes (PSS)", "MB"),
)

# Both trees at the same moment, one core each (`together`):
TOGETHER_ROWS = (
    ("first", "at the same moment, a core each: a new Builder's first build (cold)", "s"),
    ("add", "at the same moment, a core each: one new page", "ms"),
    ("edit", "at the same moment, a core each: one page edited", "ms"),
    ("delete", "at the same moment, a core each: one page deleted", "ms"),
)


@contextlib.contextmanager
def exported(revision: str) -> Iterator[Path]:
    """`feeds/` of `revision` with this tree's `benchmarks/`, in a temporary folder."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "feeds"],
        check=True,
        capture_output=True,
    ).stdout
    with tempfile.TemporaryDirectory(prefix="osce-compare-") as folder:
        tree = Path(folder)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tree, filter="data")
        shutil.copytree(ROOT / "benchmarks", tree / "benchmarks", ignore=ignored)
        if not (tree / "feeds" / "heap.py").exists():
            shutil.copy2(ROOT / "feeds" / "heap.py", tree / "feeds" / "heap.py")
        yield tree


def ignored(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if name == "__pycache__" or name.startswith("results")]


def run_once(
    tree: Path, sizes: str, cheap: float, folder: Path | None, out: Path
) -> dict[str, Any]:
    """One `benchmarks.run` of the code in `tree`; its JSON."""
    command = [sys.executable, "-m", "benchmarks.run", "--sizes", sizes, "--skip-baseline"]
    command += ["--cheap", str(cheap), "--json", str(out)]
    if folder is not None:
        command += ["--dir", str(folder)]
    done = subprocess.run(command, cwd=tree, env=child_env(tree), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark of {tree} failed:\n{done.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(out.read_text())
    return data


CHANGES_PER_ROUND = 5  # adds, edits and deletes by each process of a round together


def together(
    trees: dict[str, Path], size: int, rounds: int, folder: Path | None
) -> dict[str, dict[str, list[float]]]:
    """Each tree's seconds, round by round, of a first build and of the median change
    (`benchmarks.run.Changes`), both trees at the same moment, one core each."""
    cores = sorted(os.sched_getaffinity(0))[:2]
    if len(cores) < 2:
        raise RuntimeError("--together needs two cores")
    found: dict[str, dict[str, list[float]]] = {which: {} for which in trees}
    with tempfile.TemporaryDirectory(prefix="osce-together-", dir=folder) as scratch:
        pages = Path(scratch) / "pages"
        pages.mkdir()
        for page in corpus(size):
            write_page(pages, page)
        for round_ in range(rounds):
            running = {}
            for n, (which, tree) in enumerate(trees.items()):
                seeds, public = Path(scratch) / f"seeds-{which}", Path(scratch) / f"public-{which}"
                shutil.rmtree(seeds, ignore_errors=True)
                shutil.rmtree(public, ignore_errors=True)
                shutil.copytree(pages, seeds)
                core = cores[(n + round_) % 2]
                command = ["taskset", "-c", str(core), sys.executable, "-m", "benchmarks.run"]
                command += ["--together-child", str(seeds), str(public), str(size)]
                command.append(str(CHANGES_PER_ROUND))
                running[which] = subprocess.Popen(
                    command, cwd=tree, env=child_env(tree), stdout=subprocess.PIPE, text=True
                )
            for which, process in running.items():
                out, _ = process.communicate()
                if process.returncode != 0:
                    raise RuntimeError(f"the builds of {which} failed")
                data = json.loads(out.splitlines()[-1])
                for key, seconds in data.items():
                    median = statistics.median(seconds) if isinstance(seconds, list) else seconds
                    found[which].setdefault(key, []).append(median)
            progress(
                f"together {round_ + 1}/{rounds}: "
                + ", ".join(
                    f"{which} {f['first'][-1]:.2f} s, add {f['add'][-1] * 1000:.0f} ms"
                    for which, f in found.items()
                )
            )
    return found


def value(size: dict[str, Any], key: str) -> float:
    """A measurement of one run of `benchmarks.run`: the median of its repeats."""
    found = size[key]
    return float(found["median"] if isinstance(found, dict) else found)


def runs(size: dict[str, Any], key: str) -> list[float]:
    """Every single run behind a measurement."""
    found = size[key]
    return [float(r) for r in found["runs"]] if isinstance(found, dict) else [float(found)]


def shown(number: float, unit: str) -> str:
    if unit == "ms":
        return f"{number * 1000:.0f} ms"
    if unit == "MB":
        return f"{number:.0f} MB"
    return f"{number:.2f} s"


def comparison(
    before: Sequence[dict[str, Any]], after: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One row per measurement of `benchmarks.run`."""
    return [
        row(
            key,
            name,
            unit,
            ([value(size, key) for size in before], [value(size, key) for size in after]),
            (
                [r for size in before for r in runs(size, key)],
                [r for size in after for r in runs(size, key)],
            ),
        )
        for key, name, unit in ROWS
    ]


def row(
    key: str,
    name: str,
    unit: str,
    rounds: tuple[Sequence[float], Sequence[float]],
    every: tuple[Sequence[float], Sequence[float]],
) -> dict[str, Any]:
    """A measurement before and after: each tree's median over the rounds, the median
    of the rounds' ratios, the range of every run."""
    (b, a), (every_b, every_a) = rounds, every
    ratios = [x / y for x, y in zip(a, b, strict=True) if y > 0]
    return {
        "key": key,
        "name": name,
        "unit": unit,
        "before": statistics.median(b),
        "after": statistics.median(a),
        "paired": statistics.median(ratios) - 1 if ratios else None,
        "ratios": ratios,
        "range_before": (min(every_b), max(every_b)),
        "range_after": (min(every_a), max(every_a)),
    }


def table(rows: Sequence[dict[str, Any]], revision: str, size: int) -> str:
    lines = [
        f"| {size:,} items | before ({revision}) | after | after / before, paired "
        "| runs before | runs after |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        unit = row["unit"]
        low_b, high_b = row["range_before"]
        low_a, high_a = row["range_after"]
        paired = "–" if row["paired"] is None else f"{row['paired']:+.0%}"
        lines.append(
            f"| {row['name']} | {shown(row['before'], unit)} | {shown(row['after'], unit)} "
            f"| {paired} | {shown(low_b, unit)}–{shown(high_b, unit)} "
            f"| {shown(low_a, unit)}–{shown(high_a, unit)} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.compare",
        description="The benchmark of this tree against an earlier revision, in turn.",
    )
    parser.add_argument("revision", help="the revision to compare with (anything git names)")
    parser.add_argument("--rounds", type=int, default=8, help="runs of each tree (default 8)")
    parser.add_argument("--sizes", default="30000", help="corpus size in items (default 30000)")
    parser.add_argument(
        "--cheap", type=float, default=5.0, metavar="S", help="as `benchmarks.run` (default 5)"
    )
    parser.add_argument("--dir", type=Path, metavar="DIR", help="as `benchmarks.run`")
    parser.add_argument(
        "--together",
        type=int,
        default=10,
        metavar="N",
        help="rounds of both trees at once, a core each: a first build, then changes "
        "(default 10; 0: none)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the data as JSON")
    args = parser.parse_args(argv)
    sizes = parse_sizes(args.sizes)
    if len(sizes) != 1:
        parser.error("--sizes: one size")

    found: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    both: dict[str, dict[str, list[float]]] = {}
    with exported(args.revision) as tree, tempfile.TemporaryDirectory() as scratch:
        trees = {"before": tree, "after": ROOT}
        if args.together:
            both = together(trees, sizes[0], args.together, args.dir)
        for round_ in range(args.rounds):
            order = ("after", "before") if round_ % 2 == 0 else ("before", "after")
            for which in order:
                out = Path(scratch) / f"{which}-{round_}.json"
                data = run_once(trees[which], args.sizes, args.cheap, args.dir, out)
                found[which].append(data)
                size = data["sizes"][0]
                cold, add = value(size, "cold"), value(size, "add")
                load = data["machine"]["load_before"]
                progress(
                    f"round {round_ + 1}/{args.rounds}, {which}: cold {cold:.2f} s, "
                    f"add {add * 1000:.0f} ms, load {load:.1f}"
                )
    before = [data["sizes"][0] for data in found["before"]]
    after = [data["sizes"][0] for data in found["after"]]
    rows = comparison(before, after)
    for key, name, unit in TOGETHER_ROWS if both else ():
        pair = (both["before"][key], both["after"][key])
        rows.append(row(f"together-{key}", name, unit, pair, pair))
    print(table(rows, args.revision, sizes[0]))
    print()
    digest = feeds_digest()
    print(f"Rounds: {args.rounds} of each, in turn; after: this tree (feeds/ digest {digest}).")
    if args.json:
        report = {
            "revision": args.revision,
            "size": sizes[0],
            "rows": rows,
            "runs": found,
            "together": both,
        }
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
