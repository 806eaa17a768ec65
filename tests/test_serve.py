"""The HTTP origin as readers, proxies and CDNs see it: the real `Server` on 127.0.0.1
over a `public/` made by a real build, spoken to with http.client and raw sockets.
RFC 9110 is the reference: representations and their validators, preconditions,
ranges, HEAD, redirects, cache policy; then connection hygiene, and REDbot's notes
on every kind of resource."""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import logging
import os
import resource
import selectors
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from benchmarks.generate import write_pages
from feeds import http as origin
from feeds.build import build
from feeds.config import Config
from feeds.serve import RepeatFilter, Server

from .conftest import SAMPLE_SEEDS

FEED_SIZE = 5  # with the items below, archive pages of all kinds
GENERATED_ITEMS = 400
FEED = "/all.atom"
PAST = "Mon, 01 Jan 1990 00:00:00 GMT"
FUTURE = "Fri, 01 Jan 2100 00:00:00 GMT"
TIMEOUT = 10.0


class Reply:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = {name.lower(): value for name, value in headers}
        self.body = body


def request(port: int, path: str, method: str = "GET", **fields: str) -> Reply:
    """One request, the path sent as given; `If_None_Match=` is `If-None-Match:`."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.putrequest(method, path, skip_host="Host" in fields, skip_accept_encoding=True)
        for name, value in fields.items():
            connection.putheader(name.replace("_", "-"), value)
        connection.endheaders()
        response = connection.getresponse()
        return Reply(response.status, response.getheaders(), response.read())
    finally:
        connection.close()


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    seeds = root / "seeds"
    shutil.copytree(SAMPLE_SEEDS, seeds)
    write_pages(seeds, GENERATED_ITEMS)  # enough for finished archive pages
    config = Config(
        seeds=seeds,
        public=root / "public",
        base_url="http://127.0.0.1/",
        feed_size=FEED_SIZE,
    )
    build(config)
    (config.public / "folder").mkdir()
    (config.public / "folder" / "index.html").write_text("<!doctype html><title>x</title>")
    return config.public


def start_server(public: Path, **options: object) -> Server:
    server = Server(public, "127.0.0.1", 0, lambda: {"ok": True}, feed_size=FEED_SIZE, **options)  # type: ignore[arg-type]
    server.start()
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            request(server.port, "/healthz")
            return server
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


@pytest.fixture(scope="module")
def port(public: Path) -> Iterator[int]:
    server = start_server(public)
    yield server.port
    server.stop()


def archive_pages(public: Path) -> list[str]:
    return sorted(str(p.relative_to(public)) for p in (public / "archive").rglob("*.atom"))


# --- representations ------------------------------------------------------------------


def test_gzip_and_identity_have_their_own_strong_etags(port: int) -> None:
    plain = request(port, FEED)
    zipped = request(port, FEED, Accept_Encoding="gzip")
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped.body) == plain.body
    assert plain.headers["etag"] != zipped.headers["etag"]
    assert not plain.headers["etag"].startswith("W/")
    assert zipped.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'


@pytest.mark.parametrize("coding", ["", "gzip"])
def test_every_answer_about_a_feed_varies_on_accept_encoding(port: int, coding: str) -> None:
    first = request(port, FEED, Accept_Encoding=coding)
    answers = [
        first,
        request(port, FEED, "HEAD", Accept_Encoding=coding),
        request(port, FEED, Accept_Encoding=coding, If_None_Match=first.headers["etag"]),
        request(port, FEED, Accept_Encoding=coding, Range="bytes=0-9"),
        request(port, "/index.html", Accept_Encoding=coding),
    ]
    assert [a.status for a in answers] == [200, 200, 304, 206, 200]
    assert all(a.headers.get("vary") == "Accept-Encoding" for a in answers)


@pytest.mark.parametrize("coding", ["", "gzip"])
def test_not_modified_carries_what_a_cache_needs(port: int, coding: str) -> None:
    full = request(port, FEED, Accept_Encoding=coding)
    for condition in (
        {"If_None_Match": full.headers["etag"]},
        {"If_Modified_Since": full.headers["last-modified"]},
    ):
        again = request(port, FEED, Accept_Encoding=coding, **condition)
        assert again.status == 304
        assert again.body == b""
        for name in ("etag", "vary", "cache-control", "last-modified"):
            assert again.headers[name] == full.headers[name], name
        assert "date" in again.headers


@pytest.mark.parametrize("path", [FEED, "/all.json", "/index.html", "/style.css"])
@pytest.mark.parametrize("coding", ["", "gzip"])
def test_head_answers_what_get_would(port: int, path: str, coding: str) -> None:
    get = request(port, path, Accept_Encoding=coding)
    head = request(port, path, "HEAD", Accept_Encoding=coding)
    assert head.body == b""
    assert int(head.headers["content-length"]) == len(get.body)
    del get.headers["date"], head.headers["date"]
    assert head.headers == get.headers


@pytest.mark.parametrize(
    ("accept", "gzipped"),
    [
        ("gzip", True),
        ("gzip;q=0", False),
        ("gzip;q=0, identity", False),
        ("*", True),
        ("*;q=0, identity", False),
        ("deflate", False),
        ("identity;q=0, gzip", True),
        ("identity;q=0", False),  # nothing acceptable: identity all the same
        ("gzip;q=0.5, identity;q=1", False),
        ("gzip;q=0.5", True),
        ("x-gzip", True),
    ],
)
def test_accept_encoding_is_honoured(port: int, accept: str, gzipped: bool) -> None:
    reply = request(port, FEED, Accept_Encoding=accept)
    assert reply.status == 200
    assert (reply.headers.get("content-encoding") == "gzip") is gzipped
    assert reply.headers["etag"].endswith('-gzip"') is gzipped


def test_each_published_version_is_read_and_compressed_once(
    public: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = []
    compress = gzip.compress

    def counted(data: bytes, *args: object, **kwargs: object) -> bytes:
        made.append(len(data))
        return compress(data, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(origin.gzip, "compress", counted)
    feed = public / FEED[1:]
    original = feed.read_bytes()
    new = public / "all.atom.new"
    server = start_server(public)
    try:
        first = [request(server.port, FEED, Accept_Encoding="gzip") for _ in range(5)]
        assert len(made) == 1
        assert len({r.headers["etag"] for r in first}) == 1
        # A new version, published as the daemon does: a new file renamed over it.
        new.write_bytes(original.replace(b"</feed>", b"<!-- new --></feed>"))
        os.replace(new, feed)
        second = request(server.port, FEED, Accept_Encoding="gzip")
        assert b"<!-- new --></feed>" in gzip.decompress(second.body)
        assert second.headers["etag"] != first[0].headers["etag"]
        assert len(made) == 2
    finally:
        server.stop()
        new.write_bytes(original)
        os.replace(new, feed)


def test_a_new_version_asked_for_by_many_at_once_is_read_once(
    public: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Readers polling together right after a publish: the first request reads the new
    version, the others wait for that read instead of each reading and compressing it."""
    reads = []
    read_version = origin.read_version

    def slow_read(*args: object) -> origin.Version | None:
        reads.append(args[1])
        time.sleep(0.3)  # a large feed on a slow disk: long enough for all to arrive
        return read_version(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(origin, "read_version", slow_read)
    clients = 16
    together = threading.Barrier(clients)

    def poll(_: int) -> Reply:
        together.wait()
        return request(server.port, FEED, Accept_Encoding="gzip")

    server = start_server(public)
    try:
        with ThreadPoolExecutor(clients) as pool:
            replies = list(pool.map(poll, range(clients)))
    finally:
        server.stop()
    assert [r.status for r in replies] == [200] * clients
    assert len({r.body for r in replies}) == 1
    assert reads == [FEED[1:]]


def test_kept_versions_stay_within_their_bound(public: Path) -> None:
    files = origin.Files(public, FEED_SIZE, limit=400_000)
    paths = [str(p.relative_to(public)) for p in public.rglob("*.atom")]
    for path in paths:
        version = files.read(path)
        assert version is not None
        files.keep(path, version)
        assert files.size <= files.limit
        assert files.size == sum(v.size for v in files.kept.values())
    assert 0 < len(files.kept) < len(paths)
    assert files.current(paths[-1]) is not None  # the newest kept is still there


# --- preconditions (RFC 9110 section 13.2.2) -------------------------------------------


@pytest.fixture(scope="module")
def validators(port: int) -> tuple[str, str]:
    full = request(port, FEED)
    return full.headers["etag"], full.headers["last-modified"]


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"If_Match": '"nope"'}, 412),
        ({"If_Match": "{etag}"}, 200),
        ({"If_Match": '"nope", {etag}'}, 200),
        ({"If_Match": "*"}, 200),
        ({"If_Match": "W/{etag}"}, 412),  # strong comparison
        ({"If_Unmodified_Since": PAST}, 412),
        ({"If_Unmodified_Since": "{modified}"}, 200),
        ({"If_Unmodified_Since": "not a date"}, 200),
        ({"If_Match": "{etag}", "If_Unmodified_Since": PAST}, 200),  # If-Match wins
        ({"If_None_Match": "{etag}"}, 304),
        ({"If_None_Match": "W/{etag}"}, 304),  # weak comparison
        ({"If_None_Match": '"a", {etag}'}, 304),
        ({"If_None_Match": "*"}, 304),
        ({"If_None_Match": '"nope"'}, 200),
        ({"If_None_Match": '"nope"', "If_Modified_Since": "{modified}"}, 200),
        ({"If_Match": '"nope"', "If_None_Match": "{etag}"}, 412),  # If-Match first
        ({"If_Modified_Since": "{modified}"}, 304),
        ({"If_Modified_Since": PAST}, 200),
        ({"If_Modified_Since": FUTURE}, 200),  # a date in the future is invalid
        ({"If_Modified_Since": "yesterday"}, 200),
    ],
)
def test_preconditions(
    port: int, validators: tuple[str, str], fields: dict[str, str], status: int
) -> None:
    etag, modified = validators
    filled = {k: v.format(etag=etag, modified=modified) for k, v in fields.items()}
    reply = request(port, FEED, **filled)
    assert reply.status == status
    if status == 412:
        assert reply.body == b""


