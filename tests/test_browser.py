"""The site as a newcomer sees it: the real daemon on the sample seeds, its pages loaded
in a real headless browser (Debian's chromium).

The promise checked here: from http://127.0.0.1:8080/ anyone can find the feed of any
topic or mission and subscribe to it in two clicks, index -> feed page -> subscribe link
(the index carries the subscribe links too). Chromium renders the pages (`--dump-dom`
gives the DOM after rendering) and screenshots the index at a phone's and a desktop's
size; the screenshots are kept in `tests/artifacts/` (git-ignored) for a person to look
at. A person's use of the index's form to compose a feed is driven over the DevTools
protocol (`DevTools`): fields chosen, a word typed, the form sent. Without chromium
(`apt-get install chromium`) these tests are skipped.

Every chromium runs in a process group of its own with a fresh profile and a timeout,
and the group is killed after each run, whatever happened.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest
from websockets.sync.client import connect

from .conftest import SAMPLE_SEEDS
from .daemon import Daemon, request, sample_daemon

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_TIMEOUT = 30.0
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)
SCREENS = {"phone": (412, 915), "desktop": (1280, 900)}

# What each subscribe link is, by its label: the `type` the page announces, and the
# media types the server may answer with (JSON Feed 1.1 allows plain JSON as well).
FORMATS = {
    "Atom": ("application/atom+xml", {"application/atom+xml"}),
    "RSS": ("application/rss+xml", {"application/rss+xml"}),
    "JSON Feed": ("application/feed+json", {"application/feed+json", "application/json"}),
}
SECTIONS = {"topic": "Topics", "mission": "Missions and offices"}
SEED_FIELDS = {"topic": "What we do:", "mission": "Where we are:"}


# --- the browser ---------------------------------------------------------------------


def chromium_binary() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not found:
        pytest.skip("chromium not installed: apt-get install chromium")
    return found


def processes_mentioning(text: str) -> list[int]:
    """The processes whose command line contains `text` (here: a profile folder)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if text.encode() in cmdline:
            pids.append(int(entry.name))
    return pids


@dataclass
class Browser:
    binary: str
    profiles: Path

    def run(self, *args: str) -> bytes:
        """One headless chromium with a new empty profile; its stdout. It is killed,
        with everything it started, after `CHROMIUM_TIMEOUT` or when it is done."""
        profile = Path(tempfile.mkdtemp(prefix="profile-", dir=self.profiles))
        argv = [self.binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, killed as one below
        )
        try:
            out, err = proc.communicate(timeout=CHROMIUM_TIMEOUT)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            pytest.fail(f"chromium still running after {CHROMIUM_TIMEOUT:.0f} s: {args}")
        finally:
            kill_group(proc)
            shutil.rmtree(profile, ignore_errors=True)
        left = processes_mentioning(str(profile))
        deadline = time.monotonic() + 5
        while left and time.monotonic() < deadline:  # SIGKILLed, not yet gone
            time.sleep(0.05)
            left = processes_mentioning(str(profile))
        assert left == [], f"chromium left processes behind: {left}"
        if proc.returncode != 0:
            tail = err.decode(errors="replace")[-2000:]
            pytest.fail(f"chromium exited with {proc.returncode}: {args}\n{tail}")
        return out

    def dom(self, url: str) -> Page:
        """The page at `url` as chromium rendered it."""
        html = self.run("--dump-dom", url).decode()
        assert html.strip(), f"chromium rendered nothing at {url}"
        return Page.parse(html, url)

    def screenshot(self, url: str, path: Path, size: tuple[int, int]) -> Path:
        path.unlink(missing_ok=True)
        self.run(f"--screenshot={path}", f"--window-size={size[0]},{size[1]}", url)
        assert path.is_file(), f"chromium wrote no screenshot of {url}"
        return path


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


# --- reading the rendered pages --------------------------------------------------------


@dataclass
class Link:
    text: str
    href: str
    type: str
    url: str  # href resolved against the page


@dataclass
class Row:
    """One `<li>`: its first plain link (a feed's name) and its subscribe links."""

    section: str
    name: Link | None = None
    subscribe: list[Link] = field(default_factory=list)


