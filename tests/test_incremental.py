"""The daemon's builds (one `Builder` kept across changes, with its caches) publish
exactly what a cold build of the same seeds publishes, whatever the sequence of
adds, edits, renames and deletes."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.build import Builder, build
from feeds.config import Config
from feeds.parse import parse_seed

from .conftest import BASE_URL, DATA, SAMPLE_SEEDS

PAGES = [
    p.read_bytes()
    for p in sorted(SAMPLE_SEEDS.glob("*.txt"))
    + sorted((DATA / "holdout").glob("*.txt"))
    + [DATA / "seeds" / "error_page.txt", DATA / "seeds" / "same_title_different_dates.txt"]
]
# Pages that spell the sample's names otherwise: as they come and go, groups gain and
# lose spellings and change label (the spelling seen most often).
PAGES += [
    "".join(
        f"{word} item {n}\nPublishing date: {n + 1} October 2020\nContent type: {kind}\n"
        f"Where we are: {mission}\nWhat we do: {topic}\nSummary {n}.\n"
        for n in range(count)
    ).encode()
    for word, kind, mission, topic, count in [
        ("Caps", "NEWS", "OSCE MISSION TO SERBIA", "POLICING", 6),
        ("Lower", "news", "osce mission to serbia", "policing, Youth", 2),
    ]
]
NAMES = [f"page-{n}.txt" for n in range(5)]

step = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(NAMES), st.integers(0, len(PAGES) - 1)),
    st.tuples(st.just("cut"), st.sampled_from(NAMES), st.floats(0.1, 1.0)),
    st.tuples(st.just("rename"), st.sampled_from(NAMES), st.sampled_from(NAMES)),
    st.tuples(st.just("delete"), st.sampled_from(NAMES), st.none()),
)


def apply(seeds: Path, action: tuple[str, str, object]) -> set[str]:
    """Carry out one action; returns the names of the seed files it touched."""
    kind, name, arg = action
    path = seeds / name
    if kind == "write":
        assert isinstance(arg, int)
        path.write_bytes(PAGES[arg])
    elif kind == "cut" and path.exists():
        assert isinstance(arg, float)
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * arg)])
    elif kind == "rename" and path.exists():
        assert isinstance(arg, str)
        path.replace(seeds / arg)
        return {name, arg}
    elif kind == "delete":
        path.unlink(missing_ok=True)
    return {name}


def published(public: Path) -> dict[str, bytes]:
    return {
        p.relative_to(public).as_posix(): p.read_bytes()
        for p in sorted(public.rglob("*"))
        if p.is_file() and not p.relative_to(public).as_posix().startswith(".osce-feeds/")
    }


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=12), st.booleans(), st.sampled_from([3, 50]))
def test_daemon_builds_equal_cold_builds(
    actions: list[tuple[str, str, object]], told: bool, feed_size: int
) -> None:
    """`told`: the daemon is told which seeds changed (as the watcher does), or it
    finds out by itself (a scan of the seeds folder). A feed size of 3 cuts the
    feeds into many archive pages, whose limits the daemon keeps across changes."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        seeds = root / "seeds"
        seeds.mkdir()
        # Random changes withdraw anything: the withdrawal guard is not the subject here.
        config = Config(
            seeds=seeds,
            public=root / "public",
            base_url=BASE_URL,
            feed_size=feed_size,
            max_withdraw=100,
        )
        daemon = Builder(config)
        daemon.build()
        for action in actions:
            before = root / "before"
            shutil.rmtree(before, ignore_errors=True)
            shutil.copytree(config.public, before)
            touched = apply(seeds, action)
            daemon.build(touched if told else None)

            # A cold build (no cache) from the same state of public/ ...
            cold = replace(config, public=before)
            build(cold)
            assert published(config.public) == published(before)

            # ... and from nothing: the same files, but for the empty feeds kept for
            # groups whose items were all withdrawn.
            fresh = replace(config, public=root / "fresh")
            shutil.rmtree(fresh.public, ignore_errors=True)
            if all(parse_seed(p.read_bytes(), p.name).records for p in seeds.glob("*.txt")):
                build(fresh)
                mine, theirs = published(config.public), published(fresh.public)
                for path, data in theirs.items():
                    if not path.endswith((".atom", ".rss", ".html", ".opml")):
                        continue
                    if path in ("index.html", "feeds.opml"):
                        continue
                    assert mine[path] == data, path
