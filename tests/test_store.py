"""The state kept between builds: last good pages survive damage to their
neighbours, the manifest reads back what was written, one publisher per public/."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.store import (
    MANIFEST,
    AlreadyRunning,
    ManifestEncoder,
    ManifestRow,
    Shards,
    exclusive_lock,
    good_from_shard,
    read_manifest,
    shard_bytes,
    shard_path,
)


def test_a_shard_gives_back_its_seeds_and_a_damaged_one_nothing() -> None:
    good = {"a.txt": b"first page", "b.txt": b"\x00binary\n\xff"}
    assert good_from_shard(shard_bytes(good)) == good
    assert good_from_shard(shard_bytes(good)[:-3]) == {}
    assert good_from_shard(b"not a shard") == {}


def test_shards_are_rewritten_only_where_seeds_came_or_went() -> None:
    good = {f"{n}.txt": b"page" for n in range(600)}
    shards = Shards()
    every, emptied = shards.files(good)
    assert sum(len(good_from_shard(data)) for data in every.values()) == 600
    assert emptied == set()
    del good["7.txt"]
    changed, emptied = shards.files(good, ["7.txt"])
    assert list(changed) == [shard_path("7.txt")]
    assert "7.txt" not in good_from_shard(changed[shard_path("7.txt")])
    lone = {"only.txt": b"page"}
    shards.files(lone)
    _, emptied = shards.files({}, ["only.txt"])
    assert emptied == {shard_path("only.txt")}


def test_the_manifest_reads_back_and_a_damaged_row_is_skipped(tmp_path: Path) -> None:
    rows = {"all.atom": ManifestRow("ab" * 32, 10, 123), "x/y.rss": ManifestRow("", 0, 0)}
    (tmp_path / MANIFEST).parent.mkdir(parents=True)
    (tmp_path / MANIFEST).write_bytes(ManifestEncoder()(rows))
    assert read_manifest(tmp_path) == rows
    (tmp_path / MANIFEST).write_text('{"all.atom": ["ab", 10, 123], "bad": [1], "worse": 7}')
    assert read_manifest(tmp_path) == {"all.atom": ManifestRow("ab", 10, 123)}
    (tmp_path / MANIFEST).write_text("[truncated")
    assert read_manifest(tmp_path) == {}


def test_a_second_publisher_on_one_public_folder_is_refused(tmp_path: Path) -> None:
    with exclusive_lock(tmp_path) as killed:
        assert not killed
        with pytest.raises(AlreadyRunning, match="in use by osce-feeds"), exclusive_lock(tmp_path):
            pass
    with exclusive_lock(tmp_path) as killed:  # released cleanly: no litter to look for
        assert not killed