# --- ranges -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "span"),
    [
        ("bytes=0-9", (0, 10)),
        ("bytes=10-", (10, None)),
        ("bytes=-7", (-7, None)),
        ("bytes=5-5", (5, 6)),
        ("bytes=100-99999999", (100, None)),
        ("BYTES=0-0", (0, 1)),
    ],
)
@pytest.mark.parametrize("coding", ["", "gzip"])
def test_a_byte_range_is_partial_content(
    port: int, spec: str, span: tuple[int, int | None], coding: str
) -> None:
    full = request(port, FEED, Accept_Encoding=coding)
    part = request(port, FEED, Range=spec, Accept_Encoding=coding)
    assert full.headers["accept-ranges"] == "bytes"
    assert part.status == 206
    expected = full.body[span[0] : span[1]]
    assert part.body == expected
    start = span[0] % len(full.body)
    assert part.headers["content-range"] == (
        f"bytes {start}-{start + len(expected) - 1}/{len(full.body)}"
    )
    assert part.headers["etag"] == full.headers["etag"]
    assert part.headers.get("content-encoding") == full.headers.get("content-encoding")


@pytest.mark.parametrize("spec", ["bytes=99999999-", "bytes=-0"])
def test_an_unsatisfiable_range_is_416(port: int, spec: str) -> None:
    size = len(request(port, FEED).body)
    reply = request(port, FEED, Range=spec)
    assert reply.status == 416
    assert reply.headers["content-range"] == f"bytes */{size}"


