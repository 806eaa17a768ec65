"""A seed file as a build uses it: parsed, or, when it turned bad or unreadable,
its last good version's items, with a warning; and sent from a worker intact."""

from __future__ import annotations

import pickle
from pathlib import Path

from feeds.config import Config
from feeds.model import Level
from feeds.pages import read_page, read_seed_file, read_share
from feeds.store import stamp_of

from .conftest import SAMPLE_SEEDS

GOOD = sorted(SAMPLE_SEEDS.glob("*.txt"))[0].read_bytes()


def test_a_page_that_yields_nothing_keeps_its_last_good_items() -> None:
    seed = read_page(b"502 Bad Gateway", "seeds/a.txt", GOOD)
    assert len(seed.records) == 7
    assert seed.good == GOOD
    (warning,) = [i for i in seed.issues if i.level is Level.WARNING]
    assert "last good version's 7 items stay published" in warning.message


def test_a_page_without_a_last_good_version_yields_nothing() -> None:
    seed = read_page(b"502 Bad Gateway", "seeds/a.txt", None)
    assert seed.records == ()
    assert seed.good is None


def test_a_good_page_becomes_its_own_last_good_version() -> None:
    seed = read_page(GOOD, "seeds/a.txt", b"older bytes")
    assert seed.good is seed.data
    assert len(seed.records) == 7


def test_an_unchanged_file_is_not_read_again_and_a_gone_one_is_gone(tmp_path: Path) -> None:
    config = Config(seeds=tmp_path, public=tmp_path / "public")
    (tmp_path / "a.txt").write_bytes(GOOD)
    first = read_seed_file(config, "a.txt", None, None)
    assert first.seed is not None
    assert first.stamp == stamp_of((tmp_path / "a.txt").stat())
    assert first.stamp is not None
    again = read_seed_file(config, "a.txt", None, (first.stamp, first.seed))
    assert (again.data, again.seed, again.gone) == (None, None, False)
    (tmp_path / "a.txt").unlink()
    assert read_seed_file(config, "a.txt", None, (first.stamp, first.seed)).gone


def test_a_fifo_named_like_a_seed_keeps_its_last_good_items(tmp_path: Path) -> None:
    import os

    config = Config(seeds=tmp_path, public=tmp_path / "public")
    os.mkfifo(tmp_path / "a.txt")
    read = read_seed_file(config, "a.txt", GOOD, None)
    assert read.seed is not None
    assert not read.seed.readable
    assert len(read.seed.records) == 7


def test_what_a_worker_reads_arrives_as_it_was_read(tmp_path: Path) -> None:
    config = Config(seeds=tmp_path, public=tmp_path / "public")
    (tmp_path / "a.txt").write_bytes(GOOD)
    (tmp_path / "b.txt").write_bytes(b"502 Bad Gateway")
    reads = read_share(config, {"b.txt": GOOD}, ["a.txt", "b.txt", "gone.txt"])
    sent = pickle.loads(pickle.dumps(reads, protocol=pickle.HIGHEST_PROTOCOL))
    assert sent == reads
    assert sent[0].seed is not None
    assert sent[0].seed.good is sent[0].data  # its own bytes, not a copy
    assert sent[2].gone
