"""Feeds cut to measure: a query over the catalog, its one canonical form, its entries.

A query names groups by their published slugs (`mission=`, `topic=`, `type=`; a
parameter repeated means "any of these", different kinds combine as "all of these"),
words that must appear in an entry's title or summary (`q=`) or must not (`not=`),
and how many of the newest matching entries to give (`limit=`, at most `MAX_LIMIT`,
by default the feed size). Words are plain text, never a pattern: both they and the
entries' texts are folded as identities are (`catalog.identity.normalise_text`: Unicode
form, white space, typographic quotes and dashes, case) and, further, lose their
diacritics (`Odžak` matches `odzak`); a word matches wherever it appears, also inside
a longer word (`moldova` matches "Moldovan").

Every query has one canonical form: parameters sorted by name, then values sorted;
slugs in lower case, words folded, empty values and duplicates dropped, the default
limit left out. Its address is `feed.FORMAT?CANONICAL`.

A query is answered in one pass over the entries of its smallest chosen kind (or of
the whole catalog), newest first, stopping at the limit: no query costs more than a
linear pass. What a query answers depends only on it and the catalog; its feed is
rendered by `feeds.queryrender`. No I/O.
"""

from __future__ import annotations

import bisect
import heapq
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, islice
from operator import attrgetter
from urllib.parse import parse_qsl, quote

from feeds.catalog.identity import normalise_text, query_feed_id
from feeds.layout import ALL_NAME
from feeds.model import Catalog, Entry, Group, Kind
from feeds.site import MAX_LIMIT

# The parameters, in canonical order (sorted by name).
KINDS = {"mission": Kind.MISSION, "topic": Kind.TOPIC, "type": Kind.TYPE}
PARAMETER_OF = {kind: name for name, kind in KINDS.items()}
PARAMETERS = ("limit", "mission", "not", "q", "topic", "type")
# Bounds: what one query may ask, so that none costs more than one pass over the
# catalog and a few hundred entries rendered.
# MAX_LIMIT (from `feeds.site`, whose form offers it): entries in one answer, 500.
MAX_VALUES = 20  # slugs of one kind, words of `q`, words of `not`
MAX_WORD = 100  # characters of one word
MAX_QUERY = 4096  # characters of a whole query string
FEED_PATH = "feed"  # the query feeds' address: feed.atom?..., feed.html?...
QUERIES = "queries"  # the folder of the named queries' static copies
FORMATS = ("atom", "rss", "json", "html")

# Combining marks (the diacritics NFKD splits off letters) and letters with a stroke,
# which carry no separate mark: folded to their base letter.
MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
STROKES = str.maketrans({"ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ı": "i", "ŧ": "t", "ƶ": "z"})
# A word: letters and digits, with single inner apostrophes, dots or hyphens
# (`osce's`, `1.5`, `co-operation`); anything else separates words.
WORD = re.compile(r"\w+(?:['.\-]\w+)*")
by_order = attrgetter("order")