@pytest.mark.parametrize("spec", ["bytes=0-1,5-6", "bytes=9-2", "pages=1-2", "bytes=x-"])
def test_other_ranges_get_the_whole_representation(port: int, spec: str) -> None:
    full = request(port, FEED)
    reply = request(port, FEED, Range=spec)
    assert (reply.status, reply.body) == (200, full.body)


def test_if_range(port: int, validators: tuple[str, str]) -> None:
    etag, modified = validators
    assert request(port, FEED, Range="bytes=0-9", If_Range=etag).status == 206
    assert request(port, FEED, Range="bytes=0-9", If_Range=modified).status == 206
    for stale in ('"old"', f"W/{etag}", PAST):
        reply = request(port, FEED, Range="bytes=0-9", If_Range=stale)
        assert reply.status == 200
        assert "content-range" not in reply.headers
    # The identity ETag does not validate the gzip representation.
    zipped = request(port, FEED, Range="bytes=0-9", If_Range=etag, Accept_Encoding="gzip")
    assert zipped.status == 200


def test_head_ignores_range(port: int) -> None:
    assert request(port, FEED, "HEAD", Range="bytes=0-9").status == 200


# --- paths and redirects ----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/.",
        "/./",
        "/..",
        "/all.atom/",
        "/all.atom/.",
        "//all.atom",
        "/topics",
        "/topics/",
        "/.osce-feeds/manifest.json",
        "/items/../all.atom",
        "/missing.atom",
    ],
)
def test_paths_that_name_no_file_are_404_and_never_redirect(port: int, path: str) -> None:
    reply = request(port, path, Host="evil.example")
    assert reply.status == 404
    assert "location" not in reply.headers
    assert reply.headers["cache-control"] == origin.NOT_FOUND


