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

from feeds.publish import Publisher, check_path, remove_temporaries
from feeds.store import MANIFEST, ManifestEncoder


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

    publisher.sync(files(), paths)
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


def test_forked_streams_are_written_by_child_processes(tmp_path: Path) -> None:
    """A cold build renders its shares of the files in forked processes: every file
    lands once, in the manifest, and the parent's report counts them all."""
    parent = os.getpid()
    shares = [[f"topics/{n}-{k}.atom" for k in range(20)] for n in range(3)]

    def stream(paths: list[str]) -> Iterator[tuple[str, bytes]]:
        for path in paths:
            yield path, f"{path} by {os.getpid()}".encode()

    paths = [path for share in shares for path in share]
    report = Publisher(tmp_path).sync(
        stream(shares[0]), paths, forked=[stream(shares[1]), stream(shares[2])]
    )
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


def test_a_share_whose_child_fails_is_written_by_the_parent(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    parent = os.getpid()

    def fragile() -> Iterator[tuple[str, bytes]]:
        if os.getpid() != parent:
            raise OSError("no room in the child")
        yield "all.atom", b"written anyway"

    report = Publisher(tmp_path).sync(iter(()), ["all.atom"], forked=[fragile()])
    assert report.written == ("all.atom",)
    assert (tmp_path / "all.atom").read_bytes() == b"written anyway"
    assert "no room in the child" in capfd.readouterr().err  # the child's failure is told


def test_a_forked_stream_with_an_unannounced_path_fails_the_sync(tmp_path: Path) -> None:
    def rogue() -> Iterator[tuple[str, bytes]]:
        yield "elsewhere.atom", b"x"

    with pytest.raises(ValueError, match="not announced"):
        Publisher(tmp_path).sync(iter(()), ["all.atom"], forked=[rogue()])
    assert not (tmp_path / "elsewhere.atom").exists()


@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["all.atom", "topics/a.rss", 'é/"q".html', "items/2020/01.html"]),
            st.lists(st.one_of(st.text(), st.integers()), max_size=3),
            max_size=6,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_the_manifest_is_encoded_as_json_dumps_would_after_any_changes(
    manifests: list[dict[str, list[object]]],
) -> None:
    """The daemon re-encodes only the manifest rows that changed; what it writes is
    still exactly the whole manifest as JSON, keys sorted."""
    encode = ManifestEncoder()
    current: dict[str, list[object]] = {}
    for changes in manifests:
        current = {**current, **changes}
        for path in list(current)[: len(changes) // 2]:
            del current[path]  # and some paths go
        expected = json.dumps(current, separators=(",", ":"), sort_keys=True).encode()
        assert encode(current) == expected
        assert json.loads(encode(current)) == current
