"""The daemon: build, then keep `public/` in step with `seeds/` until stopped.

A thin shell around `Builder`. watchdog calls our handler unguarded in its own
thread, so the handler only notes which seed changed and never raises; the main
thread debounces those notes into one rebuild. A failed rebuild is logged with its
traceback and leaves the last good `public/` in place until the next change.

Signals: SIGTERM and SIGINT stop it, SIGHUP reloads the settings.

After a rebuild that changed `public/`, it notifies the WebSub hub (`hub_url`) of the
subscription feeds written and runs the `after_publish` command, both in the
background (`feeds.push`): neither ever delays nor fails a publish.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from feeds import heap
from feeds.build import Builder, WithdrawalHeld
from feeds.config import Config, ConfigError
from feeds.metrics import Metrics, health
from feeds.model import BuildResult, Level
from feeds.publish import PublishFailed, remove_temporaries
from feeds.push import AfterPublish, HubNotifier
from feeds.queryhttp import Snapshot
from feeds.seeds import SeedsUnavailable, describe_changes, is_seed_name
from feeds.store import AlreadyRunning, exclusive_lock

log = logging.getLogger("feeds")

# A burst of events is one rebuild: wait until the seeds have been quiet this long...
QUIET_SECONDS = 0.1
# ...but never longer than this after the first event, so readers see news fast.
MAX_DELAY_SECONDS = 0.5
# How often the daemon checks that the seeds folder it watches is still the same.
CHECK_SECONDS = 1.0
# A failed build (public/ not writable, disk full, a bug) is tried again after 1 s,
# then 2, 4 ... and at most this long apart, until it succeeds.
MAX_RETRY_SECONDS = 60.0
ISSUE_LOG_LEVELS = {
    Level.ERROR: logging.ERROR,
    Level.WARNING: logging.WARNING,
    Level.NOTICE: logging.DEBUG,
}
CHANGE_EVENTS = frozenset({"created", "modified", "moved", "deleted", "closed"})


class SeedEvents(FileSystemEventHandler):
    """Turns watchdog events into names of changed seed files; never raises."""

    def __init__(self, seeds: Path, notify: Callable[[str], None]) -> None:
        self.seeds = os.path.abspath(seeds)
        self.notify = notify
        self.lost = False  # the folder itself went: its watch is dead

    def on_any_event(self, event: FileSystemEvent) -> None:
        try:
            if event.event_type not in CHANGE_EVENTS:
                return
            for raw in (event.src_path, getattr(event, "dest_path", "")):
                path = os.path.abspath(os.fsdecode(raw)) if raw else ""
                if path == self.seeds and event.event_type in ("deleted", "moved"):
                    self.lost = True
                    self.notify("")
                elif path and os.path.dirname(path) == self.seeds:
                    name = os.path.basename(path)
                    if is_seed_name(name):
                        self.notify(name)
        except Exception:  # a bug here must not kill watchdog's thread
            log.exception("error while handling %s", event)


class Daemon:
    def __init__(self, load: Callable[[], Config], *, poll: bool, serve: bool) -> None:
        self.load = load
        self.config = load()
        self.poll = poll
        self.serve = serve
        self.builder = Builder(self.config)
        self.frozen: Builder | None = None  # whose objects are out of the collector's passes
        self.changed: set[str] = set()
        self.first_change = 0.0
        self.last_change = 0.0
        self.wakeup = threading.Condition()
        self.stopping = False
        self.reloading = False
        self.last: BuildResult | None = None
        self.last_built: dt.datetime | None = None
        self.last_error: str | None = None  # why the last build did not publish
        self.held: WithdrawalHeld | None = None  # a build held until confirmed
        self.confirmed = False  # SIGUSR1: publish the held build
        self.retry_at: float | None = None  # when to try a failed build again
        self.retry_delay = 0.0
        self.observer: Any = None
        self.watched: tuple[int, int] | None = None
        self.watch: Any = None
        self.watch_handler: SeedEvents | None = None
        self.hub: HubNotifier | None = None
        self.metrics = Metrics()
        self.after_publish: AfterPublish | None = None
        # The catalog published now, for the feeds cut to measure (`feeds.queryhttp`):
        # its searcher, the builder's, replaced whole after each build that published
        # and read by the server's threads.
        self.snapshot = Snapshot(0, None, self.config)

    def current(self) -> Snapshot:
        return self.snapshot

    # --- called from other threads and signal handlers ---

    def note_change(self, name: str) -> None:
        with self.wakeup:
            now = time.monotonic()
            if not self.changed:
                self.first_change = now
            self.changed.add(name)
            self.last_change = now
            self.wakeup.notify()

    def stop(self, *_: object) -> None:
        self.stopping = True
        with self.wakeup:  # reentrant: safe in a handler that interrupts a holder
            self.wakeup.notify()

    def reload(self, *_: object) -> None:
        self.reloading = True
        self.note_change("")

    def confirm(self, *_: object) -> None:
        """SIGUSR1: publish the build that was held for withdrawing too much."""
        self.confirmed = True
        self.note_change("")

    def status(self) -> dict[str, Any]:
        """What `/healthz` reports."""
        retry_in = None if self.retry_at is None else self.retry_at - time.monotonic()
        return health(self.last, self.last_built, self.last_error, self.held, retry_in)

    # --- the main thread ---

    def run(self) -> int:
        try:
            with exclusive_lock(self.config.public):
                return self._run_locked()
        except AlreadyRunning as error:
            log.error("%s", error)
            return 1

    def _run_locked(self) -> int:
        for path in remove_temporaries(self.config.public):
            log.info("removed %s, left by an interrupted run", path)
        server = None
        if self.serve:
            from feeds.serve import Server

            try:
                server = Server(
                    self.config.public,
                    self.config.host,
                    self.config.port,
                    self.status,
                    access_log=log.isEnabledFor(logging.DEBUG),
                    feed_size=self.config.feed_size,
                    metrics=self.metrics,
                    catalog=self.current,
                )
            except OSError as error:
                log.error(
                    "cannot serve on %s:%s: %s", self.config.host, self.config.port, error.strerror
                )
                return 1
        # Serve what was published before at once (/healthz says 503 until the first
        # build is done); watch, then build: a change made during the first build is
        # noted and built right after it, not lost.
        try:
            if server:
                server.start()
                log.info(
                    "serving %s at http://%s:%s/", self.config.public, self.config.host, server.port
                )
            self.observer = PollingObserver(timeout=0.5) if self.poll else Observer()
            self.observer.start()
            self.follow_seeds_folder(initial=True)
            self.start_push()
            self.rebuild("start")
            log.info("watching %s%s", self.config.seeds, " (polling)" if self.poll else "")
            self.loop()
        finally:
            if server:
                server.stop()
            if self.observer is not None:
                self.observer.stop()
                self.observer.join(2)
            self.stop_push()
            log.info("stopped")
        return 0

    def loop(self) -> None:
        while not self.stopping:
            wait = CHECK_SECONDS
            if self.retry_at is not None:
                wait = max(0.0, min(wait, self.retry_at - time.monotonic()))
            with self.wakeup:
                self.wakeup.wait_for(lambda: self.changed or self.stopping, wait)
            if self.stopping:
                break
            self.follow_seeds_folder()
            if self.reloading:
                self.reloading = False
                self.reload_config()
            if self.changed and self.settle():
                with self.wakeup:
                    changed, self.changed = self.changed, set()
                # "" stands for "look at everything": the folder itself changed.
                self.rebuild(describe_changes(changed - {""}), None if "" in changed else changed)
            elif self.retry_at is not None and time.monotonic() >= self.retry_at:
                self.rebuild("retry")

    def settle(self) -> bool:
        """Wait for a burst of changes to end; False when asked to stop meanwhile."""
        while not self.stopping:
            now = time.monotonic()
            quiet_at = self.last_change + QUIET_SECONDS
            deadline = self.first_change + MAX_DELAY_SECONDS
            if now >= min(quiet_at, deadline):
                return True
            time.sleep(min(quiet_at, deadline) - now)
        return False

    def follow_seeds_folder(self, *, initial: bool = False) -> None:
        """(Re)watch the seeds folder when it appears, vanishes or is replaced."""
        seeds = self.config.seeds
        try:
            stat = os.stat(seeds)
            ident: tuple[int, int] | None = (stat.st_dev, stat.st_ino)
        except OSError:
            ident = None
        handler = self.watch_handler
        if ident == self.watched and not (handler and handler.lost):
            return
        if self.watch is not None:
            with contextlib.suppress(Exception):
                self.observer.unschedule(self.watch)
            self.watch = None
        self.watch_handler = None
        if ident is not None:
            self.watch_handler = SeedEvents(seeds, self.note_change)
            self.watch = self.observer.schedule(
                self.watch_handler, os.path.abspath(seeds), recursive=False
            )
        if not initial:
            self.note_change("")  # what it holds now may differ from what was built
        self.watched = ident

    def reload_config(self) -> None:
        try:
            config = self.load()
        except ConfigError as error:
            log.error("settings not reloaded: %s", error)
            return
        if (config.host, config.port) != (self.config.host, self.config.port):
            log.warning("a new host or port takes effect at the next start")
        old, self.config = self.config, config
        if (old.hub_url, old.after_publish, old.public) != (
            config.hub_url,
            config.after_publish,
            config.public,
        ):
            self.stop_push()
            self.start_push()
        self.new_builder()
        self.watched = None
        self.follow_seeds_folder()
        log.info("settings reloaded")

    def rebuild(self, why: str, changed: set[str] | None = None) -> None:
        """Build and publish; a build that cannot publish keeps what is published,
        says why (on /healthz, in one log line) and is tried again (`fail`)."""
        self.retry_at = None
        if self.confirmed:
            self.builder.allow_withdrawal, self.confirmed = True, False
        try:
            # A builder's first build is frozen (`feeds.heap`), its later ones not.
            first, self.frozen = self.frozen is not self.builder, self.builder
            with heap.paused(freeze=first):
                result = self.builder.build(changed)
        except SeedsUnavailable as error:  # raised before the builder changed anything
            self.metrics.failed("seeds_unavailable")
            self.fail(f"{error}; the published feeds are kept until it is back")
            return
        except WithdrawalHeld as held:
            self.metrics.failed("held")
            self.held = held
            self.new_builder()
            self.fail(
                f"{held}; publish it with SIGUSR1 (kill -USR1 {os.getpid()}) or restore the seeds",
                retry=False,
            )
            return
        except PublishFailed as error:
            self.metrics.failed("publish_failed")
            self.new_builder()
            self.fail(f"{error.summary()} ({why})", retry=True)
            return
        except Exception as error:  # a bug: keep the last good public/, try again later
            self.metrics.failed("error")
            self.new_builder()
            log.exception("rebuild failed (%s)", why)
            self.fail(f"{type(error).__name__}: {error}; the published feeds are unchanged")
            return
        self.metrics.published(result)
        recovered = self.last_error is not None and self.last is not None
        known = set(self.last.issues) if self.last else set()
        self.last, self.last_error, self.held, self.retry_delay = result, None, None, 0.0
        self.builder.allow_withdrawal = False
        self.last_built = dt.datetime.now(dt.UTC).replace(microsecond=0)
        for issue in result.issues:  # each problem once, when it appears
            if issue not in known:
                log.log(ISSUE_LOG_LEVELS[issue.level], "%s", issue)
        log.info("%s (%s): %s", "recovered" if recovered else "rebuilt", why, result.summary())
        self.push(result)
        if result.catalog is not None and self.builder.searcher is not None:
            # What a query over every entry needs is made here, after the files are
            # published and before the server sees the new catalog, so that no
            # request pays for it (`Searcher.warm`).
            searcher = self.builder.searcher
            if self.serve:
                searcher.warm()
            self.snapshot = Snapshot(self.snapshot.version + 1, searcher, self.builder.config)

    def fail(self, message: str, *, retry: bool = True) -> None:
        """Record why the last build did not publish; log it once (a repeat of the
        same message is not logged again); with `retry`, try again after a delay
        that doubles each time, up to MAX_RETRY_SECONDS."""
        if message != self.last_error:
            log.error("%s", message)
        self.last_error = message
        if retry:
            self.retry_delay = min(MAX_RETRY_SECONDS, max(1.0, 2 * self.retry_delay))
            self.retry_at = time.monotonic() + self.retry_delay

    def new_builder(self) -> None:
        """Start again from what is on disk: a builder whose build failed midway
        knows things that were never published."""
        heap.thaw()
        self.frozen = None
        self.builder = Builder(self.config)

    def start_push(self) -> None:
        if self.config.hub_url:
            self.hub = HubNotifier(self.config.hub_url, counted=self.metrics.pinged)
        if self.config.after_publish:
            self.after_publish = AfterPublish(self.config.after_publish, self.config.public)

    def stop_push(self) -> None:
        hub, after, self.hub, self.after_publish = self.hub, self.after_publish, None, None
        if hub:
            hub.stop()
        if after:
            after.stop()

    def push(self, result: BuildResult) -> None:
        """Tell the hub which feeds changed and run the after-publish command."""
        changed = len(result.report.written) + len(result.report.removed)
        if self.hub and result.feeds_changed:
            self.hub.notify(result.feeds_changed)
        if self.after_publish and changed:
            self.after_publish.trigger(changed)


def run_daemon(load: Callable[[], Config], *, poll: bool, serve: bool) -> int:
    daemon = Daemon(load, poll=poll, serve=serve)
    signal.signal(signal.SIGTERM, daemon.stop)
    signal.signal(signal.SIGINT, daemon.stop)
    signal.signal(signal.SIGHUP, daemon.reload)
    signal.signal(signal.SIGUSR1, daemon.confirm)
    return daemon.run()