def test_a_folder_with_an_index_redirects_relatively(port: int) -> None:
    reply = request(port, "/folder", Host="evil.example")
    assert reply.status == 301
    assert reply.headers["location"] == "folder/"
    assert request(port, "/folder/").status == 200
    assert request(port, "/").body == request(port, "/index.html").body


def test_other_methods_are_not_allowed(port: int) -> None:
    reply = request(port, FEED, "POST")
    assert reply.status == 405
    assert set(reply.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}


# --- cache policy -----------------------------------------------------------------------


def test_cache_policy(port: int, public: Path) -> None:
    revalidate = [
        FEED,
        "/all.rss",
        "/all.json",
        "/topics/policing.atom",
        "/topics/policing.html",
        "/index.html",
        "/feeds.opml",
        "/style.css",
        "/items/2020/09.html",
    ]
    for path in revalidate:
        assert request(port, path).headers["cache-control"] == "no-cache", path
    health = request(port, "/healthz")
    assert health.headers["cache-control"] == "no-store"
    assert json.loads(health.body) == {"ok": True}
    assert request(port, "/nothing-here").headers["cache-control"] == "max-age=60"


def test_finished_archive_pages_are_kept_longer(port: int, public: Path) -> None:
    """Coarse pages but the oldest never change once cut: a day's freshness. The
    other archive pages (fine pages, the oldest) revalidate."""
    finished = []
    for path in archive_pages(public):
        body = (public / path).read_bytes()
        name = int(Path(path).stem, 16)
        is_coarse = name % (4 * FEED_SIZE) == 0
        is_oldest = b'rel="next-archive"' in body.split(b"<entry")[0]
        policy = request(port, f"/{path}").headers["cache-control"]
        if is_coarse and not is_oldest:
            finished.append(path)
            assert policy == "max-age=86400", path
        else:
            assert policy == "no-cache", path
    assert finished, "the sample makes no finished archive page"


# --- connections ------------------------------------------------------------------------


def closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        while sock.recv(1024):
            pass
        return True
    except (TimeoutError, ConnectionResetError):
        return False


