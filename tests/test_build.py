"""Whole builds: the published feeds read back with a real feed parser, stable bytes,
independence from file names and order, and what happens to bad or withdrawn pages."""

from __future__ import annotations

import errno
import gc
import os
import shutil
import sys
import tempfile
import weakref
from collections import Counter
from dataclasses import replace
from pathlib import Path

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds import publish as publish_module
from feeds import seeds as seeds_module
from feeds.build import Builder, WithdrawalHeld, build
from feeds.config import Config
from feeds.layout import SUBSCRIPTION_FORMATS as FORMATS
from feeds.model import Level, short_id_of
from feeds.parse import parse_seed
from feeds.publish import PublishFailed
from feeds.seeds import MAX_SEED_BYTES, SeedsUnavailable, is_seed_name, read_seeds
from feeds.store import LOCK, MANIFEST, good_from_shard, read_state, shard_bytes

from .conftest import BASE_URL, DATA, SAMPLE_SEEDS

CORPUS_PAGES = sorted((DATA / "seeds").glob("*.txt")) + sorted((DATA / "holdout").glob("*.txt"))


def feed(public: Path, path: str) -> feedparser.FeedParserDict:
    parsed = feedparser.parse((public / path).read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def snapshot(public: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of `public/`, state included, but the lock (each run takes it)."""
    return {
        p.relative_to(public).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(public.rglob("*"))
        if p.is_file() and p.relative_to(public).as_posix() != LOCK
    }


def test_sample_seeds_give_fourteen_items_and_a_feed_per_group(config: Config) -> None:
    result = build(config)
    public = config.public

    everything = feed(public, "all.atom")
    assert len(everything.entries) == 14
    assert len({e.id for e in everything.entries}) == 14
    assert feed(public, "all.rss").entries[0].title == everything.entries[0].title

    names = Counter(
        (kind, name)
        for entry in result.catalog.entries
        for kind in ("topics", "missions", "types")
        for name in {
            "topics": entry.topics,
            "missions": entry.missions,
            "types": (entry.content_type,) if entry.content_type else (),
        }[kind]
    )
    atom_feeds = sorted(p.relative_to(public).as_posix() for p in public.glob("*/*.atom"))
    assert len(atom_feeds) == len(names) == 30
    for group in result.catalog.groups:
        parsed = feed(public, f"{group.kind.folder}/{group.slug}.atom")
        assert len(parsed.entries) == names[group.kind.folder, group.name]
        for entry in parsed.entries:
            assert group.name in {tag.term for tag in entry.tags}


def test_entries_read_back_as_the_seeds_say(config: Config) -> None:
    build(config)
    parsed = feed(config.public, "topics/policing.atom")
    assert parsed.feed.title == "Policing – OSCE news and press releases"
    assert parsed.feed.links[0].href == f"{BASE_URL}topics/policing.atom"
    first = parsed.entries[0]
    assert first.title == (
        "Jubilee Annual Regional Forensic Conference organized in Montenegro with OSCE support"
    )
    assert first.published_parsed[:3] == (2025, 10, 9)
    assert first.updated == parsed.feed.updated  # the feed is as new as its newest entry
    assert first.content[0].value.startswith("Security and justice can only be achieved")
    tags = {(t.scheme, t.term, t.label) for t in first.tags}
    assert (
        f"{BASE_URL}missions/",
        "OSCE Mission to Montenegro",
        "OSCE Mission to Montenegro",
    ) in tags
    assert (f"{BASE_URL}types/", "News", "News") in tags
    page, anchor = first.link.removeprefix(BASE_URL).split("#")
    assert page == "items/2025/10.html"
    assert anchor == "item-" + short_id_of(first.id)
    assert f'id="{anchor}"' in (config.public / page).read_text()
    dates = [e.updated for e in feed(config.public, "all.atom").entries]
    assert len(set(dates)) == len(dates), "two entries share one updated value"
    assert dates == sorted(dates, reverse=True)


def test_dates_show_the_listing_day_from_honolulu_to_tokyo(config: Config) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    build(config)
    for entry in feed(config.public, "all.atom").entries:
        moment = dt.datetime.fromisoformat(entry.published)
        listed = dt.date(*entry.published_parsed[:3])
        for zone in ("Pacific/Honolulu", "America/New_York", "Europe/Vienna", "Asia/Tokyo"):
            assert moment.astimezone(ZoneInfo(zone)).date() == listed


def test_feed_size_keeps_the_newest(config: Config) -> None:
    from dataclasses import replace

    build(replace(config, feed_size=3))
    titles = [e.title for e in feed(config.public, "all.atom").entries]
    assert titles == [e.title for e in feed(config.public, "all.rss").entries]
    assert len(titles) >= 3  # the rest is in archive pages
    assert titles[0].startswith("Jubilee Annual Regional Forensic Conference")
    archived = [
        feed(config.public, p.relative_to(config.public).as_posix())
        for p in (config.public / "archive/all").glob("*.atom")
    ]
    assert sum(len(a.entries) for a in archived) == 14 - len(titles)


def test_second_build_of_unchanged_seeds_writes_nothing(config: Config) -> None:
    first = build(config)
    before = snapshot(config.public)
    for result in (build(config), Builder(config).build()):  # stopping early, or not
        assert result.report.written == ()
        assert result.report.removed == ()
        assert (result.items, result.feeds) == (first.items, first.feeds) == (14, 31)
        assert snapshot(config.public) == before
    assert build(config).catalog is None  # it found nothing changed and read no seed
    assert "nothing changed since the last build" in build(config).summary()


def test_a_build_after_any_change_of_its_inputs_does_the_work(
    config: Config, tmp_path: Path
) -> None:
    """`build` stops early only when nothing it depends on changed: each of these
    changes makes it read the seeds again and put `public/` right."""
    page = sorted(config.seeds.glob("*.txt"))[0]
    changes = {
        "seed rewritten with the same size and mtime": lambda: rewrite_keeping_stamp(page),
        "seed added": lambda: shutil.copy(page, config.seeds / "copy.txt"),
        "seed deleted": lambda: (config.seeds / "copy.txt").unlink(),
        "published file edited": lambda: (config.public / "all.atom").write_text("mine"),
        "published file deleted": lambda: (config.public / "all.rss").unlink(),
        "record damaged": lambda: (config.public / ".osce-feeds/inputs.json").write_text("{"),
    }
    build(config)
    expected = {p: d for p, (d, _) in snapshot(config.public).items() if "/" not in p}
    for change, make in changes.items():
        make()
        result = build(config)
        assert result.catalog is not None, change
        now = {p: d for p, (d, _) in snapshot(config.public).items() if "/" not in p}
        assert now == expected, change
    other = Config(seeds=config.seeds, public=config.public, base_url="https://other.example/")
    assert build(other).catalog is not None  # other settings
    assert build(other).catalog is None


def rewrite_keeping_stamp(page: Path) -> None:
    """A page rewritten in place (same inode), its size and mtime put back: only its
    ctime tells."""
    stat = page.stat()
    data = page.read_bytes()
    page.write_bytes(data.replace(b"OSCE", b"OSZE", 1))
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert page.stat().st_size == stat.st_size


def test_ids_do_not_depend_on_file_names_or_base_url(config: Config, tmp_path: Path) -> None:
    build(config)
    ids = [e.id for e in feed(config.public, "all.atom").entries]
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    for n, path in enumerate(sorted(config.seeds.glob("*.txt"))):
        shutil.copy(path, renamed / f"page-{9 - n}.txt")
    other = Config(seeds=renamed, public=tmp_path / "other", base_url="http://elsewhere.test/x/")
    build(other)
    assert [e.id for e in feed(other.public, "all.atom").entries] == ids


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.permutations(CORPUS_PAGES), st.lists(st.integers(0, 10**6), unique=True, min_size=80))
def test_published_bytes_do_not_depend_on_file_order_or_names(
    pages: list[Path], numbers: list[int]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        built = []
        for name, sources in (
            ("plain", {p.name: p for p in CORPUS_PAGES}),
            ("shuffled", {f"{n:07d}.txt": p for n, p in zip(numbers, pages, strict=False)}),
        ):
            seeds = root / name
            seeds.mkdir()
            for file_name, source in sources.items():
                shutil.copy(source, seeds / file_name)
            public = root / f"public-{name}"
            build(Config(seeds=seeds, public=public, base_url=BASE_URL))
            built.append(public_files(public))
        assert built[0] == built[1]


def public_files(public: Path) -> dict[str, bytes]:
    """What a build published for readers (not its state)."""
    return {path: data for path, (data, _) in snapshot(public).items() if not path.startswith(".")}


def test_page_turned_error_page_keeps_its_items(config: Config) -> None:
    build(config)
    page = config.seeds / "000_2ff1a2d5822c8077.txt"
    page.write_text("<html><body>502 Bad Gateway</body></html>")
    result = build(config)
    assert len(feed(config.public, "all.atom").entries) == 14
    assert any("last good version" in i.message for i in result.issues)

    page.unlink()  # deleting the file withdraws its items
    build(config)
    assert len(feed(config.public, "all.atom").entries) == 7


def test_withdrawn_group_keeps_an_empty_valid_feed(config: Config) -> None:
    build(config)
    ashgabat = config.public / "missions/osce-centre-in-ashgabat.atom"
    assert len(feed(config.public, "missions/osce-centre-in-ashgabat.atom").entries) == 1
    (config.seeds / "000_2ff1a2d5822c8077.txt").unlink()
    build(config)
    assert ashgabat.is_file()
    parsed = feed(config.public, "missions/osce-centre-in-ashgabat.atom")
    assert parsed.entries == []
    assert parsed.feed.title.startswith("OSCE Centre in Ashgabat")
    # The withdrawn items' pages go.
    assert sorted(p.name for p in (config.public / "items").rglob("*.html")) == [
        "09.html",
        "10.html",
    ]


def test_slugs_of_published_feeds_never_move(config: Config) -> None:
    build(config)
    (config.seeds / "extra.txt").write_text(
        "Osce Secretariat hosts a meeting\nPublishing date: 1 May 2021\n"
        "Where we are: OSCE  secretariat\nSummary."
    )
    result = build(config)
    slugs = {g.name: g.slug for g in result.catalog.groups}
    # A spelling that differs only in case and spaces joins the group: its slug stays.
    assert slugs["OSCE Secretariat"] == "osce-secretariat"
    assert "OSCE secretariat" not in slugs
    assert not (config.public / "missions/osce-secretariat-2.atom").exists()


def test_temporary_and_hidden_files_are_not_seeds(tmp_path: Path) -> None:
    for name in ("a.txt", ".hidden.txt", "b.txt~", "#c.txt#", "d.txt.swp", "e.md"):
        (tmp_path / name).write_text("x")
    assert list(read_seeds(tmp_path)) == ["a.txt"]


def test_empty_seeds_folder_builds_an_empty_site(tmp_path: Path) -> None:
    (tmp_path / "seeds").mkdir()
    config = Config(seeds=tmp_path / "seeds", public=tmp_path / "public", base_url=BASE_URL)
    build(config)
    assert feed(config.public, "all.atom").entries == []


@pytest.mark.parametrize("how", ["missing", "a file"])
def test_missing_seeds_folder_is_refused_and_nothing_is_withdrawn(config: Config, how: str) -> None:
    build(config)
    before = snapshot(config.public)
    shutil.rmtree(config.seeds)
    if how == "a file":
        config.seeds.write_text("not a folder")
    with pytest.raises(SeedsUnavailable, match=r"does not exist|is not a folder"):
        build(config)
    with pytest.raises(SeedsUnavailable):
        Builder(config).build()
    assert snapshot(config.public) == before


def test_bad_pages_never_reach_a_feed(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(DATA / "seeds", seeds)
    config = Config(seeds=seeds, public=tmp_path / "public", base_url=BASE_URL)
    build(config)
    text = (config.public / "all.atom").read_text()
    for marker in ("Page not found", "Skip to main content", "Daily Report", "\x00", "\ufffd"):
        assert marker not in text


def test_published_files_are_readable_by_others(config: Config) -> None:
    build(config)
    mode = os.stat(config.public / "all.atom").st_mode & 0o777
    assert mode & 0o044 == 0o044


@pytest.mark.parametrize("source", [SAMPLE_SEEDS])
def test_sample_pages_have_no_problems(source: Path) -> None:
    for path in source.glob("*.txt"):
        assert parse_seed(path.read_bytes(), path.name).issues == ()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(), max_size=6), st.text())
def test_any_text_in_a_listing_renders_to_valid_xml(values: list[str], title: str) -> None:
    """Whatever characters a page holds, the feeds are well-formed XML."""
    lines = [title, "Publishing date: 1 May 2020", *values]
    page = "\n".join(lines).encode("utf-8", "surrogatepass")
    with tempfile.TemporaryDirectory() as tmp:
        seeds = Path(tmp) / "seeds"
        seeds.mkdir()
        (seeds / "x.txt").write_bytes(page)
        public = Path(tmp) / "public"
        build(Config(seeds=seeds, public=public))
        for path, data in public_files(public).items():
            if path.endswith((".atom", ".rss")):
                assert not feedparser.parse(data).bozo, path


def test_seed_deleted_while_no_daemon_ran_loses_its_last_good_copy(config: Config) -> None:
    build(config)
    name = "000_2ff1a2d5822c8077.txt"
    assert name in read_state(config.public).last_good
    (config.seeds / name).unlink()
    build(config)
    assert name not in read_state(config.public).last_good
    # Back as an error page, it has no items to fall back on.
    (config.seeds / name).write_text("502 Bad Gateway")
    build(config)
    assert len(feed(config.public, "all.atom").entries) == 7


@pytest.mark.parametrize("processes", [2, 3])
def test_a_build_shared_by_forked_workers_publishes_the_same_bytes(
    tmp_path: Path, processes: int
) -> None:
    """A cold build of a large archive renders in several processes (each a span of
    time); small pages (feed size 4) make hundreds of documents to share out here."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for page in [*CORPUS_PAGES, *sorted(SAMPLE_SEEDS.glob("*.txt"))]:
        shutil.copy(page, seeds / f"{page.parent.name}-{page.name}")
    built = {}
    for n in (1, processes):
        config = Config(
            seeds=seeds, public=tmp_path / f"public-{n}", base_url=BASE_URL, feed_size=4
        )
        result = Builder(config, processes=n).build()
        assert len(result.report.written) == len(snapshot(config.public)) - 1  # (manifest)
        built[n] = {
            path: data for path, (data, _) in snapshot(config.public).items() if path != MANIFEST
        }
    assert built[processes] == built[1]
    assert sum(path.startswith("archive/") for path in built[1]) > 50


@given(
    st.dictionaries(
        st.text(min_size=1).map(lambda s: s.replace("/", "_") + ".txt"), st.binary(), max_size=8
    )
)
def test_last_good_copies_come_back_byte_for_byte(good: dict[str, bytes]) -> None:
    """Any seed name (newlines, quotes, any script) and any bytes survive a shard."""
    good = {name: data for name, data in good.items() if is_seed_name(name)}
    data = shard_bytes(good)
    assert good_from_shard(data) == good
    if any(good.values()):  # cut short, a shard yields nothing rather than wrong bytes
        assert good_from_shard(data[:-1]) == {}


def test_the_daemons_builds_report_the_problems_of_the_seeds_as_they_are_now(
    config: Config,
) -> None:
    builder = Builder(config)
    assert builder.build().issues == ()
    bad = config.seeds / "bad.txt"
    bad.write_text("Publishing date: 32 Octember 2020\n")
    found = builder.build({"bad.txt"}).issues
    assert [i.source for i in found] == [str(bad)] * len(found)
    assert builder.build().issues == found  # nothing read again: the same problems
    bad.write_text("Fixed\nPublishing date: 16 October 2020\n")
    assert builder.build({"bad.txt"}).issues == ()
    bad.unlink()
    bad.write_text("binary\0data")  # found by a scan, as after a restart of the watcher
    assert [i.message for i in builder.build().issues] == [
        "not UTF-8 text (a binary file?): no items",
        "yields no items now; its last good version's 1 items stay published until it "
        "is fixed or deleted",
    ]


# --- what the environment does to a build ---


def odd_files(seeds: Path, outside: Path) -> list[str]:
    """Put every kind of thing that is not a seed page, named like one, into `seeds`;
    returns how problems name them."""
    os.mkfifo(seeds / "fifo.txt")
    (seeds / "folder.txt").mkdir()
    outside.write_bytes((SAMPLE_SEEDS / os.listdir(SAMPLE_SEEDS)[0]).read_bytes())
    (seeds / "link.txt").symlink_to(outside)
    (seeds / "huge.txt").write_bytes(b"x" * (MAX_SEED_BYTES + 1))
    for raw in (b"caf\xe9.txt", b"forged\n2026-01-01 INFO all good.txt"):
        with open(os.path.join(os.fsencode(seeds), raw), "wb") as handle:
            handle.write((SAMPLE_SEEDS / os.listdir(SAMPLE_SEEDS)[0]).read_bytes())
    names = ["fifo.txt", "folder.txt", "link.txt", "huge.txt", "caf\\xe9.txt"]
    return [*names, "forged\\n2026-01-01 INFO all good.txt"]


def test_odd_files_are_skipped_with_one_warning_each(config: Config, tmp_path: Path) -> None:
    names = odd_files(config.seeds, tmp_path / "outside.txt")
    result = build(config)
    assert result.items == 14  # the sample pages, and nothing of the others
    for name in names:
        found = [i for i in result.issues if i.source == f"{config.seeds}/{name}"]
        assert len(found) == 1, (name, result.issues)
        assert found[0].level is Level.WARNING
        assert "skipped" in found[0].message
        assert str(found[0]).isprintable()
    state = (config.public / ".osce-feeds").rglob("*")
    assert not any(b"\xe9" in p.read_bytes() for p in state if p.is_file())


def test_a_seed_made_unreadable_keeps_its_items(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(config)
    name = sorted(os.listdir(config.seeds))[0]
    path = config.seeds / name
    path.chmod(0)  # root reads it anyway: the error is injected below
    real_open = os.open

    def refuse(file: str, *args: object, **kwargs: object) -> int:
        if os.fspath(file) == str(path):
            raise PermissionError(13, "Permission denied", file)
        return real_open(file, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(seeds_module.os, "open", refuse)
    result = build(config)
    assert result.items == 14
    (warning,) = [i for i in result.issues if i.source == f"{config.seeds}/{name}"]
    assert warning.message.startswith("cannot be read: Permission denied: skipped")
    assert "items stay published" in warning.message
    monkeypatch.undo()
    path.chmod(0o644)
    result = build(config)
    assert result.items == 14
    assert not [i for i in result.issues if i.source == f"{config.seeds}/{name}"]


def test_build_holds_a_change_that_withdraws_most_items(config: Config) -> None:
    build(config)
    before = snapshot(config.public)
    for page in config.seeds.iterdir():  # an empty scrape, an unmounted disk
        page.unlink()
    with pytest.raises(WithdrawalHeld, match="withdraw 14 of the 14 items"):
        build(config)
    assert snapshot(config.public) == before
    assert build(config, allow_withdrawal=True).items == 0
    assert feed(config.public, "all.atom").entries == []


def test_withdrawing_half_or_less_is_not_held(config: Config, tmp_path: Path) -> None:
    build(config)
    first = sorted(config.seeds.iterdir())[0]
    first.unlink()  # 7 of the 14 items
    assert build(config).items == 7
    other = replace(config, max_withdraw=100)
    for page in config.seeds.iterdir():
        page.unlink()
    assert build(other).items == 0


def test_daemon_builder_holds_a_change_that_withdraws_most_items(config: Config) -> None:
    builder = Builder(config)
    builder.build()
    before = snapshot(config.public)
    names = sorted(os.listdir(config.seeds))
    for name in names:
        (config.seeds / name).unlink()
    with pytest.raises(WithdrawalHeld, match="withdraw 14 of the 14"):
        builder.build(names)
    assert snapshot(config.public) == before
    with pytest.raises(WithdrawalHeld):  # a new builder, as after a restart
        Builder(config).build()
    assert Builder(config, allow_withdrawal=True).build().items == 0


def test_unwritable_public_is_an_error_that_names_it(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(config)
    (config.seeds / "new.txt").write_text(
        "A new item\nPublishing date: 1 March 2026\nIts summary.\n", encoding="utf-8"
    )
    before = snapshot(config.public)
    real_write = os.write

    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(publish_module.os, "write", full)
    with pytest.raises(PublishFailed, match="No space left on device") as failed:
        build(config)
    assert failed.value.written == ()
    assert snapshot(config.public) == before
    monkeypatch.setattr(publish_module.os, "write", real_write)
    assert build(config).items == 15
    assert not list(config.public.rglob("*.tmp"))


def test_a_replaced_builder_is_freed(config: Config) -> None:
    """The daemon replaces its builder after a failed or held build and on SIGHUP:
    the old one, its catalog and its caches of rendered fragments must go."""
    from feeds.watch import Daemon

    daemon = Daemon(lambda: config, poll=True, serve=False)
    daemon.rebuild("start")
    assert daemon.last is not None
    assert daemon.last.items == 14
    old = [weakref.ref(daemon.builder), weakref.ref(daemon.builder.writer)]
    old.append(weakref.ref(daemon.builder.index))
    daemon.new_builder()
    daemon.last = None  # (the result holds the catalog)
    gc.collect()
    assert [ref() for ref in old] == [None, None, None]
    daemon.rebuild("again")
    assert daemon.last is not None
    assert daemon.last.items == 14


NEW_PAGE = (
    "Newsroom\nNews and press releases\n"
    "A workshop on cybersecurity opens in Vienna\nPublishing date: 3 March 2026\n"
    "Content type: News\nWhat we do: Cyber/ICT security\n"
    "VIENNA, 3 March 2026 – Experts met...\n"
)


def test_a_build_names_the_subscription_feeds_it_changed(config: Config) -> None:
    """What the daemon tells the WebSub hub: the self URLs of the subscription feeds
    (every format) whose bytes changed, never archive pages or site pages."""
    builder = Builder(config)
    cold = builder.build()
    groups = [f"{g.kind.folder}/{g.slug}" for g in cold.catalog.groups] if cold.catalog else []
    every = {f"{BASE_URL}{feed}.{fmt}" for feed in ["all", *groups] for fmt in FORMATS}
    assert set(cold.feeds_changed) == every
    (config.seeds / "new.txt").write_text(NEW_PAGE, encoding="utf-8")
    added = builder.build({"new.txt"})
    assert set(added.feeds_changed) == {
        f"{BASE_URL}{feed}.{fmt}" for feed in ("all", "types/news") for fmt in FORMATS
    } | {f"{BASE_URL}topics/cyber-ict-security.{fmt}" for fmt in FORMATS}
    assert {url.removeprefix(BASE_URL) for url in added.feeds_changed} <= set(added.report.written)
    assert builder.build({"new.txt"}).feeds_changed == ()  # nothing changed


def test_a_dropped_builder_is_freed_with_its_writer_and_fragments(config: Config) -> None:
    """What the daemon drops (on SIGHUP, after a failed build) goes at once: nothing
    global, frozen or cyclic keeps a builder, its writer or its fragment cache."""
    builder = Builder(config)
    builder.build()
    (config.seeds / "new.txt").write_text(NEW_PAGE, encoding="utf-8")
    builder.build({"new.txt"})
    refs = [weakref.ref(part) for part in (builder, builder.writer, builder.index)]
    refs.append(weakref.ref(builder.publisher))
    fragments = builder.writer.fragments["atom"]
    assert len(fragments) == 15
    del builder
    gc.collect()
    assert [ref() for ref in refs] == [None] * 4
    assert sys.getrefcount(fragments) == 2  # this test's name (and the call's argument)
