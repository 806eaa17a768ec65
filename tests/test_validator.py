"""Every published feed passes the W3C Feed Validation Service's engine with zero
errors and zero warnings (`../shared/tools/feedvalidate --strict`).

The validator ships beside the project, not inside it: a clone without `../shared`
skips this check, and says so in the test summary.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from feeds.build import build
from feeds.config import Config

from .conftest import BASE_URL, DATA, SAMPLE_SEEDS
from .validator import validate


def test_sample_feeds_have_zero_errors_and_warnings(tmp_path: Path) -> None:
    config = Config(seeds=SAMPLE_SEEDS, public=tmp_path / "public", base_url=BASE_URL)
    build(config)
    done = validate(config.public)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": VALID (") == 62


@pytest.mark.parametrize(("feed_size", "hub"), [(50, ""), (4, "https://hub.example.org/")])
def test_corpus_feeds_have_zero_errors_and_warnings(
    tmp_path: Path, feed_size: int, hub: str
) -> None:
    """Every hazard page and the hand-written pages at once: many feeds, odd names,
    empty summaries, same-day items; with small pages, RFC 5005 archives too, and a
    WebSub hub link."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for folder in (DATA / "seeds", DATA / "holdout", SAMPLE_SEEDS):
        for page in folder.glob("*.txt"):
            shutil.copy(page, seeds / f"{folder.name}-{page.name}")
    public = tmp_path / "public"
    build(Config(seeds=seeds, public=public, base_url=BASE_URL, feed_size=feed_size, hub_url=hub))
    assert feed_size > 10 or len(list(public.glob("archive/*/*/*.atom"))) > 50
    done = validate(public)
    assert done.returncode == 0, "\n".join(
        line for line in done.stdout.splitlines() if ": VALID (" not in line
    )