def test_idle_and_slow_connections_are_closed(public: Path) -> None:
    server = start_server(public, head_timeout=0.3)
    try:
        idle = socket.create_connection(("127.0.0.1", server.port))
        slow = socket.create_connection(("127.0.0.1", server.port))
        slow.sendall(b"GET /all.atom HTTP/1.1\r\nHost: x\r\n")  # and never the end
        assert closed_within(idle, TIMEOUT)
        assert closed_within(slow, TIMEOUT)
    finally:
        idle.close()
        slow.close()
        server.stop()


def test_beyond_the_cap_idle_connections_make_room(public: Path) -> None:
    server = start_server(public, max_connections=20)
    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(60)]
    try:
        for _ in range(3):
            assert request(server.port, "/healthz").status == 200
        open_ones = 0
        for sock in idle:
            sock.settimeout(0.001)
            with contextlib.suppress(TimeoutError):
                if sock.recv(1) == b"":
                    continue
            open_ones += 1
        assert open_ones <= 20
    finally:
        for sock in idle:
            sock.close()
        server.stop()


def test_answers_are_not_held_back_by_nagle(public: Path) -> None:
    """A response's head and body are two writes: with Nagle's algorithm on, a small
    gzip body waited for the client's delayed ACK, 40 ms a request on a kept-alive
    connection."""
    server = start_server(public)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        connection.request("GET", FEED, headers={"Accept-Encoding": "gzip"})
        connection.getresponse().read()
        sockets = [
            c.transport.get_extra_info("socket") for c in server.server.server_state.connections
        ]
        assert sockets
        assert all(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in sockets)
    finally:
        connection.close()
        server.stop()


def test_repeated_log_lines_are_counted_not_repeated() -> None:
    logger = logging.getLogger("tests.repeats")
    logger.propagate = False
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    logger.addHandler(handler)
    repeats = RepeatFilter(window=3600)
    logger.addFilter(repeats)
    try:
        for n in range(1000):
            logger.error("socket.accept() out of system resource\nsocket: fd=%d", n)
        logger.error("something else")
        assert records == [
            "socket.accept() out of system resource\nsocket: fd=0",
            "something else",
        ]
        repeats.window = 0  # the window has passed: the next one says how many were left out
        logger.error("socket.accept() out of system resource\nsocket: fd=%d", 1)
        assert records[-1].endswith("(999 more like it in the last 0 s)")
    finally:
        logger.removeFilter(repeats)
        logger.removeHandler(handler)


IDLE_CONNECTIONS = 1100
OPEN_FILES = 1024

DAEMON_WITH_FEW_FILES = """
import resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, ({limit}, {limit}))
from feeds.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_thousand_idle_connections_leave_the_daemon_serving_and_publishing(
    tmp_path: Path,
) -> None:
    """The daemon limited to 1,024 open files, 1,100 idle connections held open:
    `/healthz` still answers at once, a new page is still published, and the log
    stays small."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = IDLE_CONNECTIONS + 200
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"this test needs {needed} open files, the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, needed), hard))
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for page in sorted(SAMPLE_SEEDS.iterdir())[:-1]:
        (seeds / page.name).write_bytes(page.read_bytes())
    log_path = tmp_path / "daemon.log"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    argv = [
        sys.executable,
        "-c",
        DAEMON_WITH_FEW_FILES.format(limit=OPEN_FILES),
        "serve",
        "--seeds",
        str(seeds),
        "--public",
        str(tmp_path / "public"),
        "--port",
        str(port),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSCE_FEEDS_")}
    idle: list[socket.socket] = []
    with open(log_path, "wb") as log:
        daemon = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        wait_for(lambda: healthz(port) == 200, "the first build")
        idle = open_connections(port, IDLE_CONNECTIONS)
        # The first answer may wait for the burst of connects to leave the listen
        # queue (a connect dropped from a full queue is retried by the kernel after
        # 1 s); then, with the idle connections held open, every answer is prompt.
        wait_for(lambda: healthz(port) == 200, "/healthz after the burst")
        for _ in range(5):
            started = time.monotonic()
            assert healthz(port) == 200
            assert time.monotonic() - started < 1.0
        last = sorted(SAMPLE_SEEDS.iterdir())[-1]
        before = request(port, FEED).body
        (seeds / last.name).write_bytes(last.read_bytes())
        wait_for(lambda: request(port, FEED).body != before, "the new page to be published")
        assert healthz(port) == 200
    finally:
        for sock in idle:
            sock.close()
        daemon.terminate()
        daemon.wait(TIMEOUT)
    log_text = log_path.read_text(errors="replace")
    assert "Too many open files" not in log_text
    assert len(log_text.splitlines()) < 50, log_text[-3000:]


def open_connections(port: int, count: int) -> list[socket.socket]:
    """`count` connections, opened at once (not one after the other, each waiting for
    the last: a full listen queue makes a connect wait a second for its retry)."""
    sockets = []
    with selectors.DefaultSelector() as selector:
        for _ in range(count):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
            selector.register(sock, selectors.EVENT_WRITE)
            sockets.append(sock)
        pending = set(sockets)
        deadline = time.monotonic() + TIMEOUT
        while pending and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=1):
                selector.unregister(key.fileobj)
                pending.discard(key.fileobj)  # type: ignore[arg-type]
    assert not pending, f"{len(pending)} connections not made"
    return sockets