@dataclass
class Page:
    url: str
    title: str = ""
    h1: str = ""
    lang: str = ""
    alternates: list[Link] = field(default_factory=list)  # <link rel="alternate">
    rows: list[Row] = field(default_factory=list)
    subscribe: list[Link] = field(default_factory=list)  # every link in a `.sub`
    links: list[Link] = field(default_factory=list)  # every <a href>

    @classmethod
    def parse(cls, html: str, url: str) -> Page:
        parser = PageParser(cls(url))
        parser.feed(html)
        parser.close()
        return parser.page

    def section(self, prefix: str) -> list[Row]:
        rows = [row for row in self.rows if row.section.startswith(prefix)]
        assert rows, f"no section {prefix!r} on {self.url}"
        return rows


class PageParser(HTMLParser):
    def __init__(self, page: Page) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.text: list[str] | None = None  # the text of the element being read
        self.reading = ""  # which: title, h1, h2, a
        self.section = ""
        self.row: Row | None = None
        self.sub_depth = 0  # <span>/<p>s open since a class="sub" one, which counts as 1
        self.anchor: dict[str, str] = {}

    def link(self, attrs: dict[str, str], text: str = "") -> Link:
        href = attrs.get("href", "")
        return Link(
            " ".join(text.split()), href, attrs.get("type", ""), urljoin(self.page.url, href)
        )

    def handle_starttag(self, tag: str, attr_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attr_list}
        if tag == "html":
            self.page.lang = attrs.get("lang", "")
        elif tag == "link" and attrs.get("rel") == "alternate":
            self.page.alternates.append(self.link(attrs, attrs.get("title", "")))
        elif tag in ("title", "h1", "h2", "a"):
            self.reading, self.text, self.anchor = tag, [], attrs
        elif tag == "li":
            self.row = Row(self.section)
            self.page.rows.append(self.row)
        elif tag in ("span", "p") and (self.sub_depth or "sub" in attrs.get("class", "").split()):
            self.sub_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("span", "p") and self.sub_depth:
            self.sub_depth -= 1
        elif tag == "li":
            self.row = None
        elif tag == self.reading and self.text is not None:
            text = " ".join("".join(self.text).split())
            self.text = None
            if tag == "title":
                self.page.title = text
            elif tag == "h1":
                self.page.h1 = text
            elif tag == "h2":
                self.section = text
                return
            link = self.link(self.anchor, text)
            self.page.links.append(link)
            if self.sub_depth:
                self.page.subscribe.append(link)
                if self.row:
                    self.row.subscribe.append(link)
            elif self.row and self.row.name is None:
                self.row.name = link

    def handle_data(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)


