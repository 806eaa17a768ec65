"""Feeds cut to measure: parsing and canonical form of a query, matching (held to a
naive reference), titles, and the documents rendered for one, checked as the
published feeds are (feedparser, the W3C validator, JSON Feed 1.1)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, quote

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from feeds.catalog import merge_items
from feeds.model import Catalog, Entry, Kind, Record
from feeds.parse import parse_seed
from feeds.query import (
    MAX_LIMIT,
    PARAMETERS,
    Query,
    QueryError,
    Searcher,
    fold,
    parse_query,
    query_from_string,
)
from feeds.queryrender import error_page

from .paths import ALL_PAGES

CORPUS = merge_items(r for p in ALL_PAGES for r in parse_seed(p.read_bytes(), p.name).records)


def record(title: str, day: int, summary: str = "", **fields: object) -> Record:
    values: dict[str, object] = {"content_type": "News", "missions": (), "topics": ()}
    values.update(fields)
    return Record(
        title=title,
        date=dt.date(2024, 3, day),
        summary=summary,
        source="x.txt",
        line=1,
        **values,  # type: ignore[arg-type]
    )


SMALL = merge_items(
    [
        record(
            "Observers deploy for the “local” elections",
            3,
            "KYIV, 3 March 2024 – Monitors met the Central Election Commission.",
            missions=("OSCE Special Monitoring Mission to Ukraine",),
            topics=("Elections",),
        ),
        record(
            "Daily report of the Special Monitoring Mission",
            4,
            "Ceasefire violations near Donetsk.",
            content_type="Report",
            missions=("OSCE Special Monitoring Mission to Ukraine",),
            topics=("Elections", "Conflict prevention and resolution"),
        ),
        record(
            "Police training in Odžak",
            5,
            "Training on co‑operation for police in Bosnia and Herzegovina.",
            missions=("OSCE Mission to Bosnia and Herzegovina",),
            topics=("Policing",),
        ),
        record(
            "Elections in Moldova: statement",
            6,
            "The Moldovan Central Electoral Commission met observers.",
            missions=("OSCE Mission to Moldova",),
            topics=("Elections",),
        ),
    ]
)


def ask(catalog: Catalog, query_string: str, default_limit: int = 50) -> list[str]:
    searcher = Searcher(catalog)
    query = query_from_string(query_string, default_limit)
    return [e.title for e in searcher.select(searcher.resolve(query), query.limit or 50)]


# --- parsing and canonical form -------------------------------------------------------


def test_canonical_form_sorts_folds_and_drops_what_changes_nothing() -> None:
    query = query_from_string(
        "topic=Elections&q=Moldova+ODŽAK&mission=b&mission=a&limit=50&type=&not=Daily&q=moldova",
        50,
    )
    assert query == Query(
        missions=("a", "b"), topics=("elections",), words=("moldova", "odzak"), without=("daily",)
    )
    assert query.canonical() == "mission=a&mission=b&not=daily&q=moldova&q=odzak&topic=elections"
    assert query_from_string("limit=10", 50).canonical() == "limit=10"
    assert query_from_string("limit=99999", 50).limit == MAX_LIMIT
    assert query_from_string("q=%E2%80%9CKyiv%E2%80%9D+co%E2%80%91operation", 50).words == (
        "co-operation",
        "kyiv",
    )
    assert query_from_string("q=КИЇВ", 50).canonical() == "q=" + quote("киів")  # ї is і and a mark


@pytest.mark.parametrize(
    ("query_string", "parameter", "says"),
    [
        ("mision=osce", "mision", "unknown parameter 'mision'"),
        ("limit=ten", "limit", "'ten' is not a whole number"),
        ("limit=0", "limit", "'0' is not a whole number"),
        ("limit=5&limit=6", "limit", "more than once"),
        ("q=" + "+".join(f"w{n}" for n in range(21)), "q", "more than 20 values"),
        ("not=" + "x" * 101, "not", "longer than 100"),
    ],
)
def test_bad_queries_are_refused_naming_the_parameter(
    query_string: str, parameter: str, says: str
) -> None:
    with pytest.raises(QueryError) as raised:
        query_from_string(query_string, 50)
    assert raised.value.status == 400
    assert raised.value.parameter == parameter
    assert says in raised.value.message
    assert says.replace("'", "&#x27;") in error_page(raised.value).decode()


def test_unknown_slugs_are_404_naming_the_slug() -> None:
    searcher = Searcher(SMALL)
    with pytest.raises(QueryError) as raised:
        searcher.resolve(query_from_string("topic=elections&mission=osce-mission-to-mars", 50))
    assert raised.value.status == 404
    assert raised.value.parameter == "mission"
    assert "'osce-mission-to-mars'" in raised.value.message


values = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12
) | st.sampled_from(["Elections", "ODŽAK", "“Kyiv”", "co‑operation", "10", "0", "99999", ""])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([*PARAMETERS, "x"]), values), max_size=8))
def test_canonical_form_is_idempotent(pairs: list[tuple[str, str]]) -> None:
    try:
        query = parse_query(pairs, 50)
    except QueryError:
        assume(False)
    again = query_from_string(query.canonical(), 50)
    assert again == query
    assert again.canonical() == query.canonical()
    assert parse_qsl(query.canonical()) == query.pairs()


# --- matching -------------------------------------------------------------------------


def test_words_fold_case_diacritics_quotes_and_dashes() -> None:
    assert fold(
        "“Odžak” – CO‑OPERATION’s Łódź Ærø"
    ) == '"odzak" - co-operation\'s lodz ærø'.replace("ø", "o")
    assert ask(SMALL, "q=odzak") == ["Police training in Odžak"]
    assert ask(SMALL, "q=CO-OPERATION") == ["Police training in Odžak"]
    assert ask(SMALL, "q=%22local%22") == ["Observers deploy for the “local” elections"]
    assert ask(SMALL, "q=moldova") == ["Elections in Moldova: statement"]  # also "Moldovan"
    assert ask(SMALL, "q=.*") == [e.title for e in SMALL.entries]  # no pattern: no word


def test_kinds_combine_as_all_of_and_a_kind_repeated_as_any_of() -> None:
    ukraine = "mission=osce-special-monitoring-mission-to-ukraine"
    assert ask(SMALL, f"topic=elections&{ukraine}") == [
        "Daily report of the Special Monitoring Mission",
        "Observers deploy for the “local” elections",
    ]
    assert ask(SMALL, f"topic=elections&{ukraine}&type=news") == [
        "Observers deploy for the “local” elections"
    ]
    assert ask(SMALL, f"topic=elections&{ukraine}&not=daily") == [
        "Observers deploy for the “local” elections"
    ]
    assert ask(SMALL, "topic=elections&topic=policing&not=daily&limit=2") == [
        "Elections in Moldova: statement",
        "Police training in Odžak",
    ]
    assert ask(SMALL, "q=elections&q=monitors") == ["Observers deploy for the “local” elections"]
    assert ask(SMALL, "topic=conflict-prevention-and-resolution&topic=elections&limit=1") == [
        "Elections in Moldova: statement"
    ]


def reference(catalog: Catalog, query: Query, limit: int) -> list[Entry]:
    """What a query should answer, the plain way: every entry, every condition."""
    members = {
        (group.kind, group.slug): {entry.id for entry in group.entries} for group in catalog.groups
    }
    found = []
    for entry in catalog.entries:
        text = fold(entry.title) + "\n" + fold(entry.summary)
        if all(
            any(entry.id in members[kind, slug] for slug in query.slugs(kind))
            for kind in Kind
            if query.slugs(kind)
        ) and all(w in text for w in query.words):
            found.extend([entry] if not any(w in text for w in query.without) else [])
    return found[:limit]


SLUGS = {kind: sorted(g.slug for g in CORPUS.groups if g.kind is kind) for kind in Kind}
WORDS = sorted({w for e in CORPUS.entries for w in fold(e.title).split()[:4]})[:300]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(SLUGS[Kind.MISSION]), max_size=3),
    st.lists(st.sampled_from(SLUGS[Kind.TOPIC]), max_size=3),
    st.lists(st.sampled_from(SLUGS[Kind.TYPE]), max_size=2),
    st.lists(st.sampled_from(WORDS), max_size=2),
    st.lists(st.sampled_from(WORDS), max_size=2),
    st.integers(1, 60),
)
def test_matching_agrees_with_a_naive_reference(
    missions: list[str],
    topics: list[str],
    types: list[str],
    words: list[str],
    without: list[str],
    limit: int,
) -> None:
    pairs = [("mission", s) for s in missions] + [("topic", s) for s in topics]
    pairs += (
        [("type", s) for s in types] + [("q", w) for w in words] + [("not", w) for w in without]
    )
    query = parse_query([*pairs, ("limit", str(limit))], 50)
    searcher = Searcher(CORPUS)
    assert list(searcher.select(searcher.resolve(query), limit)) == reference(CORPUS, query, limit)


def test_a_new_catalog_folds_only_new_entries() -> None:
    first = Searcher(SMALL)
    first.select(first.resolve(query_from_string("q=x", 50)), 50)
    kept = {key: value[1] for key, value in first.texts.items()}
    second = Searcher(SMALL, first)
    assert second.texts is not first.texts  # each its own: one is read while one is made
    assert {key: value[1] for key, value in second.texts.items()} == kept
    assert all(value[1] is kept[key] for key, value in second.texts.items())


def test_a_warmed_searcher_answers_without_folding_or_changing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After `warm`, a query over every entry (or over a group) folds nothing and
    changes nothing in the searcher: the daemon warms each new one before the server
    reads it, and makes the next one from it meanwhile."""
    searcher = Searcher(CORPUS).warm()
    texts, lined = dict(searcher.texts), searcher.lined
    assert lined is not None
    assert len(lined) == len(CORPUS.entries)

    def no_folding(text: str) -> str:
        raise AssertionError(f"folded {text[:40]!r} after warm")

    queries = [
        query_from_string(query_string, 50)
        for query_string in (
            "q=osce",
            "q=police&not=serbia",
            "not=osce",
            "q=zzzz",
            "topic=policing&q=od",
        )
    ]
    monkeypatch.setattr("feeds.query.fold", no_folding)
    found = [searcher.select(searcher.resolve(query), 50) for query in queries]
    monkeypatch.undo()
    assert [list(entries) for entries in found] == [reference(CORPUS, q, 50) for q in queries]
    assert searcher.texts == texts
    assert searcher.lined is lined


