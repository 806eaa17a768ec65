"""One item's fields: values on a page's cut last line are tentative."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest

from feeds.build import build
from feeds.catalog import merge_items
from feeds.config import Config
from feeds.model import Kind, Level
from feeds.parse import parse_seed

from .conftest import BASE_URL


def test_cut_value_is_tentative_until_seen_complete() -> None:
    page = (
        "A\nPublishing date: 2 May 2020\nWhere we are: OSCE Mission to Serbia\nS\n"
        "B\nPublishing date: 1 May 2020\nWhere we are: OSCE Secretariat, OSCE Mission to Ser"
    )
    result = parse_seed(page, "x.txt")
    assert result.records[1].missions == ("OSCE Secretariat",)
    assert result.records[1].tentative
    assert any(i.level is Level.NOTICE and i.line == 7 for i in result.issues)
    entries = {e.title: e for e in merge_items(result.records).entries}
    assert entries["B"].missions == ("OSCE Secretariat",)


def _cut_page(end: str) -> bytes:
    """A page cut inside its last topic, then given the line end `end`."""
    return (
        "Monitors trained\r\nPublishing date: 2 May 2020\r\nWhat we do: Policing\r\nS.\r\n"
        "Rights defenders met\r\nPublishing date: 1 May 2020\r\n"
        f"What we do: Policing, Human rig{end}"
    ).encode()


@pytest.mark.parametrize("end", ["\r\n", "\n", "\r\n\r\n  \r\n", ""])
def test_a_cut_last_value_is_tentative_with_or_without_a_line_end(end: str) -> None:
    (_, last) = parse_seed(_cut_page(end), "x.txt").records
    assert last.topics == ("Policing",)
    assert last.tentative == ((Kind.TOPIC, "Human rig"),)


def test_a_cut_value_then_a_line_end_publishes_no_feed(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "cut.txt").write_bytes(_cut_page("\r\n"))
    (seeds / "cut-type.txt").write_bytes(
        b"Daily report\nPublishing date: 3 May 2020\nContent type: Press release\nS.\n"
        b"Daily report 2\nPublishing date: 4 May 2020\nContent type: Daily r\n"
    )
    # A name on a cut last line that another page gives complete is kept.
    (seeds / "whole.txt").write_bytes(
        b"Other\nPublishing date: 5 May 2020\nWhat we do: Human rights\nS.\n"
        b"Last\nPublishing date: 6 May 2020\nWhat we do: Policing, Human rights\n"
    )
    build(Config(seeds=seeds, public=tmp_path / "public", base_url=BASE_URL))

    topics = sorted(p.name for p in (tmp_path / "public" / "topics").glob("*.atom"))
    assert topics == ["human-rights.atom", "policing.atom"]
    types = sorted(p.name for p in (tmp_path / "public" / "types").glob("*.atom"))
    assert types == ["press-release.atom"]
    rights = feedparser.parse((tmp_path / "public" / "topics" / "human-rights.atom").read_bytes())
    assert sorted(e.title for e in rights.entries) == ["Last", "Other"]
