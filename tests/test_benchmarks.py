"""The benchmarks run end to end: the serving one (the real daemon, wrk clients, pages
landing) and the comparison of a revision with this tree."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from benchmarks import compare, serve
from benchmarks.run import feeds_digest

needs_wrk = pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)"
)


@needs_wrk
def test_serve_benchmark_publishes_the_pages_it_lands(tmp_path: Path) -> None:
    out = tmp_path / "serve.json"
    argv = ["--items", "200", "--dir", str(tmp_path / "corpus"), "--clients", "2"]
    argv += ["--seconds", "1", "--pace", "0.3", "--json", str(out)]
    assert serve.main(argv) == 0
    report = json.loads(out.read_text())
    cells = report["cells"]
    assert [(c["kind"], c["coding"]) for c in cells] == [
        ("full", "identity"),
        ("conditional", "identity"),
        ("full", "gzip"),
        ("conditional", "gzip"),
    ]
    assert all(c["failed"] == 0 and c["requests"] > 0 for c in cells)
    # Full GETs are all answered 200; conditional ones 304, but for a changed feed.
    assert all(set(c["statuses"]) == {"200"} for c in cells if c["kind"] == "full")
    assert all("304" in c["statuses"] for c in cells if c["kind"] == "conditional")
    landed = sum(c["pages_landed"] for c in cells)
    assert landed == report["info"]["pages_landed"] > 0
    assert 0 < report["info"]["rebuilds"] <= landed
    # The landed pages are gone from seeds/ afterwards: the next run starts the same.
    assert len(list((tmp_path / "corpus" / "seeds").glob("*.txt"))) == 20


def test_the_table_shows_the_round_of_median_requests_per_second() -> None:
    def cell(round_: int, rate: float, p99: float) -> dict[str, object]:
        return {
            "round": round_,
            "kind": "full",
            "coding": "gzip",
            "clients": 16,
            "requests_per_s": rate,
            "latency_ms": {"50": 1.0, "99": p99},
        }

    chosen = serve.median_rounds([cell(1, 900, 9), cell(2, 1500, 5), cell(3, 1200, 7)])
    assert len(chosen) == 1
    assert chosen[0]["round"] == 3
    assert chosen[0]["latency_ms"]["99"] == 7
    assert chosen[0]["range_per_s"] == (900, 1500)


ROOT = Path(__file__).resolve().parents[1]
needs_git = pytest.mark.skipif(
    not (ROOT / ".git").exists() or shutil.which("git") is None,
    reason="benchmarks.compare exports a revision with git: run from a git clone",
)


@needs_git
def test_compare_measures_a_revision_and_this_tree_with_one_harness(tmp_path: Path) -> None:
    out = tmp_path / "compare.json"
    # Both trees at once needs two cores and taskset (util-linux); else that part is left out.
    both = int(len(os.sched_getaffinity(0)) >= 2 and shutil.which("taskset") is not None)
    argv = ["HEAD", "--rounds", "1", "--together", str(both), "--sizes", "200", "--cheap", "0"]
    argv += ["--dir", str(tmp_path), "--json", str(out)]
    assert compare.main(argv) == 0
    report = json.loads(out.read_text())
    keys = [key for key, _, _ in compare.ROWS]
    together = [f"together-{key}" for key, _, _ in compare.TOGETHER_ROWS] if both else []
    assert [row["key"] for row in report["rows"]] == [*keys, *together]
    if both:
        assert [len(report["together"][which]["add"]) for which in ("before", "after")] == [1, 1]
    for row in report["rows"]:
        assert row["before"] > 0, row
        assert row["after"] > 0, row
        assert row["paired"] is not None
    for which in ("before", "after"):
        (run,) = report["runs"][which]
        assert run["sizes"][0]["items"] == 200
        assert run["sizes"][0]["baseline"]["note"] == "not run"
    # The "before" run measured the revision's feeds/, the "after" run this tree's.
    head = tmp_path / "head"
    archive = subprocess.run(
        ["git", "archive", "HEAD", "feeds"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(head, filter="data")
    assert report["runs"]["before"][0]["machine"]["feeds_digest"] == feeds_digest(head)
    assert report["runs"]["after"][0]["machine"]["feeds_digest"] == feeds_digest()
    shutil.rmtree(head)
    assert list(tmp_path.iterdir()) == [out]  # every scratch folder is gone
