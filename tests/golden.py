"""Regenerate `tests/golden/`: the public folder built from the sample seeds.

Run `make golden` after a change of output, then review `git diff tests/golden/`.
The state folder (`.osce-feeds/`) is left out: it is not published to subscribers.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from feeds.build import build
from feeds.config import Config
from feeds.store import STATE_DIR

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
SEEDS = HERE.parent / "seeds"
BASE_URL = "https://feeds.example.org/"


def golden_files(public: Path) -> dict[str, bytes]:
    """Every published file but the state folder, by relative path."""
    return {
        path.relative_to(public).as_posix(): path.read_bytes()
        for path in sorted(public.rglob("*"))
        if path.is_file() and path.relative_to(public).parts[0] != STATE_DIR
    }


def build_sample(public: Path) -> dict[str, bytes]:
    build(Config(seeds=SEEDS, public=public, base_url=BASE_URL))
    return golden_files(public)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        files = build_sample(Path(tmp) / "public")
    shutil.rmtree(GOLDEN, ignore_errors=True)
    for path, data in files.items():
        target = GOLDEN / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    print(f"wrote {len(files)} files to {GOLDEN}")


if __name__ == "__main__":
    main()
