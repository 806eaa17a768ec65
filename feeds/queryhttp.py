"""What the origin answers for a feed cut to measure (`/feed.atom?...`): no sockets here.

The daemon hands over its current catalog's searcher, warmed, with a version number
(`Snapshot`, from a callable given to the server); a request is answered from it:
- 200 with the feed, when the query string is the query's canonical form;
- 301 to the canonical form otherwise, with a relative `Location` built from the
  path and the query alone (never from the Host header);
- 400 (malformed) or 404 (an unknown slug), a small HTML page naming the parameter;
- 503 until the daemon's first build is done.

A 200 goes through `feeds.http.answer`, as a published file does: a strong ETag per
representation (identity, gzip), `Vary`, preconditions in order, 304, ranges, HEAD.
`Cache-Control: no-cache`: a feed cut to measure changes with any publish.

Answers are kept by format and canonical query with the catalog version they were
made from, in a cache of at most `CACHE_BYTES` (least recently used dropped first);
a new catalog version makes each one again when it is next asked for, and an answer
whose bytes did not change keeps its Last-Modified.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from feeds.config import Config
from feeds.http import MEDIA_TYPES, NOT_FOUND, REVALIDATE, Answer, Version, answer
from feeds.query import FEED_PATH, FORMATS, QueryError, Searcher, query_from_string
from feeds.queryrender import error_page, query_spec, render_query
from feeds.site import page
from feeds.writer import Writer

CACHE_BYTES = 16 * 1024 * 1024  # answers kept, both representations counted
# gzip level of answers, made at each new catalog version rather than once per file
# as published files are (level 6): for the largest answer (500 entries, 580 KB),
# level 3 takes 3.5 ms and gives 72 KB where level 6 takes 12 ms and gives 57 KB.
QUERY_GZIP_LEVEL = 3
ROUTES = tuple(f"/{FEED_PATH}.{fmt}" for fmt in FORMATS)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the daemon publishes now: the searcher of its catalog (None before the
    first build), warmed (`Searcher.warm`) so that no request folds the whole
    catalog, a number that changes with it, and the settings it was built with."""

    version: int
    searcher: Searcher | None
    config: Config


class QueryAnswers:
    """Answers feeds cut to measure from the daemon's current catalog. Safe to call
    from several threads: one lock over the caches (the work is Python's, one at a
    time anyway)."""

    def __init__(self, current: Callable[[], Snapshot], limit: int = CACHE_BYTES) -> None:
        self.current = current
        self.limit = limit
        self.lock = threading.Lock()
        self.version = -1
        self.config: Config | None = None
        self.writer: Writer | None = None
        # (format, canonical query) -> (catalog version, the answer's version)
        self.kept: OrderedDict[tuple[str, str], tuple[int, Version]] = OrderedDict()
        self.size = 0

    def answer(
        self, fmt: str, query_string: str, method: str, headers: Mapping[str, str]
    ) -> Answer:
        with self.lock:
            return self._answer(fmt, query_string, method, headers)

    def _answer(
        self, fmt: str, query_string: str, method: str, headers: Mapping[str, str]
    ) -> Answer:
        snapshot = self.current()
        if snapshot.searcher is None:
            return html_answer(503, not_ready_page(), method, "no-store", {"retry-after": "1"})
        searcher, writer = snapshot.searcher, self._follow(snapshot)
        config = snapshot.config
        try:
            query = query_from_string(query_string, config.feed_size)
            selection = searcher.resolve(query)
        except QueryError as error:
            return html_answer(error.status, error_page(error), method, NOT_FOUND)
        canonical = query.canonical()
        if canonical != query_string:
            location = f"{FEED_PATH}.{fmt}" + (f"?{canonical}" if canonical else "")
            return Answer(
                301, {"location": location, "cache-control": NOT_FOUND, "content-length": "0"}
            )
        key = (fmt, canonical)
        kept = self.kept.get(key)
        if kept is not None and kept[0] == snapshot.version:
            self.kept.move_to_end(key)
            return answer(kept[1], method, headers)
        entries = searcher.select(selection, query.limit or config.feed_size)
        body = render_query(query_spec(selection, entries), fmt, writer)
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        # The same bytes as before keep their date: Last-Modified moves with them only,
        # and always forward (a reader that sends If-Modified-Since alone must not miss
        # a second change within one second).
        modified = int(time.time())
        if kept is not None:
            same = kept[1].etag == etag
            modified = kept[1].modified if same else max(modified, kept[1].modified + 1)
        version = Version(
            key=(0, 0, 0, snapshot.version),
            body=body,
            etag=etag,
            modified=modified,
            media_type=MEDIA_TYPES[f".{fmt}"],
            cache_control=REVALIDATE,
            gzipped=gzip.compress(body, QUERY_GZIP_LEVEL, mtime=0),
        )
        self._keep(key, snapshot.version, version)
        return answer(version, method, headers)

    def _follow(self, snapshot: Snapshot) -> Writer:
        """The writer for the snapshot's catalog and settings."""
        assert snapshot.searcher is not None
        if snapshot.version != self.version or self.writer is None:
            entries = len(snapshot.searcher.catalog.entries)
            if (
                self.writer is None
                or snapshot.config != self.config
                or len(self.writer.fragments["atom"]) > 2 * entries + 1024
            ):  # new settings, or fragments of many entries gone: start afresh
                self.writer = Writer(snapshot.config)
            self.version, self.config = snapshot.version, snapshot.config
        return self.writer

    def _keep(self, key: tuple[str, str], catalog_version: int, version: Version) -> None:
        old = self.kept.pop(key, None)
        if old is not None:
            self.size -= old[1].size
        if version.size > self.limit // 4:
            return
        self.kept[key] = (catalog_version, version)
        self.size += version.size
        while self.size > self.limit:
            _, (_, dropped) = self.kept.popitem(last=False)
            self.size -= dropped.size


def html_answer(
    status: int,
    body: bytes,
    method: str,
    cache_control: str,
    extra: Mapping[str, str] | None = None,
) -> Answer:
    headers = {
        "content-type": MEDIA_TYPES[".html"],
        "cache-control": cache_control,
        "content-length": str(len(body)),
        **(extra or {}),
    }
    return Answer(status, headers, b"" if method == "HEAD" else body)


def not_ready_page() -> bytes:
    body = "<h1>Not ready</h1>\n<p>The first build is not done yet: try again in a moment.</p>\n"
    return page(f"{FEED_PATH}.html", "Not ready", body)