# --- reading screenshots ---------------------------------------------------------------


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of pixels (3 or 4 bytes each) of an 8-bit, non-interlaced
    RGB or RGBA PNG, as chromium writes them: the stdlib's zlib and the PNG filters."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, header, idat = 8, b"", bytearray()
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, interlace) == (8, 0), (depth, interlace)
    assert colour in (2, 6), f"colour type {colour}, not RGB or RGBA"
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(bytes(idat))
    stride = width * bpp
    assert len(raw) == height * (stride + 1), "truncated image data"
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:  # Sub
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:  # Up
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        elif kind == 3:  # Average
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:  # Paeth
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = previous[i]
                c = previous[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xFF
        else:
            assert kind == 0, f"unknown PNG filter {kind}"
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def rows_reaching_the_right_edge(rows: list[bytes], bpp: int, margin: int = 4) -> list[int]:
    """The rows whose rightmost `margin` pixels are not all the colour of their leftmost
    pixel: text or boxes cut off by the edge of the screen (a page too wide for it)."""
    return [
        y
        for y, row in enumerate(rows)
        if any(row[i : i + bpp] != row[:bpp] for i in range(len(row) - margin * bpp, len(row), bpp))
    ]


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Browser:
    return Browser(chromium_binary(), tmp_path_factory.mktemp("chromium"))


@pytest.fixture(scope="module")
def site(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """The real daemon on a copy of the sample seeds, as after `make run`."""
    with sample_daemon(tmp_path_factory.mktemp("browser")) as daemon:
        yield daemon


@pytest.fixture(scope="module")
def index(browser: Browser, site: Daemon) -> Page:
    return browser.dom(site.base_url)


def seed_names(kind: str) -> set[str]:
    """Every topic or mission named in the sample seeds, read without our parser."""
    names = set()
    for path in SAMPLE_SEEDS.glob("*.txt"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith(SEED_FIELDS[kind]):
                value = line.removeprefix(SEED_FIELDS[kind])
                names |= {name.strip() for name in value.split(",") if name.strip()}
    return names


def check_subscribe_links(site: Daemon, links: list[Link], where: str) -> dict[str, bytes]:
    """Atom, RSS and JSON Feed links, each announcing its type and answering 200 with a
    feed's media type; the bodies by label."""
    assert [link.text for link in links] == list(FORMATS), f"subscribe links of {where}"
    bodies = {}
    for link in links:
        announced, served = FORMATS[link.text]
        assert link.type == announced, (where, link)
        assert urlsplit(link.url).netloc == urlsplit(site.base_url).netloc, link
        reply = request(site.port, urlsplit(link.url).path)
        assert reply.status == 200, (where, link, reply.status)
        assert reply.media_type() in served, (where, link, reply.media_type())
        bodies[link.text] = reply.body
    return bodies


# --- 1. the index ------------------------------------------------------------------------


def test_index_renders_with_autodiscovery(index: Page, site: Daemon) -> None:
    assert index.lang == "en"
    assert index.title
    assert index.h1 == index.title
    assert [(a.type, a.url) for a in index.alternates] == [
        (announced, urljoin(site.base_url, f"all.{suffix}"))
        for (announced, _), suffix in zip(FORMATS.values(), ("atom", "rss", "json"), strict=True)
    ]
    opml = [link for link in index.links if link.href.endswith(".opml")]
    assert opml, "no link to the OPML of all feeds"
    reply = request(site.port, urlsplit(opml[0].url).path)
    assert reply.status == 200
    assert reply.media_type() == "text/x-opml"


@pytest.mark.parametrize("kind", list(SECTIONS))
def test_index_lists_every_topic_and_mission_with_its_links(
    index: Page, site: Daemon, kind: str
) -> None:
    rows = index.section(SECTIONS[kind])
    names = [row.name.text for row in rows if row.name]
    assert len(names) == len(rows), "a row without a feed's name"
    assert sorted(names) == sorted(seed_names(kind))
    assert names == sorted(names, key=str.casefold), "not in alphabetical order"
    for row in rows:
        assert row.name
        # The name leads to the feed's own page...
        reply = request(site.port, urlsplit(row.name.url).path)
        assert reply.status == 200, row.name
        assert reply.media_type() == "text/html"
        assert Page.parse(reply.body.decode(), row.name.url).h1 == row.name.text
        # ...and the index has its subscribe links as well.
        check_subscribe_links(site, row.subscribe, f"index row {row.name.text}")


# --- 2. two clicks: index -> feed page -> subscribe ---------------------------------------


@pytest.mark.parametrize("kind", list(SECTIONS))
def test_two_clicks_from_the_index_to_a_subscription(
    browser: Browser, index: Page, site: Daemon, kind: str
) -> None:
    # Click 1: the first topic or mission listed on the index.
    row = index.section(SECTIONS[kind])[0]
    assert row.name
    page = browser.dom(row.name.url)
    assert page.h1 == row.name.text
    assert row.name.text in page.title

    # Click 2: a subscribe link; each gives a feed of this topic or mission.
    bodies = check_subscribe_links(site, page.subscribe, f"the page of {row.name.text}")
    atom, rss = feedparser.parse(bodies["Atom"]), feedparser.parse(bodies["RSS"])
    assert not atom.bozo, atom.get("bozo_exception")
    assert atom.version == "atom10"
    assert not rss.bozo, rss.get("bozo_exception")
    assert rss.version.startswith("rss20")
    jsonfeed = json.loads(bodies["JSON Feed"])
    assert jsonfeed["version"] == "https://jsonfeed.org/version/1.1"
    for title in (atom.feed.title, rss.feed.title, jsonfeed["title"]):
        assert row.name.text in title
    # Readers that are given the page find the same feeds.
    assert [(a.type, a.url) for a in page.alternates] == [(s.type, s.url) for s in page.subscribe]

    # The page shows the feed's entries, each linking to its item on a month page.
    items = [r.name for r in page.rows if r.name]
    assert [item.text for item in items] == [entry.title for entry in atom.entries]
    for item in items:
        target = urlsplit(item.url)
        assert target.path.startswith("/items/"), item
        assert target.fragment.startswith("item-"), item
        month = request(site.port, target.path)
        assert month.status == 200
        assert f'id="{target.fragment}"' in month.body.decode(), item


# --- 3. screenshots ------------------------------------------------------------------------


@pytest.mark.parametrize("screen", list(SCREENS))
def test_index_screenshot(browser: Browser, site: Daemon, screen: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    size = SCREENS[screen]
    path = browser.screenshot(site.base_url, ARTIFACTS / f"index-{screen}.png", size)
    data = path.read_bytes()
    assert len(data) > 10_000, f"{path}: {len(data)} bytes, too small for a page of text"

    width, height, rows = png_pixels(data)
    assert (width, height) == size
    bpp = len(rows[0]) // width
    pixels = Counter(row[i : i + bpp] for row in rows for i in range(0, len(row), bpp))
    count = pixels.most_common(1)[0][1]
    assert len(pixels) > 50, f"{path}: {len(pixels)} colours, not a rendered page"
    assert count < 0.99 * width * height, f"{path}: almost all one colour"
    cut = rows_reaching_the_right_edge(rows, bpp)
    assert cut == [], f"{path}: content runs off the right edge in rows {cut[0]}-{cut[-1]}"


# --- 4. a feed cut to measure, composed with the index's form -------------------------------

DEVTOOLS_LINE = re.compile(r"DevTools listening on (ws://\S+)")


class DevTools:
    """One chromium driven over the Chrome DevTools Protocol: started with
    `--remote-debugging-port=0`, its websocket address read from its stderr, one page
    target attached (flat sessions), commands sent and answered in order."""

    def __init__(self, binary: str, profiles: Path) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="profile-", dir=profiles))
        self.stderr = self.profile.parent / f"{self.profile.name}.stderr"
        argv = [
            binary,
            *CHROMIUM_FLAGS,
            "--remote-debugging-port=0",
            f"--user-data-dir={self.profile}",
            "about:blank",
        ]
        with open(self.stderr, "wb") as err:  # a file: chromium never blocks on a full pipe
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,  # its own process group, killed as one in `close`
            )
        self.ids = itertools.count(1)
        self.stack = contextlib.ExitStack()  # the websocket, closed in `close`
        try:
            address = self.wait_for_address()
            self.socket = self.stack.enter_context(connect(address, max_size=None, open_timeout=5))
            target = self.call("Target.createTarget", url="about:blank")["targetId"]
            attached = self.call("Target.attachToTarget", targetId=target, flatten=True)
            self.session = attached["sessionId"]
        except BaseException:
            self.close()
            raise

    def wait_for_address(self) -> str:
        deadline = time.monotonic() + CHROMIUM_TIMEOUT
        while time.monotonic() < deadline:
            found = DEVTOOLS_LINE.search(self.stderr.read_text(errors="replace"))
            if found:
                return found.group(1)
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        tail = self.stderr.read_text(errors="replace")[-2000:]
        pytest.fail(f"chromium gave no DevTools address (exit {self.proc.poll()}):\n{tail}")

    def call(self, method: str, *, session: bool = False, **params: object) -> dict[str, Any]:
        """Send one command (to the page with `session`) and return its result; the
        events that arrive meanwhile are not needed here and are dropped."""
        ident = next(self.ids)
        message: dict[str, object] = {"id": ident, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self.socket.send(json.dumps(message))
        deadline = time.monotonic() + CHROMIUM_TIMEOUT
        while True:
            reply = json.loads(self.socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            if reply.get("id") == ident:
                assert "error" not in reply, (method, params, reply["error"])
                result: dict[str, Any] = reply["result"]
                return result

    def evaluate(self, expression: str) -> Any:
        """The value of a script expression in the page (awaited if a promise)."""
        result = self.call(
            "Runtime.evaluate",
            session=True,
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        assert "exceptionDetails" not in result, (expression, result["exceptionDetails"])
        return result["result"].get("value")

    def wait_for_page(self, path: str) -> str:
        """Wait until the page shown is at `path` and loaded; its address."""
        check = (
            f"document.readyState === 'complete' && location.pathname === {json.dumps(path)}"
            " ? location.href : ''"
        )
        deadline = time.monotonic() + CHROMIUM_TIMEOUT
        while time.monotonic() < deadline:
            href = self.evaluate(check)
            if href:
                return str(href)
            time.sleep(0.05)
        pytest.fail(f"no loaded page at {path}; the page is {self.evaluate('location.href')}")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.stack.close()
        kill_group(self.proc)
        shutil.rmtree(self.profile, ignore_errors=True)
        left = processes_mentioning(str(self.profile))
        deadline = time.monotonic() + 5
        while left and time.monotonic() < deadline:  # SIGKILLed, not yet gone
            time.sleep(0.05)
            left = processes_mentioning(str(self.profile))
        self.stderr.unlink(missing_ok=True)
        assert left == [], f"chromium left processes behind: {left}"


@pytest.fixture
def devtools(browser: Browser) -> Iterator[DevTools]:
    driven = DevTools(browser.binary, browser.profiles)
    try:
        yield driven
    finally:
        driven.close()


def folded(text: str) -> str:
    """Lower case without diacritics, for the expectation below."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if c.isascii())


METADATA = ("Content type:", "Where we are:", "What we do:")


def sample_items() -> list[dict[str, str]]:
    """Every item of the sample seeds, read without our parser (they have no cut or
    broken item): title, the labelled lines after the date, and the summary."""
    items = []
    for path in sorted(SAMPLE_SEEDS.glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if not line.startswith("Publishing date:"):
                continue
            found = {"title": lines[i - 1]}
            j = i + 1
            while j < len(lines) and lines[j].startswith(METADATA):
                label, _, value = lines[j].partition(": ")
                found[label] = value
                j += 1
            found["summary"] = lines[j] if j < len(lines) else ""
            items.append(found)
    return items


def test_the_index_form_leads_to_a_feed_to_subscribe_to(devtools: DevTools, site: Daemon) -> None:
    """A reader opens the index, chooses a mission and a topic in the form, types a
    word (without its diacritic), and sends the form: chromium lands on the feed's page
    at its one canonical address, whose Atom link, fetched over HTTP, holds exactly the
    items of that mission and topic that mention the word."""
    mission, topic, word = "OSCE Mission to Bosnia and Herzegovina", "Policing", "Odzak"
    devtools.call("Page.navigate", session=True, url=site.base_url)
    devtools.wait_for_page("/")
    for name, label in (("mission", mission), ("topic", topic)):
        chosen = devtools.evaluate(
            f"(() => {{ const s = document.getElementById('compose-{name}');"
            f" const o = [...s.options].find(o => o.text === {json.dumps(label)});"
            " if (o) { s.value = o.value; } return o ? o.value : null; })()"
        )
        assert chosen, f"the form offers no {name} {label!r}"
    devtools.evaluate("document.getElementById('compose-q').focus()")
    devtools.call("Input.insertText", session=True, text=word)  # typed, as a person would
    assert devtools.evaluate("document.getElementById('compose-q').value") == word
    devtools.evaluate("document.querySelector('#compose-form button[type=submit]').click()")

    href = devtools.wait_for_page("/feed.html")
    query = "mission=osce-mission-to-bosnia-and-herzegovina&q=odzak&topic=policing"
    assert href == f"{site.base_url}feed.html?{query}"  # the canonical address
    assert devtools.evaluate("document.querySelector('h1').textContent").startswith(
        f"{topic} – {mission}"
    )
    links = devtools.evaluate(
        "[...document.querySelectorAll('.sub a')].map(a => [a.textContent, a.href, a.type])"
    )
    by_label = {text: (url, kind) for text, url, kind in links}
    assert list(by_label) == list(FORMATS)
    atom, announced = by_label["Atom"]
    assert (atom, announced) == (f"{site.base_url}feed.atom?{query}", FORMATS["Atom"][0])

    reply = request(site.port, urlsplit(atom).path + "?" + urlsplit(atom).query)
    assert reply.status == 200
    assert reply.media_type() == FORMATS["Atom"][0]
    feed = feedparser.parse(reply.body)
    assert not feed.bozo, feed.bozo_exception
    assert [link.href for link in feed.feed.links if link.rel == "self"] == [atom]
    expected = {
        item["title"]
        for item in sample_items()
        if mission in item.get("Where we are", "").split(", ")
        and topic in item.get("What we do", "").split(", ")
        and folded(word) in folded(item["title"] + "\n" + item["summary"])
    }
    assert expected, "the sample seeds hold no such item: the test would prove nothing"
    assert {entry.title for entry in feed.entries} == expected
