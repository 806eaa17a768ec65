"""The public folder of the sample seeds, byte for byte (see tests/golden.py)."""

from __future__ import annotations

from pathlib import Path

from .golden import GOLDEN, build_sample, golden_files


def test_sample_build_matches_golden_copy(tmp_path: Path) -> None:
    built = build_sample(tmp_path / "public")
    expected = golden_files(GOLDEN)
    assert sorted(built) == sorted(expected), "files differ: run `make golden` and review"
    changed = [path for path in built if built[path] != expected[path]]
    assert not changed, f"bytes differ in {changed}: run `make golden` and review the diff"
