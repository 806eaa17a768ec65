"""The parser against the fixture corpus (one page per hazard) and arbitrary text."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import unicodedata
from pathlib import Path
from typing import Any

import feedparser
import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds.build import build
from feeds.catalog import merge_items
from feeds.config import Config
from feeds.model import Entry, Kind, Level
from feeds.parse import is_plain_utf8, lines_from_text, parse_date, parse_seed

from .conftest import BASE_URL, DATA, SAMPLE_SEEDS

CORPUS = sorted((DATA / "seeds").glob("*.txt"))


def item_as_dict(entry: Entry) -> dict[str, Any]:
    return {
        "title": entry.title,
        "date": entry.date.isoformat(),
        "content_type": entry.content_type,
        "missions": sorted(entry.missions),
        "topics": sorted(entry.topics),
        "summary": entry.summary,
    }


def normalised(item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "missions": sorted(item["missions"]), "topics": sorted(item["topics"])}


def by_identity(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda i: (i["date"], i["title"]))


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_corpus_page_yields_expected_items_and_issues(path: Path) -> None:
    expected = json.loads(path.with_suffix("").with_suffix(".expected.json").read_text())
    result = parse_seed(path.read_bytes(), path.name)
    catalog = merge_items(result.records)

    got = by_identity([item_as_dict(e) for e in catalog.entries])
    assert got == by_identity([normalised(i) for i in expected["items"]])

    found = [(issue.line, issue.level.value) for issue in result.issues]
    for issue in expected["issues"]:
        assert (issue["line"], issue["level"]) in found, f"missing {issue}; got {result.issues}"


def test_corpus_is_there() -> None:
    assert len(CORPUS) >= 25


@given(st.text())
def test_parse_never_raises_on_any_text(text: str) -> None:
    result = parse_seed(text, "any.txt")
    for record in result.records:
        assert record.title
    for issue in result.issues:
        assert issue.line >= 1


@given(st.binary())
def test_parse_never_raises_on_any_bytes(data: bytes) -> None:
    parse_seed(data, "any.txt")


_LINES = st.sampled_from(
    [
        "Newsroom",
        "A title: with a colon",
        "What we do: Policing",
        "Publishing date: 16 October 2020",
        "Publishing date: 1 May 202",
        "Content type: News",
        "Where we are: OSCE Mission to Serbia, OSCE Secretariat",
        "Where we a",
        "Report type: Spot report",
        "Label: value",
        "",
        "A summary...",
    ]
)


@given(st.lists(_LINES, max_size=30), st.booleans())
def test_parse_never_raises_on_shuffled_listing_lines(lines: list[str], newline: bool) -> None:
    text = "\n".join(lines) + ("\n" if newline else "")
    result = parse_seed(text, "shuffled.txt")
    assert all(r.line >= 1 for r in result.records)


# Characters at the edges of plain text (`is_plain_utf8`), and some that need cleaning.
_EDGE_CHARACTERS = (
    "aZ :,.'’“”–—…é€ÅΩ"
    "\x7f\x80\x85\x9f\xa0\xad\xff\u02ff\u0300\u0301\u1fff\u2000\u2009\u200a\u200b"
    "\u2028\u202f\u205f\u20bf\u20c0\u20d0\u20d2\u212b\u1100\u1161\u3000\ufeff\ufffd"
    "\t\r\x01\x1f"
)


def test_bytes_give_what_their_text_gives() -> None:
    # Bytes take a shortcut when their text is plain; text never does.
    for odd in map("".join, itertools.product(_EDGE_CHARACTERS, repeat=2)):
        text = f"A{odd}title\nPublishing date: 1 May 2020\nA summary{odd}."
        assert parse_seed(text.encode(), "x.txt") == parse_seed(text, "x.txt"), repr(odd)


def test_plain_text_is_clean_and_in_nfc_in_any_order() -> None:
    plain = [
        char
        for char in map(chr, range(0x10000))
        if not "\ud800" <= char <= "\udfff" and is_plain_utf8(char.encode())
    ]
    assert len(plain) > 900
    assert not is_plain_utf8("\U0001f600".encode())  # four bytes: none is plain
    for char in plain:
        if char not in "\r\n":
            assert lines_from_text(f"a{char}b") == ([f"a{char}b"], False), repr(char)
        assert unicodedata.combining(char) == 0, repr(char)
    # Every pair stays as it is, so a text of them does (all are starters).
    for first in plain:
        for char in plain:
            assert unicodedata.is_normalized("NFC", first + char), repr(first + char)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("16 October 2020", dt.date(2020, 10, 16)),
        ("6 october 2020", dt.date(2020, 10, 6)),
        ("06 October 2020", dt.date(2020, 10, 6)),
        ("October 16, 2020", dt.date(2020, 10, 16)),
        ("2020-10-16", dt.date(2020, 10, 16)),
        ("12 October 200", None),
        ("31 September 2020", None),
        ("31/13/2020", None),
        ("16 Octobre 2020", None),
        ("", None),
    ],
)
def test_parse_date(text: str, expected: dt.date | None) -> None:
    assert parse_date(text) == expected


def test_issue_names_file_and_line() -> None:
    text = "Title\nPublishing date: 31/13/2020\nSummary\nNext\nPublishing date: 1 May 2020\nS"
    result = parse_seed(text, "seeds/004.txt")
    assert [str(i) for i in result.issues] == [
        "seeds/004.txt:2: error: bad date '31/13/2020': item skipped"
    ]
    assert [r.title for r in result.records] == ["Next"]


def test_a_title_may_look_like_metadata() -> None:
    text = "What we do: a review\nPublishing date: 1 May 2020\nContent type: News\nSummary."
    (record,) = parse_seed(text, "x.txt").records
    assert record.title == "What we do: a review"
    assert record.content_type == "News"
    assert record.summary == "Summary."


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


SAMPLE_PAGE = SAMPLE_SEEDS / "000_2ff1a2d5822c8077.txt"


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_one_byte_that_is_not_utf8_keeps_the_page(end: str) -> None:
    clean = SAMPLE_PAGE.read_bytes().replace(b"\n", end.encode())
    assert clean.split(end.encode())[23].count("’".encode()) == 1  # line 24: Albania’s
    damaged = clean.replace("Albania’s".encode(), b"Albania\x92s")  # saved as Windows-1252

    result = parse_seed(damaged, "x.txt")

    assert result.records == parse_seed(clean, "x.txt").records
    assert len(result.records) == 7
    assert [str(issue) for issue in result.issues] == [
        "x.txt:24: warning: bytes that are not UTF-8 replaced: '\\x92' read as Windows-1252, '’'"
    ]


def test_bytes_that_are_not_utf8_are_read_as_windows_1252() -> None:
    page = b"Caf\xe9 \x93talks\x94\nPublishing date: 1 May 2020\nWhat we do: Policing\nA \x81 \x85"
    result = parse_seed(page, "x.txt")
    (record,) = result.records
    assert record.title == "Café “talks”"
    assert record.summary == "A \ufffd …"  # 0x81 means nothing in Windows-1252
    assert [(i.line, i.level) for i in result.issues] == [(1, Level.WARNING), (4, Level.WARNING)]
    assert parse_seed(page.decode("cp1252", errors="replace"), "x.txt").records == result.records


def test_a_character_cut_at_the_end_of_a_repaired_page_is_dropped_silently() -> None:
    page = b"Title\x92s\nPublishing date: 1 May 2020\nSummary \xe2\x80"
    result = parse_seed(page, "x.txt")
    assert result.records[0].summary == "Summary"
    assert [i.line for i in result.issues] == [1]


def test_a_page_with_too_many_bytes_that_are_not_utf8_is_binary() -> None:
    page = b"Title\nPublishing date: 1 May 2020\n"
    # One bad byte in ten is still text; one more makes it binary.
    bad = len(page) // 9 + 1
    text = page + b"\xff" * bad + b"a" * (9 * bad - len(page))
    assert len(text) == 10 * text.count(b"\xff")
    assert parse_seed(text, "x.txt").records
    binary = text + b"\xff"
    (issue,) = parse_seed(binary, "x.txt").issues
    assert (issue.line, issue.level) == (1, Level.ERROR)


def test_warnings_about_bytes_that_are_not_utf8_are_bounded() -> None:
    items = [b"Caf\xe9 talk %d\nPublishing date: 1 May 2020\nSummary." % n for n in range(40)]
    result = parse_seed(b"\n".join(items), "x.txt")
    assert len(result.records) == 40
    warnings = [i for i in result.issues if "not UTF-8" in i.message]
    assert [w.line for w in warnings] == [3 * n + 1 for n in range(21)]
    assert warnings[-1].message.startswith("20 more lines")
