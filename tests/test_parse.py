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
from feeds.model import MONTH_NAMES, Entry, Kind, Level
from feeds.parse import (
    MAX_NAME_CHARS,
    MAX_NAMES_PER_ITEM,
    MAX_NAMES_PER_PAGE,
    MAX_SEED_BYTES,
    MAX_SUMMARY_CHARS,
    MAX_TITLE_CHARS,
    is_plain_utf8,
    lines_from_text,
    parse_date,
    parse_seed,
)

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


# --- bounds ---


def _day(n: int) -> str:
    return f"{n % 28 + 1} {MONTH_NAMES[n // 28 % 12]} {2000 + n // 336}"


LONG_MISSION = "OSCE Mission " + "to a place with a very long name " * 12  # 409 characters


def hostile_seed() -> bytes:
    """Just under MAX_SEED_BYTES of what multiplies output: a 150,000-letter title, a
    100,000-letter summary, 2,000 topics on one item, a 1,000-word content type, a
    mission name of 400 characters on every item, and thousands of distinct topics,
    missions and content types spread over thousands of items."""
    text = (
        "Ü" * 150_000 + " title\n"
        "Publishing date: 1 May 2020\n"
        "Content type: " + "Report " * 1000 + "\n"
        f"Where we are: {LONG_MISSION}\n"
        "What we do: " + ", ".join(f"Topic {n}" for n in range(2000)) + "\n" + "x" * 100_000 + "\n"
    )
    parts, size, n = [text], len(text.encode()), 0
    while True:
        item = (
            f"Item {n}\nPublishing date: {_day(n)}\nContent type: Type {n}\n"
            f"Where we are: {LONG_MISSION}, Mission {n}a, Mission {n}b\n"
            f"What we do: Topic {n}x, Topic {n}y, Topic {n}z\nSummary of item {n}.\n"
        )
        if size + len(item.encode()) > MAX_SEED_BYTES:
            return "".join(parts).encode()
        parts.append(item)
        size += len(item.encode())
        n += 1


def test_a_hostile_seed_just_under_the_size_bound_publishes_a_few_mb(tmp_path: Path) -> None:
    seed = hostile_seed()
    assert MAX_SEED_BYTES - 1000 < len(seed) <= MAX_SEED_BYTES
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "hostile.txt").write_bytes(seed)
    public = tmp_path / "public"

    result = build(Config(seeds=seeds, public=public, base_url=BASE_URL))

    published = [p for p in public.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in published) < 8_000_000
    assert len(published) < 2000
    warnings = " / ".join(i.message for i in result.issues if i.level is Level.WARNING)
    for found in (
        "title of 150,006 characters cut",
        "summary of 100,000 characters cut",
        "names longer than 200 characters cut",
        "2,000 names for 'What we do': kept the first 50",
        "more than 100 names for 'What we do' on the page",
        "the page would publish too much",
    ):
        assert found in warnings
    assert result.catalog is not None
    first = next(e for e in result.catalog.entries if e.date == dt.date(2020, 5, 1))
    assert first.title == "Ü" * MAX_TITLE_CHARS
    assert len(first.summary) == MAX_SUMMARY_CHARS
    assert len(first.topics) == MAX_NAMES_PER_ITEM
    # The long name is cut the same way on every item: one group, one feed.
    cut = LONG_MISSION[:MAX_NAME_CHARS].rstrip()
    assert not cut.endswith(" ")
    missions = [g for g in result.catalog.groups if g.kind is Kind.MISSION]
    assert [g.name for g in missions if g.name.startswith("OSCE Mission")] == [cut]
    assert len(next(g for g in missions if g.name == cut).entries) > 10
    assert len(missions) <= MAX_NAMES_PER_PAGE
    assert len(result.catalog.entries) > 10


