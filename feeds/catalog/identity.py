"""Identity: two records are one item when their publishing dates and normalised
titles are equal (`identity_key`), and the ids derived from that alone: an entry's
and a feed's, never from paths, the base URL, order or time.

The folding rule (`normalise_text`: Unicode form, white space, typographic quotes
and dashes, case) is defined here once; groups and queries build on it. No I/O.
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid

from feeds.model import Kind, Record

# Entry and feed ids are name-based UUIDs in this namespace: they depend on the item
# alone, never on paths, the base URL, order or time.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://www.osce.org/newsroom")
# A hash state copied for each key rather than made anew (which looks the algorithm up).
NAMESPACE_SHA1 = hashlib.sha1(NAMESPACE.bytes)


# Typographic marks and their plain spellings. Replaced mark by mark: str.translate
# looks each character of a non-ASCII text up in this table, several times slower.
TYPOGRAPHIC = {
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "′": "'",
    "`": "'",
    "´": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "‟": '"',
    "″": '"',
    "«": '"',
    "»": '"',
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "–": "-",
    "—": "-",
    "―": "-",
    "−": "-",
    "…": "...",
}
# The marks that NFKC leaves as they are (it makes … three dots, for one), and of
# those the ones that ASCII text can hold (the backtick).
NFKC_MARKS = tuple(mark for mark in TYPOGRAPHIC if unicodedata.is_normalized("NFKC", mark))
ASCII_MARKS = tuple(mark for mark in TYPOGRAPHIC if mark.isascii())


def normalise_text(text: str) -> str:
    """The form in which two spellings of one text compare equal: Unicode NFKC,
    straight quotes and dashes, single spaces, case-folded."""
    marks = ASCII_MARKS
    if not text.isascii():  # NFKC leaves ASCII text as it is
        text = unicodedata.normalize("NFKC", text)
        marks = NFKC_MARKS
    for mark in marks:
        if mark in text:
            text = text.replace(mark, TYPOGRAPHIC[mark])
    # The space is the only printable whitespace; str.split() splits at runs of
    # exactly the characters that the regex \s matches.
    if not text.isprintable() or "  " in text or text[:1] == " " or text[-1:] == " ":
        text = " ".join(text.split())
    return text.casefold()


def identity_key(record: Record) -> str:
    return f"{record.date.isoformat()} {normalise_text(record.title)}"


def id_from_key(key: str) -> str:
    """`urn:uuid:` and the name-based (v5) UUID of the key; what `uuid.uuid5` gives,
    without building UUID objects (a cold build makes tens of thousands)."""
    sha1 = NAMESPACE_SHA1.copy()
    sha1.update(key.encode())
    h = sha1.hexdigest()
    # The version (5) is the 13th hex digit; the variant bits (10) top the 17th.
    variant = "89ab"[int(h[16], 16) & 3]
    return f"urn:uuid:{h[:8]}-{h[8:12]}-5{h[13:16]}-{variant}{h[17:20]}-{h[20:32]}"


def feed_id(kind: Kind | None, name: str = "") -> str:
    """The id of the feed of one group, or of all entries when `kind` is None."""
    what = "all" if kind is None else f"{kind.folder} {normalise_text(name)}"
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, 'feed ' + what)}"


def query_feed_id(canonical: str) -> str:
    """The id of a feed cut to measure: from its canonical query alone."""
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, 'feed query ' + canonical)}"