def test_texts_beyond_latin_1_are_searched_as_the_words_they_hold() -> None:
    """A Cyrillic name keeps its letters when folded (only its marks go): its word
    is found, and only where the whole word's letters are."""
    catalog = merge_items(
        [
            record("Визит в Москву", 3, "Встреча."),
            record("Moscow visit", 2, "Meeting in Moskva."),
            record("Другое", 1, "Ничего."),
        ]
    )
    assert ask(catalog, "q=москву") == ["Визит в Москву"]
    assert ask(catalog, "q=Визит") == ["Визит в Москву"]
    assert ask(catalog, "q=moskva") == ["Moscow visit"]
    assert ask(catalog, "not=москву") == ["Moscow visit", "Другое"]


# --- titles and documents -------------------------------------------------------------


def test_the_title_says_what_the_feed_holds() -> None:
    searcher = Searcher(SMALL)
    query = query_from_string(
        "mission=osce-special-monitoring-mission-to-ukraine&topic=elections", 50
    )
    assert searcher.resolve(query).title() == (
        "Elections – OSCE Special Monitoring Mission to Ukraine"
    )
    query = query_from_string("topic=policing&topic=elections&q=Kyiv&not=daily&not=weekly", 50)
    assert searcher.resolve(query).title() == (
        "Elections or Policing, mentioning “kyiv”, not mentioning “daily” or “weekly”"
    )
    assert searcher.resolve(Query()).title() == "All news and press releases"
