"""Feeds cut to measure from the real daemon over real HTTP: every parameter and their
combinations against the published feeds, canonical redirects, validators and 304,
bad queries, and answers that follow the seeds."""

from __future__ import annotations

import contextlib
import gzip
import shutil
import subprocess
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin

import pytest

from feeds.config import Config
from feeds.http import GZIP_LEVEL
from feeds.queryhttp import QUERY_GZIP_LEVEL

from .conftest import SAMPLE_SEEDS
from .daemon import HEADER, Daemon, free_port, parse_feed, wait_for
from .newsboat import NEWSBOAT, Newsboat, Relay
from .validator import VALIDATOR


def item(title: str, day: int, summary: str, kind: str, missions: str, topics: str) -> str:
    return (
        f"{title}\nPublishing date: {day} March 2024\nContent type: {kind}\n"
        f"Where we are: {missions}\nWhat we do: {topics}\n{summary}\n"
    )


CUT_PAGE = HEADER + "".join(
    [
        item(
            "Observers assess the “local” elections in Moldova",
            20,
            "CHIȘINĂU, 20 March 2024 – Observers met the Central Electoral Commission.",
            "News",
            "OSCE Mission to Moldova",
            "Elections, Democratization",
        ),
        item(
            "Daily report of the Mission to Moldova",
            19,
            "Daily report on the situation in Transdniestria.",
            "Report",
            "OSCE Mission to Moldova",
            "Elections",
        ),
        item(
            "Police training in Odžak",
            18,
            "Training on co‑operation for the police of Bosnia and Herzegovina.",
            "Press release",
            "OSCE Mission to Bosnia and Herzegovina",
            "Policing",
        ),
        item(
            "Elections in Serbia: the Mission's statement",
            17,
            "The Mission to Serbia welcomes the vote; Moldovan observers attended.",
            "News",
            "OSCE Mission to Serbia, OSCE Secretariat",
            "Elections",
        ),
    ]
)


