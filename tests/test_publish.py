"""Publishing into public/: only changed bytes, atomic files, a manifest that always
knows every file, and Last-Modified that moves with every change."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds import workers
from feeds.publish import Publisher, PublishFailed, Puts, check_path, remove_temporaries
from feeds.store import MANIFEST, ManifestEncoder, ManifestRow


def test_unchanged_files_are_not_touched(tmp_path: Path) -> None:
    publisher = Publisher(tmp_path)
    publisher.sync({"a.atom": b"one", "b/c.rss": b"two"})
    before = os.stat(tmp_path / "a.atom").st_mtime_ns
    report = Publisher(tmp_path).sync({"a.atom": b"one", "b/c.rss": b"three"})
    assert report.written == ("b/c.rss",)
    assert os.stat(tmp_path / "a.atom").st_mtime_ns == before


def test_files_no_longer_published_are_removed_and_foreign_ones_kept(tmp_path: Path) -> None:
    (tmp_path / "robots.txt").write_text("mine, not the publisher's")
    publisher = Publisher(tmp_path)
    publisher.sync({"a.atom": b"1", "old.atom": b"2"})
    report = publisher.sync({"a.atom": b"1"})
    assert report.removed == ("old.atom",)
    assert (tmp_path / "robots.txt").exists()


def test_a_file_changed_twice_in_one_second_gets_a_later_second(tmp_path: Path) -> None:
    publisher = Publisher(tmp_path)
    seconds = []
    for n in range(3):
        publisher.apply({"all.atom": f"version {n}".encode()}, [])
        seconds.append(os.stat(tmp_path / "all.atom").st_mtime_ns // 1_000_000_000)
    assert seconds[0] < seconds[1] < seconds[2]  # Last-Modified moves with each change


def test_every_file_is_in_the_manifest_before_it_exists(tmp_path: Path) -> None:
    publisher = Publisher(tmp_path)
    paths = [f"archive/all/{n}.atom" for n in range(5)]

    def files() -> Iterator[tuple[str, bytes]]:
        for path in paths:
            on_disk = json.loads((tmp_path / MANIFEST).read_bytes())
            assert path in on_disk  # a run killed now leaves nothing unknown
            assert not (tmp_path / path).exists()
            yield path, b"page"

    batch = publisher.begin(paths)
    publisher.commit(batch, [batch.put_all(files())])
    assert sorted(json.loads((tmp_path / MANIFEST).read_bytes())) == paths


def test_temporaries_left_by_a_killed_run_are_removed(tmp_path: Path) -> None:
    (tmp_path / "topics").mkdir()
    left = tmp_path / "topics" / ".policing.atom.123.tmp"
    left.write_bytes(b"half")
    assert remove_temporaries(tmp_path) == [left]
    assert not left.exists()


@pytest.mark.parametrize("path", ["../x.atom", "/etc/passwd", "a/../../b", "", "a//b"])
def test_paths_outside_public_are_refused(path: str) -> None:
    with pytest.raises(ValueError, match="not a path inside public"):
        check_path(path)


def test_shares_of_a_batch_are_written_by_child_processes(tmp_path: Path) -> None:
    """A cold build's workers each write the files they render, through one batch:
    every file lands once, in the manifest, and the parent's report counts them all."""
    parent = os.getpid()
    shares = [[f"topics/{n}-{k}.atom" for k in range(20)] for n in range(3)]
    paths = [path for share in shares for path in share]
    publisher = Publisher(tmp_path)
    batch = publisher.begin(paths)

    def put(share: list[str]) -> Puts:
        return batch.put_all((path, f"{path} by {os.getpid()}".encode()) for path in share)

    report = publisher.commit(batch, workers.map_shares(put, shares))
    assert sorted(report.written) == sorted(paths)
    assert report.bytes_written == sum(os.stat(tmp_path / p).st_size for p in paths)
    makers = {path: (tmp_path / path).read_text().rsplit(" ", 1)[1] for path in paths}
    assert {makers[p] for p in shares[0]} == {str(parent)}
    children = [{makers[p] for p in share} for share in shares[1:]]
    assert all(len(c) == 1 and c != {str(parent)} for c in children)
    assert children[0] != children[1]
    manifest = json.loads((tmp_path / MANIFEST).read_bytes())
    assert sorted(manifest) == sorted(paths)
    assert all(row[0] for row in manifest.values())


def test_a_file_that_cannot_be_written_fails_the_publication_and_says_what_was(
    tmp_path: Path,
) -> None:
    """A share stopped by a full disk (here: a folder where a file should go) fails
    the whole publication, naming the files written before; the manifest keeps
    every path announced, so nothing is unknown to the next run."""
    publisher = Publisher(tmp_path)
    (tmp_path / "topics" / "b.atom").mkdir(parents=True)
    batch = publisher.begin(["all.atom", "topics/b.atom", "topics/c.atom"])
    puts = [
        batch.put_all([("all.atom", b"a")]),
        batch.put_all([("topics/b.atom", b"b"), ("topics/c.atom", b"c")]),
    ]
    assert puts[1].error is not None
    with pytest.raises(PublishFailed) as failed:
        publisher.commit(batch, puts)
    assert failed.value.written == ("all.atom",)
    assert not (tmp_path / "topics" / "c.atom").exists()
    on_disk = json.loads((tmp_path / MANIFEST).read_bytes())
    assert {"all.atom", "topics/b.atom", "topics/c.atom"} <= on_disk.keys()


def test_an_unannounced_path_is_refused(tmp_path: Path) -> None:
    batch = Publisher(tmp_path).begin(["all.atom"])
    with pytest.raises(ValueError, match="not announced"):
        batch.put_all([("elsewhere.atom", b"x")])
    assert not (tmp_path / "elsewhere.atom").exists()


ROWS = st.builds(ManifestRow, st.text(), st.integers(), st.integers())


@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["all.atom", "topics/a.rss", 'é/"q".html', "items/2020/01.html"]),
            ROWS,
            max_size=6,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_the_manifest_is_encoded_as_json_dumps_would_after_any_changes(
    manifests: list[dict[str, ManifestRow]],
) -> None:
    """The daemon re-encodes only the manifest rows that changed; what it writes is
    still exactly the whole manifest as JSON, keys sorted, a row as [digest, size,
    mtime]."""
    encode = ManifestEncoder()
    current: dict[str, ManifestRow] = {}
    for changes in manifests:
        current = {**current, **changes}
        for path in list(current)[: len(changes) // 2]:
            del current[path]  # and some paths go
        rows = {path: [row.digest, row.size, row.mtime_ns] for path, row in current.items()}
        expected = json.dumps(rows, separators=(",", ":"), sort_keys=True).encode()
        assert encode(current) == expected
        assert json.loads(encode(current)) == rows
