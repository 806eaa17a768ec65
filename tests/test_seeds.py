"""The read stage: what a seeds folder may hold, and what becomes of each thing.

Real files, FIFOs, sockets and links in `tmp_path`; an unreadable file is made with
`chmod 000` where the tests do not run as root, and by an injected `EACCES` where
they do (root reads any file).
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

import pytest

from feeds import seeds as seeds_module
from feeds.seeds import (
    MAX_SEED_BYTES,
    SeedsUnavailable,
    Unreadable,
    is_printable_name,
    quoted,
    read_seed,
    read_seeds,
    seed_names,
)

PAGE = b"Title\nPublishing date: 1 March 2021\nSummary.\n"


def test_regular_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(PAGE)
    assert read_seed(str(tmp_path / "a.txt")) == PAGE
    assert read_seed(str(tmp_path / "gone.txt")) is None


def test_fifo_is_not_read_and_does_not_block(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "x.txt")
    found = read_seed(str(tmp_path / "x.txt"))  # on a blocking open, this never returns
    assert found == Unreadable("not a regular file (a FIFO)")


def test_socket_and_folder_are_not_read(tmp_path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "s.txt"))
        assert isinstance(read_seed(str(tmp_path / "s.txt")), Unreadable)
    (tmp_path / "d.txt").mkdir()
    assert read_seed(str(tmp_path / "d.txt")) == Unreadable("not a regular file (a folder)")


def test_symbolic_links_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "secret"
    outside.write_bytes(PAGE)
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "in.txt").symlink_to(outside)
    (folder / "dangling.txt").symlink_to(tmp_path / "nowhere")
    for name in ("in.txt", "dangling.txt"):
        found = read_seed(str(folder / name))
        assert isinstance(found, Unreadable)
        assert "symbolic link" in found.reason


def test_unreadable_file_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.txt"
    path.write_bytes(PAGE)
    path.chmod(0)
    if os.geteuid() == 0:  # root reads anything: the error is injected instead
        real_open = os.open

        def refuse(name: str, *args: object, **kwargs: object) -> int:
            if os.fspath(name) == str(path):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), name)
            return real_open(name, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(seeds_module.os, "open", refuse)
    assert read_seed(str(path)) == Unreadable("cannot be read: Permission denied")


def test_names_that_are_not_printable_utf8_are_not_read(tmp_path: Path) -> None:
    for raw in (b"caf\xe9.txt", b"a\nb.txt", b"esc\x1b[31m.txt"):
        with open(os.path.join(os.fsencode(tmp_path), raw), "wb") as handle:
            handle.write(PAGE)
    names = seed_names(tmp_path)
    assert len(names) == 3
    for name in names:
        assert not is_printable_name(name)
        assert read_seed(os.path.join(tmp_path, name)) == Unreadable(
            "file name is not printable UTF-8"
        )
        assert quoted(name).isprintable()
        assert "\n" not in quoted(name)
    assert sorted(quoted(n) for n in names) == ["a\\nb.txt", "caf\\xe9.txt", "esc\\x1b[31m.txt"]


def test_printable_names_stay_as_they_are() -> None:
    for name in ("OSCE – Mission to Skopje (closed).txt", "ümlaut ðæ.txt", "page 1.txt"):
        assert is_printable_name(name)
        assert quoted(name) == name


def test_too_large_a_file_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(b"x" * (MAX_SEED_BYTES + 1))
    found = read_seed(str(path))
    assert isinstance(found, Unreadable)
    assert "too large" in found.reason
    path.write_bytes(b"x" * MAX_SEED_BYTES)
    assert read_seed(str(path)) == b"x" * MAX_SEED_BYTES


@pytest.mark.parametrize("how", ["missing", "a file"])
def test_a_folder_that_is_not_there_is_an_error_not_an_empty_folder(
    tmp_path: Path, how: str
) -> None:
    folder = tmp_path / "seedz"
    if how == "a file":
        folder.write_text("x")
    with pytest.raises(SeedsUnavailable, match="seedz"):
        seed_names(folder)
    with pytest.raises(SeedsUnavailable):
        read_seeds(folder)


def test_only_seed_names_are_listed(tmp_path: Path) -> None:
    for name in ("a.txt", ".hidden.txt", "~a.txt", "#a.txt#", "a.txt~", "b.md", "c.txt"):
        (tmp_path / name).write_bytes(PAGE)
    assert seed_names(tmp_path) == ["a.txt", "c.txt"]
