"""What an HTTP origin answers for a file of `public/`, by RFC 9110: no sockets here.

A published file has two representations, identity and gzip, each with its own
strong ETag (the gzip one is the identity one with `-gzip` inside the quotes), and
`Vary: Accept-Encoding` on every answer about a compressible file. Preconditions are
evaluated in the order of RFC 9110 section 13.2.2; a single byte range is answered
206 on the selected representation (several ranges get the whole of it, as a server
may ignore `Range`). HEAD answers what GET would, without the body.

`Files` keeps each published version's bytes, its digest and its gzip bytes, keyed by
path and checked against the file's stat on each request, so a feed is read, hashed
and compressed once per version rather than once per request. The daemon replaces a
file by renaming a new one over it (`publish`), so a new version is a new inode.

How long caches may keep what (`cache_control`) is decided here too.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import mimetypes
import os
import re
import stat
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from feeds.layout import COARSE_FACTOR, archive_name

MEDIA_TYPES = {
    ".atom": "application/atom+xml",
    ".rss": "application/rss+xml",
    ".opml": "text/x-opml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/feed+json",  # every .json served is a JSON Feed
}
COMPRESSIBLE = ("text/", "application/atom+xml", "application/rss+xml", "application/feed+json")
GZIP_LEVEL = 6

# Cache-Control by kind of resource; the README's serving section has the table.
REVALIDATE = "no-cache"  # feeds, pages, OPML, stylesheet: a cheap 304 when unchanged
FINISHED_ARCHIVE = "max-age=86400"  # changes only when an old item inside it does
NOT_FOUND = "max-age=60"  # a new feed may appear with the next publish
NO_STORE = "no-store"  # /healthz: always asked of the daemon itself

# Kept versions of files: bytes of both representations together, at most. A file
# larger than a quarter of it is served but not kept.
CACHE_BYTES = 32 * 1024 * 1024
ENTITY_TAG = re.compile(r'\s*(W/)?("[^"]*")\s*(?:,|$)')

Headers = Mapping[str, str]  # request headers, names in lower case


@dataclass(slots=True)
class Version:
    """One published version of one file: its bytes, validators and policy."""

    key: tuple[int, int, int, int]  # inode, size, mtime and ctime in ns
    body: bytes
    etag: str  # of the identity representation, quotes included
    modified: int  # Last-Modified, in whole seconds since the epoch
    media_type: str
    cache_control: str
    gzipped: bytes | None = field(default=None, repr=False)

    @property
    def compressible(self) -> bool:
        return self.media_type.startswith(COMPRESSIBLE)

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"")

    def gzip_body(self) -> bytes:
        """The gzip representation, made once. Fixed level and no timestamp: the same
        identity bytes always give the same gzip bytes, as their strong ETag says."""
        if self.gzipped is None:
            self.gzipped = gzip.compress(self.body, GZIP_LEVEL, mtime=0)
        return self.gzipped


@dataclass(frozen=True, slots=True)
class Answer:
    """A response: status, header fields, body (empty for HEAD)."""

    status: int
    headers: dict[str, str]
    body: bytes = b""


def stat_key(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def media_type_of(path: str) -> str:
    suffix = os.path.splitext(path)[1].lower()
    found = MEDIA_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    if found.startswith("text/") and "charset" not in found:
        found += "; charset=utf-8"
    return found


def resolve(url_path: str) -> str | None:
    """The file under `public/` that a decoded URL path names, or None for 404.

    No empty, `.` or `..` segment and no hidden name (the daemon's state folder): a
    path is taken as it comes, never normalised, so nothing outside `public/` or
    under `.osce-feeds/` can be named. A trailing slash names a folder's
    `index.html`; `/all.atom/` so names `all.atom/index.html`, which does not exist."""
    if not url_path.startswith("/") or "\\" in url_path or "\0" in url_path:
        return None
    parts = url_path[1:].split("/")
    if parts[-1] == "":
        parts[-1] = "index.html"
    if any(not part or part.startswith(".") for part in parts):
        return None
    return "/".join(parts)


def is_finished_archive(path: str, body: bytes, feed_size: int) -> bool:
    """Whether an archive page is one that stays as it is once cut (see `feeds.layout`):
    a coarse page, named after an entry whose id number is a multiple of four times
    the feed size, that is not the oldest page (whose link to the next newer page
    changes when the fine pages above it are merged into a new coarse one)."""
    name = archive_name(path)
    if name is None or int(name, 16) % (feed_size * COARSE_FACTOR):
        return False
    head = body[: body.find(b"<entry")]
    return b'rel="next-archive"' not in head


def cache_control(path: str, body: bytes, feed_size: int) -> str:
    return FINISHED_ARCHIVE if is_finished_archive(path, body, feed_size) else REVALIDATE


def read_version(file: Path, path: str, feed_size: int) -> Version | None:
    """Read one file whole from one open descriptor (a file replaced meanwhile is
    read as it was when opened, never cut short). None if it is missing or not a
    regular file: opened without blocking, so a FIFO never holds up a request."""
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        with open(fd, "rb", closefd=False) as handle:
            body = handle.read()
    finally:
        os.close(fd)
    return Version(
        key=stat_key(st),
        body=body,
        etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"',
        modified=int(st.st_mtime),
        media_type=media_type_of(path),
        cache_control=cache_control(path, body, feed_size),
    )


class Files:
    """The versions of `public/`'s files last served, least recently used dropped
    first beyond `limit` bytes. Used from one thread (the event loop); reading and
    compressing may run elsewhere, the bookkeeping does not."""

    def __init__(self, root: Path, feed_size: int, limit: int = CACHE_BYTES) -> None:
        self.root = root
        self.feed_size = feed_size
        self.limit = limit
        self.kept: OrderedDict[str, Version] = OrderedDict()
        self.size = 0

    def current(self, path: str) -> Version | None:
        """The kept version of `path` if it is still the published one."""
        version = self.kept.get(path)
        if version is None:
            return None
        try:
            key = stat_key(os.stat(self.root / path))
        except OSError:
            key = None
        if key != version.key:
            self.forget(path)
            return None
        self.kept.move_to_end(path)
        return version

    def read(self, path: str) -> Version | None:
        """Read `path`, and compress it if it is text: any thread."""
        version = read_version(self.root / path, path, self.feed_size)
        if version is not None and version.compressible:
            version.gzip_body()
        return version

    def keep(self, path: str, version: Version) -> None:
        self.forget(path)
        if version.size > self.limit // 4:
            return
        self.kept[path] = version
        self.size += version.size
        while self.size > self.limit:
            _, dropped = self.kept.popitem(last=False)
            self.size -= dropped.size

    def forget(self, path: str) -> None:
        old = self.kept.pop(path, None)
        if old is not None:
            self.size -= old.size

    def is_folder_with_index(self, path: str) -> bool:
        return (self.root / path / "index.html").is_file()


# --- negotiation ----------------------------------------------------------------------


def codings(accept_encoding: str) -> dict[str, float]:
    """`Accept-Encoding` as {coding: qvalue}; unparsable qvalues count as 0."""
    found: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, _, params = item.partition(";")
        name = name.strip().lower()
        if not name:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        found[name] = q
    return found


def wants_gzip(accept_encoding: str | None) -> bool:
    """Whether to send gzip (RFC 9110 section 12.5.3). Gzip when the client accepts it
    at least as well as identity; `identity;q=0` with no coding acceptable is
    answered in identity all the same, as a server may disregard the field."""
    if accept_encoding is None:
        return False
    q = codings(accept_encoding)
    gzip_q = q.get("gzip", q.get("x-gzip", q.get("*", 0.0)))
    # Identity not named ranks below any coding named acceptable.
    return gzip_q > 0 and gzip_q >= q.get("identity", 0.0)


# --- preconditions and ranges ---------------------------------------------------------


def http_date(seconds: float) -> str:
    return email.utils.formatdate(seconds, usegmt=True)


def parse_http_date(value: str) -> int | None:
    parsed = email.utils.parsedate_tz(value.strip())
    if parsed is None or value.count(",") > 1:  # not a date, or a list of dates
        return None
    try:
        return int(email.utils.mktime_tz(parsed))
    except (OverflowError, ValueError):
        return None


def entity_tags(value: str) -> list[tuple[bool, str]] | None:
    """`If-Match` / `If-None-Match` as [(weak, opaque tag)]; None for `*`."""
    if value.strip() == "*":
        return None
    return [(bool(m.group(1)), m.group(2)) for m in ENTITY_TAG.finditer(value)]


def matches(value: str, etag: str, *, weak: bool) -> bool:
    tags = entity_tags(value)
    if tags is None:
        return True
    return any(tag == etag and (weak or not is_weak) for is_weak, tag in tags)


def precondition(method: str, headers: Headers, etag: str, modified: int, now: float) -> int:
    """0 to go on, or the status that a precondition decides (304 or 412), evaluated in
    the order of RFC 9110 section 13.2.2."""
    if_match = headers.get("if-match")
    if if_match is not None:
        if not matches(if_match, etag, weak=False):
            return 412
    else:
        since = headers.get("if-unmodified-since")
        date = parse_http_date(since) if since is not None else None
        if date is not None and modified > date:
            return 412
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        if matches(if_none_match, etag, weak=True):
            return 304 if method in ("GET", "HEAD") else 412
    elif method in ("GET", "HEAD"):
        since = headers.get("if-modified-since")
        date = parse_http_date(since) if since is not None else None
        # A date later than now is invalid (RFC 9110 section 13.1.3): ignored.
        if date is not None and date <= now and modified <= date:
            return 304
    return 0


def byte_range(value: str, length: int) -> range | None:
    """The one byte range that `Range` asks for, as offsets into the body (empty if
    unsatisfiable), or None to ignore the field: not bytes, not valid, or several
    ranges (a server may answer those with the whole representation)."""
    unit, _, spec = value.partition("=")
    first, dash, last = spec.strip().partition("-")
    if unit.strip().lower() != "bytes" or not dash or "," in spec:
        return None
    if not (first.isdigit() or first == "") or not (last.isdigit() or last == ""):
        return None
    if not first:  # the last N bytes
        if not last:
            return None
        return range(max(length - int(last), 0), length)
    if last and int(last) < int(first):
        return None
    start = int(first)
    stop = min(int(last) + 1, length) if last else length
    return range(start, stop) if start < length else range(0)


def if_range_holds(value: str, etag: str, modified: int) -> bool:
    """`If-Range`: a strong ETag equal to the selected one, or the exact date."""
    value = value.strip()
    if value.startswith('"'):
        return value == etag
    if value.startswith("W/"):
        return False
    return parse_http_date(value) == modified


# --- answers --------------------------------------------------------------------------


def answer(
    version: Version, method: str, headers: Headers, *, now: Callable[[], float] = time.time
) -> Answer:
    """The answer to GET or HEAD for one published version of a file."""
    use_gzip = version.compressible and wants_gzip(headers.get("accept-encoding"))
    etag = f'{version.etag[:-1]}-gzip"' if use_gzip else version.etag
    fields = {
        "etag": etag,
        "last-modified": http_date(version.modified),
        "cache-control": version.cache_control,
    }
    if version.compressible:
        fields["vary"] = "Accept-Encoding"
    decided = precondition(method, headers, etag, version.modified, now())
    if decided == 304:
        return Answer(304, fields)
    if decided:
        return Answer(decided, {"cache-control": REVALIDATE, "content-length": "0"})
    body = version.gzip_body() if use_gzip else version.body
    fields["content-type"] = version.media_type
    fields["accept-ranges"] = "bytes"
    if use_gzip:
        fields["content-encoding"] = "gzip"
    status = 200
    wanted = headers.get("range") if method == "GET" else None
    if wanted is not None and if_range_holds(headers.get("if-range", etag), etag, version.modified):
        span = byte_range(wanted, len(body))
        if span is not None and not span:
            fields["content-range"] = f"bytes */{len(body)}"
            fields["content-length"] = "0"
            return Answer(416, fields)
        if span is not None:
            fields["content-range"] = f"bytes {span.start}-{span.stop - 1}/{len(body)}"
            body = body[span.start : span.stop]
            status = 206
    fields["content-length"] = str(len(body))
    return Answer(status, fields, b"" if method == "HEAD" else body)


def not_found() -> Answer:
    return Answer(
        404,
        {"content-type": "text/plain; charset=utf-8", "cache-control": NOT_FOUND},
        b"Not Found",
    )


def redirect_to_folder(url_path: str) -> Answer:
    """`/dir` names a folder with an index: a relative redirect to `dir/`, built from
    the path alone (never from the Host header)."""
    last = url_path.rsplit("/", 1)[-1]
    return Answer(301, {"location": f"{last}/", "cache-control": NOT_FOUND, "content-length": "0"})
