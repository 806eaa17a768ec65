"""A seed file's bytes to clean lines: decoding (with bytes that are not UTF-8 read
as Windows-1252 and reported as `Repair`s), the plain-text fast path, line ends,
Unicode spaces and characters XML cannot carry.

Does not look at what the lines say, and reports nothing itself: `feeds.parse.seed`
turns repairs into issues.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

# Characters XML 1.0 cannot carry (C0 controls, lone surrogates, non-characters):
# they cannot be published, so they are dropped on reading.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# Plain text, in UTF-8: printable ASCII, line ends, U+0080-U+02FF (Latin letters with
# their diacritics, Latin-1 signs) and U+2000-U+20BF (typographic punctuation, currency
# signs), but none of the spaces among them (NEL, NBSP, U+2000-U+200A, U+2028, U+2029,
# U+202F, U+205F). Such text is in NFC, in any order (none of these characters combines
# with another), and cleaning changes nothing in it but runs of spaces; the tests check
# both for every character. Its bytes: those below, where C2-CB lead the two-byte
# characters and E2 the three-byte ones; then the sequences to rule out.
PLAIN_BYTES = bytes([0x0A, 0x0D, *range(0x20, 0x7F), *range(0x80, 0xC0), *range(0xC2, 0xCC), 0xE2])
NOT_PLAIN_AFTER_C2 = re.compile(rb"\xc2[\x85\xa0]")
NOT_PLAIN_AFTER_E2 = re.compile(rb"\xe2(?:[^\x80-\x82]|\x80[\x80-\x8a\xa8\xa9\xaf]|\x81\x9f)")


# Bytes that are not UTF-8 are read as Windows-1252, the usual other encoding of such
# text (a page saved on Windows: `\x92` is ’), rather than as U+FFFD, which loses the
# letter; each line with such bytes gets a warning. A file with NUL bytes, or in which
# more than one byte in MAX_BAD_BYTES_SHARE is not UTF-8, is binary, or text in another
# encoding, and is refused: a page saved as Windows-1252 has a few per cent of such
# bytes (accented letters, typographic quotes), a compressed or image file about half.
MAX_BAD_BYTES_SHARE = 10
# Warnings about such lines per page, at most; then one says how many more there are.
MAX_REPAIR_WARNINGS = 20
# A run of bad bytes, as `surrogateescape` decoding leaves them.
ESCAPED_BYTES = re.compile("[\udc80-\udcff]+")


@dataclass(frozen=True, slots=True)
class Repair:
    """Bytes of one line that were not UTF-8, and the text read in their place."""

    line: int  # 0-based index, as in `lines_from_text`
    data: bytes
    text: str


def text_from_bytes(data: bytes) -> tuple[str | None, tuple[Repair, ...]]:
    """The text of a seed file and the repairs made to it; None when it is binary.

    A byte-order mark is dropped, and so is a character cut in half at the very end,
    as a scrape or a copy stops anywhere. Clean UTF-8 (nearly every page) is decoded
    in one call; only a page on which that fails is looked at byte by byte
    (`_repaired_text`)."""
    if b"\x00" in data:
        return None, ()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.reason != "unexpected end of data":  # bytes that are not UTF-8
            return _repaired_text(data)
        # The first error is a character cut at the very end: all before it is UTF-8.
        text = data[: error.start].decode("utf-8", errors="strict")
    return text.removeprefix("\ufeff"), ()


def _repaired_text(data: bytes) -> tuple[str | None, tuple[Repair, ...]]:
    """The text of a page with bytes that are not UTF-8, each read as Windows-1252 (a
    byte it leaves undefined becomes U+FFFD), or None when there are too many of them
    for a text (`MAX_BAD_BYTES_SHARE`)."""
    # surrogateescape keeps each bad byte as one lone surrogate, U+DC80-U+DCFF; an
    # incremental decode not told that the data is final keeps a character cut in
    # half at the very end to itself, so it is dropped as on the fast path.
    text = codecs.getincrementaldecoder("utf-8")("surrogateescape").decode(data)
    runs = ESCAPED_BYTES.findall(text)
    if sum(map(len, runs)) * MAX_BAD_BYTES_SHARE > len(data):
        return None, ()
    pieces: list[str] = []
    repairs: list[Repair] = []
    line = position = 0
    for match in ESCAPED_BYTES.finditer(text):
        start = match.start()
        # Line ends as `lines_from_text` counts them: CRLF, CR or LF. A segment ends at
        # a bad byte, never between the CR and LF of one line end.
        line += (
            text.count("\n", position, start)
            + text.count("\r", position, start)
            - text.count("\r\n", position, start)
        )
        raw = match.group().encode("utf-8", "surrogateescape")
        read = raw.decode("cp1252", errors="replace")
        pieces += (text[position:start], read)
        repairs.append(Repair(line, raw, read))
        position = match.end()
    pieces.append(text[position:])
    return "".join(pieces).removeprefix("\ufeff"), tuple(repairs)


def is_plain_utf8(data: bytes) -> bool:
    """Whether `data`, UTF-8 that `text_from_bytes` reads, is plain text (PLAIN_BYTES)
    as nearly every listing page is: already in NFC, with nothing for cleaning to drop
    or to turn into a space. A look at the bytes costs much less than one at the
    characters."""
    data = data.removeprefix(codecs.BOM_UTF8)
    return (
        not data.translate(None, PLAIN_BYTES)
        and NOT_PLAIN_AFTER_C2.search(data) is None
        and NOT_PLAIN_AFTER_E2.search(data) is None
    )


def lines_from_text(text: str, *, plain: bool = False) -> tuple[list[str], bool]:
    """Clean lines (1-based via index + 1) and whether the last one was terminated.

    Line ends of any kind become one; Unicode spaces become plain spaces, collapsed;
    each line is stripped. Nothing else changes, so line numbers match an editor's.
    `plain` says that the text is known to be plain (`is_plain_utf8`), which spares
    a look at every character.
    """
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    terminated = text.endswith("\n")
    # Whole-text passes (in C) rather than per line: the same result, much faster.
    if not plain and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    lines = text.split("\n")
    if not _are_clean(text, lines, plain=plain):
        # str.split() splits on every Unicode space (NBSP, thin space, tab...): joined
        # back with single spaces, each line comes out collapsed and stripped.
        lines = [" ".join(line.split()) for line in NOT_XML.sub("", text).split("\n")]
    if terminated:
        lines.pop()
    return lines, terminated


def _are_clean(text: str, lines: list[str], *, plain: bool) -> bool:
    """Whether cleaning would leave `lines` (of `text`) as they are: no character XML
    cannot carry, no space but single plain ones between words. True of most pages,
    and much cheaper to check than the cleaning itself."""
    return (
        # Every character XML cannot carry and every space but U+0020 is unprintable.
        (plain or all(map(str.isprintable, lines)))
        and "  " not in text
        # str.strip returns the line itself when there is nothing to strip.
        and list(map(str.strip, lines)) == lines
    )