@pytest.fixture(scope="module")
def cut(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """One daemon on the sample seeds and a page of elections, for reading only."""
    base = tmp_path_factory.mktemp("cut")
    shutil.copytree(SAMPLE_SEEDS, base / "seeds")
    (base / "seeds" / "cut.txt").write_text(CUT_PAGE, encoding="utf-8")
    running = Daemon(base / "seeds", base / "public", free_port(), base / "daemon.log")
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()


def ids(daemon: Daemon, path: str) -> list[str]:
    return [entry.id for entry in daemon.feed(path).entries]


def titles(daemon: Daemon, path: str) -> list[str]:
    return [entry.title for entry in daemon.feed(path).entries]


def test_one_kind_answers_what_its_published_feed_holds(cut: Daemon) -> None:
    parameters = {"topics": "topic", "missions": "mission", "types": "type"}
    for path in ("topics/elections", "missions/osce-mission-to-moldova", "types/news"):
        kind, slug = path.split("/")
        query = f"{parameters[kind]}={slug}"
        assert ids(cut, f"/feed.atom?{query}") == ids(cut, f"/{path}.atom")
        assert ids(cut, f"/feed.rss?{query}") == ids(cut, f"/{path}.rss")
    assert ids(cut, "/feed.atom") == ids(cut, "/all.atom")  # no parameter: everything


def test_kinds_combine_as_all_of_and_repeats_as_any_of(cut: Daemon) -> None:
    elections = ids(cut, "/topics/elections.atom")
    moldova = ids(cut, "/missions/osce-mission-to-moldova.atom")
    serbia = ids(cut, "/missions/osce-mission-to-serbia.atom")
    news = ids(cut, "/types/news.atom")
    both = "mission=osce-mission-to-moldova&topic=elections"
    assert ids(cut, f"/feed.atom?{both}") == [i for i in elections if i in moldova]
    assert len(ids(cut, f"/feed.atom?{both}")) == 2
    assert ids(cut, f"/feed.atom?{both}&type=news") == [
        i for i in elections if i in moldova and i in news
    ]
    either = "mission=osce-mission-to-moldova&mission=osce-mission-to-serbia"
    assert ids(cut, f"/feed.atom?{either}") == [
        i for i in ids(cut, "/all.atom") if i in moldova or i in serbia
    ]
    assert len(ids(cut, f"/feed.atom?{either}")) == 4


def test_words_in_and_words_out(cut: Daemon) -> None:
    assert titles(cut, "/feed.atom?q=moldova&topic=elections") == [
        "Observers assess the “local” elections in Moldova",
        "Daily report of the Mission to Moldova",
        "Elections in Serbia: the Mission's statement",  # "Moldovan" in its summary
    ]
    assert titles(cut, "/feed.atom?not=daily&q=moldova&topic=elections") == [
        "Observers assess the “local” elections in Moldova",
        "Elections in Serbia: the Mission's statement",
    ]
    assert titles(cut, "/feed.atom?q=chisinau") == [
        "Observers assess the “local” elections in Moldova"
    ]
    assert titles(cut, "/feed.atom?q=co-operation&q=odzak") == [
        # a sample item (2025), in whose summary "co-operation" is written plainly
        "OSCE Ambassador highlights key security and social progress during visit to "
        "Tuzla, Vukosavlje and Odžak",
        "Police training in Odžak",  # "co‑operation", with a non-breaking hyphen
    ]
    assert titles(cut, "/feed.atom?limit=2") == titles(cut, "/all.atom")[:2]
    assert (
        titles(cut, "/feed.atom?limit=2&topic=elections")
        == titles(cut, "/topics/elections.atom")[:2]
    )
    assert titles(cut, "/feed.atom?q=nothing-like-this") == []


@pytest.mark.parametrize(
    ("asked", "canonical"),
    [
        ("topic=Elections", "topic=elections"),
        (
            "topic=elections&mission=osce-mission-to-moldova",
            "mission=osce-mission-to-moldova&topic=elections",
        ),
        ("q=Moldova+OD%C5%BDAK&type=&limit=50", "q=moldova&q=odzak"),
        ("q=%E2%80%9Cmoldova%E2%80%9D&q=moldova", "q=moldova"),
        ("limit=100000", "limit=500"),
        ("topic=", ""),
    ],
)
def test_a_query_not_in_canonical_form_is_redirected_to_it(
    cut: Daemon, asked: str, canonical: str
) -> None:
    for fmt in ("atom", "rss", "json", "html"):
        reply = cut.get(f"/feed.{fmt}?{asked}", Host="evil.example")
        assert reply.status == 301
        location = reply.headers["location"]
        assert location == f"feed.{fmt}" + (f"?{canonical}" if canonical else "")
        assert "evil" not in location
        assert "//" not in location
        again = cut.get(urljoin(f"/feed.{fmt}?{asked}", location))
        assert again.status == 200


def test_query_feeds_are_valid_with_their_canonical_self_link(cut: Daemon, tmp_path: Path) -> None:
    query = "mission=osce-mission-to-moldova&not=daily&topic=elections"
    atom = cut.get(f"/feed.atom?{query}")
    feed = parse_feed(atom.body)
    assert feed.feed.title == "Elections – OSCE Mission to Moldova, not mentioning “daily”"
    self_links = [link.href for link in feed.feed.links if link.rel == "self"]
    assert self_links == [f"{cut.base_url}feed.atom?{query}"]
    published = {e.id: e for e in cut.feed("/all.atom").entries}
    for entry in feed.entries:
        assert entry.link == published[entry.id].link
        assert entry.updated == published[entry.id].updated
    json_feed = cut.get(f"/feed.json?{query}")
    assert json_feed.media_type() == "application/feed+json"
    page = cut.get(f"/feed.html?{query}").body.decode()
    assert f"{cut.base_url}feed.rss?{query.replace('&', '&amp;')}" in page
    if not VALIDATOR.is_file():
        pytest.skip(f"NOT VALIDATED: {VALIDATOR} is missing (it comes with ../shared)")
    for fmt in ("atom", "rss"):
        (tmp_path / f"feed.{fmt}").write_bytes(cut.get(f"/feed.{fmt}?{query}").body)
        done = subprocess.run(
            [
                str(VALIDATOR),
                "--strict",
                "--base",
                f"{cut.base_url}feed.{fmt}?{query}",
                str(tmp_path / f"feed.{fmt}"),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout


def test_validators_preconditions_and_head(cut: Daemon) -> None:
    path = "/feed.atom?topic=elections"
    plain = cut.get(path)
    assert plain.status == 200
    assert plain.headers["cache-control"] == "no-cache"
    assert plain.headers["vary"] == "Accept-Encoding"
    assert plain.media_type() == "application/atom+xml"
    etag = plain.headers["etag"]
    assert etag.startswith('"')
    zipped = cut.get(path, Accept_Encoding="gzip")
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["etag"] == etag[:-1] + '-gzip"'
    # Compressed once per answer at a cheap level (a fixed one: same bytes, same gzip).
    assert gzip.decompress(zipped.body) == plain.body
    assert zipped.body == gzip.compress(plain.body, QUERY_GZIP_LEVEL, mtime=0)
    assert zipped.body != gzip.compress(plain.body, GZIP_LEVEL, mtime=0)  # the files' level
    assert cut.get(path, If_None_Match=etag).status == 304
    assert cut.get(path, If_None_Match=zipped.headers["etag"], Accept_Encoding="gzip").status == 304
    assert cut.get(path, If_None_Match='"other"').status == 200
    assert cut.get(path, If_Match='"other"').status == 412
    head = cut.get(path, "HEAD")
    assert head.status == 200
    assert head.body == b""
    assert head.headers["etag"] == etag
    assert head.headers["content-length"] == plain.headers["content-length"]
    assert cut.get("/feed.json?topic=elections").headers["etag"] != etag  # per representation


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ("mision=osce-mission-to-moldova", 400, "unknown parameter &#x27;mision&#x27;"),
        ("limit=ten", 400, "limit: &#x27;ten&#x27; is not a whole number"),
        ("topic=elections&mission=osce-mission-to-mars", 404, "&#x27;osce-mission-to-mars&#x27;"),
        ("type=%3Cscript%3E", 404, "&#x27;&lt;script&gt;&#x27;"),
    ],
)
def test_bad_queries_get_a_page_that_names_what_is_wrong(
    cut: Daemon, query: str, status: int, says: str
) -> None:
    for fmt in ("atom", "html"):
        reply = cut.get(f"/feed.{fmt}?{query}")
        assert reply.status == status
        assert reply.media_type() == "text/html"
        assert says in reply.body.decode()
        assert "<script>" not in reply.body.decode()
    assert cut.get(f"/feed.atom?{query}", "HEAD").body == b""


def test_answers_follow_the_seeds(start: Callable[..., Daemon]) -> None:
    daemon = start()
    path = "/feed.atom?q=quokka"
    first = daemon.get(path)
    assert parse_feed(first.body).entries == []
    other = daemon.get("/feed.atom?topic=policing")
    (daemon.seeds / "quokka.txt").write_text(
        HEADER
        + item(
            "A quokka visits the Secretariat",
            2,
            "Nothing else.",
            "News",
            "OSCE Secretariat",
            "Youth",
        ).replace("March 2024", "April 2026"),
        encoding="utf-8",
    )
    wait_for(
        lambda: daemon.titles(path) == ["A quokka visits the Secretariat"], "the new item", daemon
    )
    assert daemon.get(path, If_None_Match=first.headers["etag"]).status == 200
    # An answer the change did not touch keeps its validators.
    again = daemon.get("/feed.atom?topic=policing")
    assert again.headers["etag"] == other.headers["etag"]
    assert again.headers["last-modified"] == other.headers["last-modified"]
    assert (
        daemon.get("/feed.atom?topic=policing", If_None_Match=other.headers["etag"]).status == 304
    )


class Form(HTMLParser):
    """The compose form of the index: its action, method and fields in order, with
    each select's options."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.action = self.method = ""
        self.fields: list[tuple[str, list[str]]] = []  # name, option values (selects)
        self.inside = False
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "form":
            self.inside = True
            self.action, self.method = found["action"] or "", found["method"] or ""
        elif self.inside and tag in ("select", "input"):
            self.fields.append((found["name"] or "", []))
        elif self.inside and tag == "option":
            self.fields[-1][1].append(found["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def test_the_index_form_composes_a_feed(cut: Daemon) -> None:
    form = Form()
    form.feed(cut.get("/index.html").body.decode())
    assert form.scripts == 0
    assert (form.action, form.method) == ("feed.html", "get")
    options = dict(form.fields)
    assert [name for name, _ in form.fields] == ["mission", "topic", "type", "q", "not", "limit"]
    groups = {"mission": "missions", "topic": "topics", "type": "types"}
    for name, folder in groups.items():
        published = sorted(p.stem for p in (cut.public / folder).glob("*.atom"))
        assert options[name][0] == ""  # any
        assert sorted(options[name][1:]) == published
    # As a browser submits it: every field, in order, the choices made.
    chosen = {"mission": "osce-mission-to-moldova", "topic": "elections", "not": "Daily"}
    submitted = urlencode([(name, chosen.get(name, "")) for name, _ in form.fields])
    reply = cut.get(f"/{form.action}?{submitted}")
    assert reply.status == 301
    page = cut.get("/" + reply.headers["location"])
    assert page.status == 200
    assert "Elections – OSCE Mission to Moldova, not mentioning “daily”" in page.body.decode()
    address = (
        f"{cut.base_url}feed.atom?mission=osce-mission-to-moldova&amp;not=daily&amp;topic=elections"
    )
    assert f"<code>{address}</code>" in page.body.decode()
    assert titles(cut, address.replace("&amp;", "&").removeprefix(cut.base_url[:-1])) == [
        "Observers assess the “local” elections in Moldova"
    ]


@pytest.mark.skipif(NEWSBOAT is None, reason="newsboat not installed: apt-get install newsboat")
def test_newsboat_subscribes_to_a_feed_cut_to_measure(cut: Daemon, tmp_path: Path) -> None:
    query = "mission=osce-mission-to-moldova&not=daily&topic=elections"
    with running_relay() as relay:
        reader = Newsboat(tmp_path / "newsboat", [f"{cut.base_url}feed.atom?{query}"], relay.port)
        reader.reload()
        assert relay.errors == []
        assert relay.statuses() == {f"/feed.atom?{query}": [200]}
        held = reader.articles()
        assert {a.guid for a in held.values()} == set(ids(cut, f"/feed.atom?{query}"))
        assert [a.title for a in held.values()] == [
            "Observers assess the “local” elections in Moldova"
        ]
        reader.reload()  # again: the same answer, nothing new
        etags = [x.response_headers["etag"] for x in relay.exchanges]
        assert len(etags) == 2
        assert etags[0] == etags[1]
        assert reader.articles() == held
        assert reader.unread_count() == 1


@contextlib.contextmanager
def running_relay() -> Iterator[Relay]:
    """The recording proxy of `test_reader`, that sees what newsboat asks and gets."""
    server = Relay()
    server.thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        server.thread.join(5)


def test_the_daemon_hands_the_server_a_warmed_searcher_of_what_it_published(
    config: Config,
) -> None:
    """After each publish the daemon folds and joins the texts a query over every
    entry needs, before the server sees the new catalog: the first such request
    after a publish costs no more than any other (benchmarks/query.py)."""
    from feeds.watch import Daemon as InProcess

    daemon = InProcess(lambda: config, poll=True, serve=True)
    assert daemon.current().searcher is None  # 503 until the first build
    daemon.rebuild("start")
    assert daemon.last is not None
    first = daemon.current()
    assert first.searcher is not None
    assert first.searcher.catalog is daemon.last.catalog
    assert first.searcher.lined is not None  # warmed
    assert first.config == config

    (config.seeds / "cut.txt").write_text(CUT_PAGE, encoding="utf-8")
    daemon.rebuild("a new page", {"cut.txt"})
    now = daemon.current()
    assert now.version > first.version
    assert now.searcher is not None
    assert now.searcher.catalog is daemon.last.catalog
    assert now.searcher.lined is not None
    assert len(now.searcher.lined) == len(first.searcher.catalog.entries) + len(
        CUT_PAGE.split("Publishing date:")[1:]
    )
    assert first.searcher.lined is not now.searcher.lined
