"""A page's bytes to clean lines: the plain-text fast path, and bytes that are not
UTF-8."""

from __future__ import annotations

import itertools
import unicodedata

import pytest

from feeds.model import Level
from feeds.parse import is_plain_utf8, lines_from_text, parse_seed

from .conftest import SAMPLE_SEEDS

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