class QueryError(ValueError):
    """A query that cannot be answered: 400 (malformed) or 404 (names nothing), with
    the parameter at fault and a message that names it."""

    def __init__(self, status: int, parameter: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.parameter = parameter
        self.message = message


def fold(text: str) -> str:
    """The form in which a word and an entry's text are compared: the identity
    rule's (`normalise_text`), without diacritics. Cheap for ASCII text."""
    text = normalise_text(text)
    if text.isascii():
        return text
    text = MARKS.sub("", unicodedata.normalize("NFKD", text))
    if not text.isascii():
        text = unicodedata.normalize("NFC", text.translate(STROKES))
    return text


def words_of(text: str) -> list[str]:
    """The folded words of a `q=` or `not=` value."""
    return WORD.findall(fold(text))


@dataclass(frozen=True, slots=True)
class Query:
    """A query in canonical form: every tuple sorted and without duplicates."""

    missions: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    words: tuple[str, ...] = ()  # `q`: each must appear
    without: tuple[str, ...] = ()  # `not`: none may appear
    limit: int | None = None  # None: the feed size

    def slugs(self, kind: Kind) -> tuple[str, ...]:
        if kind is Kind.MISSION:
            return self.missions
        if kind is Kind.TOPIC:
            return self.topics
        return self.types

    def pairs(self) -> list[tuple[str, str]]:
        """The parameters in canonical order."""
        found = [("limit", str(self.limit))] if self.limit is not None else []
        found += [("mission", slug) for slug in self.missions]
        found += [("not", word) for word in self.without]
        found += [("q", word) for word in self.words]
        found += [("topic", slug) for slug in self.topics]
        found += [("type", slug) for slug in self.types]
        return found

    def canonical(self) -> str:
        """The one query string of this query (no `?`): every character but the
        unreserved ones percent-encoded, as UTF-8."""
        return "&".join(f"{name}={quote(value, safe='-._~')}" for name, value in self.pairs())


def pairs_from_string(query_string: str) -> list[tuple[str, str]]:
    """The parameters of a raw query string, in order (`+` is a space)."""
    if len(query_string) > MAX_QUERY:
        raise QueryError(400, "", f"the query is longer than {MAX_QUERY} characters")
    try:
        return parse_qsl(
            query_string,
            keep_blank_values=True,
            errors="replace",
            max_num_fields=6 * MAX_VALUES + 1,
        )
    except ValueError as error:
        raise QueryError(400, "", f"too many parameters ({error})") from error


def parse_query(pairs: Iterable[tuple[str, str]], default_limit: int) -> Query:
    """A query from its parameters, normalised; `QueryError` (400) for an unknown
    parameter, a limit that is not a whole number from 1 on, or too many values.
    Empty values are left out (a form's fields left blank); a limit above
    `MAX_LIMIT` becomes `MAX_LIMIT`, the default limit none."""
    slugs: dict[str, set[str]] = {name: set() for name in KINDS}
    words: dict[str, set[str]] = {"q": set(), "not": set()}
    limits: set[int] = set()
    for name, value in pairs:
        if name not in PARAMETERS:
            known = ", ".join(f"{p}=" for p in PARAMETERS)
            raise QueryError(400, name, f"unknown parameter {name!r}: a query takes {known}")
        value = value.strip()
        if not value:
            continue
        if name == "limit":
            if not value.isascii() or not value.isdigit() or int(value) < 1:
                raise QueryError(
                    400, name, f"limit: {value!r} is not a whole number from 1 to {MAX_LIMIT}"
                )
            limits.add(min(int(value), MAX_LIMIT))
        elif name in slugs:
            slugs[name].add(value.lower())
        else:
            for word in words_of(value):
                if len(word) > MAX_WORD:
                    raise QueryError(400, name, f"{name}: a word longer than {MAX_WORD} characters")
                words[name].add(word)
    if len(limits) > 1:
        raise QueryError(400, "limit", "limit: given more than once, with different values")
    for name, values in (*slugs.items(), *words.items()):
        if len(values) > MAX_VALUES:
            raise QueryError(400, name, f"{name}: more than {MAX_VALUES} values")
    limit = limits.pop() if limits else None
    return Query(
        missions=tuple(sorted(slugs["mission"])),
        topics=tuple(sorted(slugs["topic"])),
        types=tuple(sorted(slugs["type"])),
        words=tuple(sorted(words["q"])),
        without=tuple(sorted(words["not"])),
        limit=None if limit == default_limit else limit,
    )


def query_from_string(query_string: str, default_limit: int) -> Query:
    return parse_query(pairs_from_string(query_string), default_limit)


@dataclass(frozen=True, slots=True)
class Selection:
    """A query resolved against a catalog: the groups it chose, by kind, in the
    order of `Kind` (topics, missions, types), each kind's in the query's order."""

    query: Query
    groups: tuple[tuple[Kind, tuple[Group, ...]], ...]

    def title(self) -> str:
        """What the feed holds, e.g. `Elections – OSCE Special Monitoring Mission to
        Ukraine, mentioning “kyiv”, not mentioning “daily”`."""
        parts = [" or ".join(group.name for group in groups) for _, groups in self.groups]
        title = " – ".join(parts) or ALL_NAME
        if self.query.words:
            title += ", mentioning " + " and ".join(f"“{w}”" for w in self.query.words)
        if self.query.without:
            title += ", not mentioning " + " or ".join(f"“{w}”" for w in self.query.without)
        return title

    def subtitle(self, limit: int) -> str:
        parts = [
            f"{kind.noun} {' or '.join(group.name for group in groups)}"
            for kind, groups in self.groups
        ]
        if self.query.words:
            parts.append("mentioning " + " and ".join(self.query.words))
        if self.query.without:
            parts.append("not mentioning " + " or ".join(self.query.without))
        what = "; ".join(parts) or "everything"
        return f"OSCE news and press releases cut to measure: {what}; the newest {limit}."

    def feed_id(self) -> str:
        """The feed's id: from its canonical query alone."""
        return query_feed_id(self.query.canonical())


class Searcher:
    """Answers queries over one catalog. Keeps each entry's folded text, starting from
    those of the searcher of the previous catalog (`previous`), so that a new catalog
    folds only its new or changed entries.

    Texts are kept as UTF-8 bytes ending in NUL: a folded text may keep a character
    beyond Latin-1 (a Cyrillic name), and one such character would make a `str` of
    every text joined two or four times as wide, and its search as much slower; in
    UTF-8 a word's bytes match only where the word does.

    The daemon warms (`warm`) each new searcher before the server sees it: from then
    on answering a query changes nothing in it, so the next one can be made from it
    while requests read it."""

    def __init__(self, catalog: Catalog, previous: Searcher | None = None) -> None:
        self.catalog = catalog
        self.slugs: dict[Kind, dict[str, Group]] = {kind: {} for kind in Kind}
        for group in catalog.groups:
            self.slugs[group.kind][group.slug] = group
        # entry id -> (the entry, its folded title and summary); checked by identity
        # or equality, so a changed entry is folded again. A copy of the previous
        # searcher's (1 ms for 30,000 entries), never shared: each has one owner.
        # Bounded by the catalog: pruned when it holds twice as many entries.
        texts: dict[str, tuple[Entry, bytes]] = previous.texts if previous else {}
        self.texts: dict[str, tuple[Entry, bytes]]
        if len(texts) > 2 * len(catalog.entries) + 1024:
            ids = {entry.id for entry in catalog.entries}
            self.texts = {key: value for key, value in texts.items() if key in ids}
        else:
            self.texts = dict(texts)
        # The texts of `catalog.entries` in their order (`lined`), all of them joined
        # (`joined`), and where each starts in it, then where the last ends
        # (`starts`): made once a query over every entry asks for them, or by `warm`;
        # kept while the catalog's tuple of entries is the same.
        self.lined: list[bytes] | None = None
        self.joined = b""
        self.starts: list[int] = []
        if previous is not None and previous.catalog.entries is catalog.entries:
            self.lined, self.joined, self.starts = previous.lined, previous.joined, previous.starts

    def warm(self) -> Searcher:
        """Fold and join now what a query over every entry needs (20 to 60 ms for
        30,000 entries after a change, far over the 8 ms of the search itself), so that
        no request pays for it; returns the searcher."""
        self.line_up()
        return self

    def line_up(self) -> list[bytes]:
        if self.lined is None:
            lined = [self.text(entry) for entry in self.catalog.entries]
            self.starts = list(accumulate(map(len, lined), initial=0))
            self.joined = b"".join(lined)
            self.lined = lined
        return self.lined

    def resolve(self, query: Query) -> Selection:
        """The groups a query names; `QueryError` (404) naming an unknown slug."""
        chosen = []
        for kind in Kind:
            wanted = query.slugs(kind)
            if not wanted:
                continue
            groups = []
            for slug in wanted:
                group = self.slugs[kind].get(slug)
                if group is None:
                    parameter = PARAMETER_OF[kind]
                    raise QueryError(
                        404, parameter, f"{parameter}: no {kind.noun} has the slug {slug!r}"
                    )
                groups.append(group)
            chosen.append((kind, tuple(groups)))
        return Selection(query, tuple(chosen))

    def text(self, entry: Entry) -> bytes:
        known = self.texts.get(entry.id)
        if known is None or (known[0] is not entry and known[0] != entry):
            folded = f"{fold(entry.title)}\n{fold(entry.summary)}\0".encode()
            known = self.texts[entry.id] = (entry, folded)
        return known[1]

    def select(self, selection: Selection, limit: int) -> tuple[Entry, ...]:
        """The newest `limit` entries that match, newest first."""
        return tuple(islice(self.matches(selection), limit))

    def matches(self, selection: Selection) -> Iterator[Entry]:
        """Every entry that matches, newest first, lazily: one pass over the entries
        of the chosen kind with the fewest (or over all), the others checked by name."""
        query = selection.query
        words = tuple(word.encode() for word in query.words)
        without = tuple(word.encode() for word in query.without)
        if not selection.groups:
            if words:
                yield from self.search(words, without)
            elif without:
                lined = self.line_up()
                for entry, folded in zip(self.catalog.entries, lined, strict=True):
                    if not any(word in folded for word in without):
                        yield entry
            else:
                yield from self.catalog.entries
            return
        driving = min(selection.groups, key=lambda chosen: sum(len(g.entries) for g in chosen[1]))
        others = [
            (kind, frozenset(group.name for group in groups))
            for kind, groups in selection.groups
            if kind is not driving[0]
        ]
        first, text = words[0] if words else b"", self.text  # most entries fail on `first`
        for entry in union(driving[1]):
            if others and not all(not names.isdisjoint(entry.names(k)) for k, names in others):
                continue
            if not (words or without):
                yield entry
                continue
            folded = text(entry)
            if first not in folded:
                continue
            if all(word in folded for word in words) and not any(
                word in folded for word in without
            ):
                yield entry

    def search(self, words: tuple[bytes, ...], without: tuple[bytes, ...]) -> Iterator[Entry]:
        """The entries of the whole catalog, newest first, whose text holds every one
        of `words` and none of `without`: the first word is looked for in the texts of
        every entry joined into one string (the search runs in C: 30,000 entries in
        about 8 ms, against 24 ms for a test entry by entry; benchmarks/query.py), each
        place found checked in full."""
        self.line_up()
        joined, starts, entries = self.joined, self.starts, self.catalog.entries
        first, at = words[0], 0
        while True:
            found = joined.find(first, at)
            if found < 0:
                return
            n = bisect.bisect_right(starts, found) - 1
            at = starts[n + 1]
            folded = joined[starts[n] : at]
            if all(word in folded for word in words) and not any(
                word in folded for word in without
            ):
                yield entries[n]


def union(groups: Sequence[Group]) -> Iterator[Entry]:
    """The entries of several groups of one kind, newest first, each once (an entry
    in two of them comes out of the merge twice in a row: order keys are distinct)."""
    if len(groups) == 1:
        yield from groups[0].entries
        return
    last = 1  # order keys are negative
    for entry in heapq.merge(*(group.entries for group in groups), key=by_order):
        if entry.order != last:
            yield entry
        last = entry.order