def healthz(port: int) -> int:
    try:
        return request(port, "/healthz").status
    except OSError:
        return 0


def wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


# --- REDbot -----------------------------------------------------------------------------

REDBOT_RESOURCES = {
    "Atom": FEED,
    "RSS": "/all.rss",
    "JSON Feed": "/all.json",
    "finished archive page": None,  # found in the build
    "newest archive page": None,
    "feed page": "/topics/policing.html",
    "month page": "/items/2020/09.html",
    "index": "/",
    "OPML": "/feeds.opml",
    "stylesheet": "/style.css",
    "health": "/healthz",
    "missing": "/no/such/file.atom",
}


def redbot_notes(url: str) -> list[dict[str, str]]:
    """REDbot's notes on one URL, from its HAR output (`_red_messages`)."""
    done = subprocess.run(
        [sys.executable, "-c", "from redbot.cli import main; main()", "-o", "har", url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    har = json.loads(done.stdout)
    assert "_red_error" not in har["log"], har["log"]["_red_error"]
    assert har["log"]["entries"], done.stdout[:2000]
    notes: list[dict[str, str]] = []
    for entry in har["log"]["entries"]:
        pending = list(entry["_red_messages"])
        while pending:
            note = pending.pop()
            notes.append(note)
            pending.extend(note.get("subnotes", []))
    return notes


@pytest.fixture(scope="module")
def redbot_reports(port: int, public: Path) -> dict[str, list[dict[str, str]]]:
    """REDbot's notes on each kind of resource, checked a few at a time."""
    try:
        import redbot  # noqa: F401
    except ImportError as error:
        pytest.skip(f"REDbot IS NOT INSTALLED, HTTP lint NOT RUN: {error}")
    policies = {p: request(port, f"/{p}").headers["cache-control"] for p in archive_pages(public)}
    paths = dict(REDBOT_RESOURCES)
    for kind, finished in (("finished archive page", True), ("newest archive page", False)):
        paths[kind] = "/" + next(p for p, cc in policies.items() if (cc != "no-cache") is finished)
    with ThreadPoolExecutor(4) as pool:
        notes = pool.map(
            lambda path: redbot_notes(f"http://127.0.0.1:{port}{path}"), paths.values()
        )
        return dict(zip(paths, notes, strict=True))


@pytest.mark.parametrize("kind", list(REDBOT_RESOURCES))
def test_redbot_finds_nothing_to_warn_of(
    redbot_reports: dict[str, list[dict[str, str]]], kind: str
) -> None:
    notes = redbot_reports[kind]
    assert notes
    lines = [f"{n['level']} {n['note_id']}: {n['summary']}" for n in notes]
    assert not [line for line in lines if line.startswith(("WARN", "BAD"))], lines
