"""Feeds cut to measure: a query over the catalog, its one canonical form, its entries.

A query names groups by their published slugs (`mission=`, `topic=`, `type=`; a
parameter repeated means "any of these", different kinds combine as "all of these"),
words that must appear in an entry's title or summary (`q=`) or must not (`not=`),
and how many of the newest matching entries to give (`limit=`, at most `MAX_LIMIT`,
by default the feed size). Words are plain text, never a pattern: both they and the
entries' texts are folded as identities are (`catalog.normalise_text`: Unicode
form, white space, typographic quotes and dashes, case) and, further, lose their
diacritics (`Odžak` matches `odzak`); a word matches wherever it appears, also inside
a longer word (`moldova` matches "Moldovan").

Every query has one canonical form: parameters sorted by name, then values sorted;
slugs in lower case, words folded, empty values and duplicates dropped, the default
limit left out. Its address is `feed.FORMAT?CANONICAL`.

A query is answered in one pass over the entries of its smallest chosen kind (or of
the whole catalog), newest first, stopping at the limit: no query costs more than a
linear pass. What a query answers depends only on it and the catalog; rendering goes
through the same `Writer` and page parts as the published feeds, so entry ids and
entry bytes are theirs. No I/O.
"""

from __future__ import annotations

import bisect
import heapq
import re
import unicodedata
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from html import escape
from itertools import islice
from operator import attrgetter
from urllib.parse import parse_qsl, quote

from feeds.catalog import NAMESPACE, normalise_text
from feeds.config import Config
from feeds.layout import ALL_NAME, Document, FeedSpec, address
from feeds.model import Catalog, Entry, Group, Issue, Kind, Level
from feeds.site import FORMAT_LABELS, MAX_LIMIT, feed_page_row, page
from feeds.writer import Writer

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
        return f"urn:uuid:{uuid.uuid5(NAMESPACE, 'feed query ' + self.query.canonical())}"


class Searcher:
    """Answers queries over one catalog. Keeps each entry's folded text, and hands
    those on to the searcher of the next catalog (`previous`), so that a new catalog
    folds only its new or changed entries."""

    def __init__(self, catalog: Catalog, previous: Searcher | None = None) -> None:
        self.catalog = catalog
        self.slugs: dict[Kind, dict[str, Group]] = {kind: {} for kind in Kind}
        for group in catalog.groups:
            self.slugs[group.kind][group.slug] = group
        # entry id -> (the entry, its folded title and summary); checked by identity
        # or equality, so a changed entry is folded again. Bounded by the catalog:
        # pruned when it holds twice as many entries as the catalog.
        self.texts: dict[str, tuple[Entry, str]] = previous.texts if previous else {}
        if len(self.texts) > 2 * len(catalog.entries) + 1024:
            ids = {entry.id for entry in catalog.entries}
            self.texts = {key: value for key, value in self.texts.items() if key in ids}
        # The folded texts of `catalog.entries` joined, in their order, and where each
        # starts, once a search over every entry asked for them (`search`); kept while
        # the catalog's tuple of entries is the same.
        self.joined: str | None = None
        self.starts: list[int] = []
        if previous is not None and previous.catalog.entries is catalog.entries:
            self.joined, self.starts = previous.joined, previous.starts

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

    def text(self, entry: Entry) -> str:
        known = self.texts.get(entry.id)
        if known is None or (known[0] is not entry and known[0] != entry):
            known = self.texts[entry.id] = (entry, f"{fold(entry.title)}\n{fold(entry.summary)}")
        return known[1]

    def select(self, selection: Selection, limit: int) -> tuple[Entry, ...]:
        """The newest `limit` entries that match, newest first."""
        return tuple(islice(self.matches(selection), limit))

    def matches(self, selection: Selection) -> Iterator[Entry]:
        """Every entry that matches, newest first, lazily: one pass over the entries
        of the chosen kind with the fewest (or over all), the others checked by name."""
        query = selection.query
        if selection.groups:
            driving = min(
                selection.groups, key=lambda chosen: sum(len(g.entries) for g in chosen[1])
            )
            candidates = union(driving[1])
            others = [
                (kind, frozenset(group.name for group in groups))
                for kind, groups in selection.groups
                if kind is not driving[0]
            ]
        else:
            candidates, others = iter(self.catalog.entries), []
        words, without, text = query.words, query.without, self.text
        if not (words or without):
            for entry in candidates:
                if all(not names.isdisjoint(entry.names(k)) for k, names in others):
                    yield entry
            return
        if not selection.groups and words:
            yield from self.search(words, without)
            return
        first = words[0] if words else ""  # most entries fail on it: tested alone first
        for entry in candidates:
            folded = text(entry)
            if first not in folded:
                continue
            if others and not all(not names.isdisjoint(entry.names(k)) for k, names in others):
                continue
            if all(word in folded for word in words) and not any(
                word in folded for word in without
            ):
                yield entry

    def search(self, words: tuple[str, ...], without: tuple[str, ...]) -> Iterator[Entry]:
        """The entries of the whole catalog, newest first, whose text holds every one
        of `words` and none of `without`: the first word is looked for in the texts of
        every entry joined into one string (the search runs in C: 30,000 entries in
        about 3 ms, against 24 ms for a test entry by entry; benchmarks/query.py), each
        place found checked in full."""
        if self.joined is None:
            texts = [self.text(entry) for entry in self.catalog.entries]
            starts, at = [], 0
            for folded in texts:
                starts.append(at)
                at += len(folded) + 1
            self.joined, self.starts = "\0".join(texts), starts
        joined, starts, entries = self.joined, self.starts, self.catalog.entries
        first, at = words[0], 0
        while True:
            found = joined.find(first, at)
            if found < 0:
                return
            n = bisect.bisect_right(starts, found) - 1
            end = starts[n + 1] - 1 if n + 1 < len(starts) else len(joined)
            folded = joined[starts[n] : end]
            if all(word in folded for word in words) and not any(
                word in folded for word in without
            ):
                yield entries[n]
            at = end + 1


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