def test_a_seed_larger_than_the_bound_is_refused() -> None:
    page = b"Title\nPublishing date: 1 May 2020\nSummary.\n"
    at_bound = page + b"x" * (MAX_SEED_BYTES - len(page))
    assert len(parse_seed(at_bound, "x.txt").records) == 1
    for data in (at_bound + b"x", (at_bound + b"x").decode(), "é" * (MAX_SEED_BYTES // 2 + 1)):
        result = parse_seed(data, "x.txt")
        assert result.records == ()
        (issue,) = result.issues
        assert (issue.line, issue.level) == (1, Level.ERROR)
        assert "larger than 1,048,576 bytes" in issue.message


def test_long_text_is_cut_on_a_character_boundary_without_trailing_space() -> None:
    title = "Ministerial Council " * 50 + "é" * 2000  # a space at the bound
    summary = "’" * 6000
    page = f"{title}\nPublishing date: 1 May 2020\nWhat we do: Policing\n{summary}"
    result = parse_seed(page, "x.txt")
    (record,) = result.records
    assert record.title == ("Ministerial Council " * 50)[:-1]
    assert record.summary == "’" * MAX_SUMMARY_CHARS
    assert [(i.line, i.level) for i in result.issues] == [(4, Level.WARNING), (1, Level.WARNING)]
    assert parse_seed(page.encode(), "x.txt") == result
    # The same title on another page is the same item.
    again = parse_seed(f"{title}\nPublishing date: 1 May 2020\nWhat we do: Media\nS.", "y.txt")
    (entry,) = merge_items([*result.records, *again.records]).entries
    assert entry.topics == ("Media", "Policing")


def test_names_are_bounded_per_item_and_per_page() -> None:
    many = ", ".join(f"Topic {n}" for n in range(2000))
    long_name = "Office " + "of a very long name " * 20  # 407 characters
    page = (
        f"A\nPublishing date: 2 May 2020\nWhere we are: {long_name}\nWhat we do: {many}\nS.\n"
        + "".join(
            f"B{n}\nPublishing date: 1 May 2020\nWhat we do: New {n}, Topic 1\n"
            f"Where we are: {long_name}\nS.\n"
            for n in range(60)
        )
    )
    result = parse_seed(page, "x.txt")
    first, *others = result.records
    assert first.topics == tuple(f"Topic {n}" for n in range(MAX_NAMES_PER_ITEM))
    assert first.missions == (long_name[:MAX_NAME_CHARS].rstrip(),)
    assert {record.missions for record in others} == {first.missions}
    # 50 topics from the first item, 50 new ones from the next 50 items; then no more.
    assert [len(r.topics) for r in others] == [2] * 50 + [1] * 10
    assert len({t for r in result.records for t in r.topics}) == MAX_NAMES_PER_PAGE
    messages = [i.message for i in result.issues]
    assert sum(m.startswith("names longer") for m in messages) == 1  # once per page
    lines = {(i.line, i.message.split(" ")[0]) for i in result.issues}
    assert (3, "names") in lines  # "names longer than ..., cut"
    assert (4, "2,000") in lines  # "2,000 names for 'What we do' ..."
    assert (6 + 5 * 50, "more") in lines  # the 51st item: "more than 100 names ..."
    assert sum(m.startswith("more than") for m in messages) == 1  # once per kind


def test_a_page_that_would_publish_too_much_keeps_its_first_items() -> None:
    topics = ", ".join(f"Topic {n}" for n in range(20))
    item = "Title {n}\nPublishing date: 1 May 2020\nWhat we do: " + topics + "\n" + "S" * 900 + "\n"
    page = "".join(item.format(n=n) for n in range(100))
    result = parse_seed(page, "x.txt")
    assert 0 < len(result.records) < 100
    assert [r.title for r in result.records] == [f"Title {n}" for n in range(len(result.records))]
    (issue,) = result.issues
    assert issue.level is Level.WARNING
    assert issue.line == 4 * len(result.records) + 1
    assert issue.message.endswith(f"this item and the {99 - len(result.records)} after it dropped")


def test_problems_per_page_are_bounded_and_keep_the_worst_level() -> None:
    page = "A\nPublishing date: 1 May 2020\nS.\n" + "stray line\n" * 200
    page += "B\nPublishing date: 31 May 20200\nS.\nC\nPublishing date: 2 May 2020\nS."
    issues = parse_seed(page, "x.txt").issues
    assert len(issues) == 101
    assert issues[-1].level is Level.ERROR  # the bad date among those not shown
    assert issues[-1].message == "101 more problems from here on"