# --- rendering ------------------------------------------------------------------------


def query_spec(
    selection: Selection, entries: tuple[Entry, ...], *, path: str = FEED_PATH, query: bool = True
) -> FeedSpec:
    """The feed of a query: at `feed.FORMAT?CANONICAL` (`query`), or, for a static
    copy, at `path.FORMAT`."""
    return FeedSpec(
        path,
        None,
        selection.title(),
        selection.feed_id(),
        selection.title(),
        selection.subtitle(len(entries)),
        entries,
        selection.query.canonical() if query else "",
    )


def render_query(spec: FeedSpec, fmt: str, writer: Writer) -> bytes:
    """One format of a query's feed: Atom, RSS or JSON Feed by `writer`, as the
    published feeds are, or its HTML page. One document, no archive pages: the
    limit bounds it."""
    doc = Document(spec, "", spec.entries, "", "")
    if fmt == "html":
        return query_page(doc, writer.config.base_url)
    return writer.document(doc, fmt)


def query_page(doc: Document, base_url: str) -> bytes:
    """A query's items as a page, with the addresses to subscribe to."""
    spec = doc.feed
    path = address(spec, "html")
    root = "../" * spec.path.count("/")
    rows = "".join(feed_page_row(entry, root) for entry in doc.entries)
    links = " ".join(
        f'<a href="{escape(root + address(spec, fmt))}" type="{media}">{label}</a>'
        for fmt, label, media in FORMAT_LABELS
    )
    addresses = "".join(
        f"<dt>{label}</dt><dd><code>{escape(base_url + address(spec, fmt))}</code></dd>\n"
        for fmt, label, _ in FORMAT_LABELS
    )
    head = "".join(
        f'<link rel="alternate" type="{media}" title="{escape(spec.title)} ({label})"'
        f' href="{escape(root + address(spec, fmt))}">\n'
        for fmt, label, media in FORMAT_LABELS
    )
    empty = "" if rows else "<li>No item matches this feed yet.</li>\n"
    body = (
        f"<h1>{escape(spec.title)}</h1>\n<p>{escape(spec.subtitle)}</p>\n"
        f'<p class="sub">Subscribe: {links}</p>\n'
        '<p class="meta">Feed addresses for your reader:</p>\n'
        f'<dl class="meta">\n{addresses}</dl>\n'
        f"<h2>Latest items</h2>\n<ul>\n{rows}{empty}</ul>\n"
        f'<p class="meta"><a href="{root}index.html#compose">Compose another feed</a></p>\n'
    )
    return page(path.partition("?")[0], spec.title, body, head)


def error_page(error: QueryError) -> bytes:
    """A small page that says what is wrong with a query."""
    what = "Unknown name" if error.status == 404 else "Bad query"
    body = (
        f"<h1>{what}</h1>\n<p>{escape(error.message)}</p>\n"
        '<p>See the <a href="index.html#compose">form on the index page</a> for the '
        "missions, topics and types there are.</p>\n"
    )
    return page("feed.html", what, body)


def named_specs(
    catalog: Catalog, config: Config, searcher: Searcher | None = None
) -> tuple[list[FeedSpec], list[Issue]]:
    """The static copies of the named queries (`Config.named_queries`, from
    `feeds.toml`), at `queries/NAME.FORMAT`; a query that is malformed or names an
    unknown slug is not published, with a warning naming it."""
    searcher = searcher or Searcher(catalog)
    specs, problems = [], []
    for name, query_string in config.named_queries:
        try:
            # (A query string, or an address that ends with one.)
            query = query_from_string(query_string.rpartition("?")[2], config.feed_size)
            selection = searcher.resolve(query)
        except QueryError as error:
            message = f"named feed {name!r}: {error.message}; not published"
            problems.append(Issue(str(config.queries), 1, Level.WARNING, message))
            continue
        entries = searcher.select(selection, query.limit or config.feed_size)
        path = f"{QUERIES}/{name}"
        specs.append(query_spec(selection, entries, path=path, query=False))
    return specs, problems


def named_files(specs: Iterable[FeedSpec], writer: Writer) -> dict[str, bytes]:
    """Every file of the static copies of named queries."""
    return {
        address(spec, fmt): render_query(spec, fmt, writer) for spec in specs for fmt in FORMATS
    }
