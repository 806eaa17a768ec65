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
import fcntl
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from feeds.build import Builder, BuildResult, is_seed_name
from feeds.config import Config, ConfigError
from feeds.model import Level
from feeds.publish import STATE_DIR, remove_temporaries
from feeds.push import AfterPublish, HubNotifier, subscription_feeds

log = logging.getLogger("feeds")

# A burst of events is one rebuild: wait until the seeds have been quiet this long...
QUIET_SECONDS = 0.1
# ...but never longer than this after the first event, so readers see news fast.
MAX_DELAY_SECONDS = 0.5
# How often the daemon checks that the seeds folder it watches is still the same.
CHECK_SECONDS = 1.0
CHANGE_EVENTS = frozenset({"created", "modified", "moved", "deleted", "closed"})


class AlreadyRunning(RuntimeError):
    pass


@contextlib.contextmanager
def exclusive_lock(public: Path) -> Iterator[None]:
    """One daemon per `public/`: a second one fails at once, naming the first."""
    path = public / STATE_DIR / "lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise AlreadyRunning(
                f"{public} is in use by osce-feeds (pid {holder}); stop it first"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)


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
        self.changed: set[str] = set()
        self.first_change = 0.0
        self.last_change = 0.0
        self.wakeup = threading.Condition()
        self.stopping = False
        self.reloading = False
        self.last: BuildResult | None = None
        self.last_built: dt.datetime | None = None
        self.last_error: str | None = None
        self.observer: Any = None
        self.watched: tuple[int, int] | None = None
        self.watch: Any = None
        self.watch_handler: SeedEvents | None = None
        self.hub: HubNotifier | None = None
        self.after_publish: AfterPublish | None = None

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

    def status(self) -> dict[str, Any]:
        """What `/healthz` reports."""
        last = self.last
        issues = last.issues if last else ()
        return {
            "ok": last is not None and self.last_error is None,
            "last_build": self.last_built.isoformat() if self.last_built else None,
            "build_ms": round(last.seconds * 1000, 1) if last else None,
            "items": last.items if last else 0,
            "feeds": last.feeds if last else 0,
            "seed_files": last.seeds if last else 0,
            "problems": {level.value: sum(i.level is level for i in issues) for level in Level},
            "seed_problems": [str(i) for i in issues if i.level is not Level.NOTICE][:200],
            "last_error": self.last_error,
        }

    # --- the main thread ---

    def run(self) -> int:
        public = self.config.public
        try:
            with exclusive_lock(public):
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
            with self.wakeup:
                self.wakeup.wait_for(lambda: self.changed or self.stopping, CHECK_SECONDS)
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
                self.rebuild(describe(changed - {""}), None if "" in changed else changed)

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
        else:
            log.warning("seeds folder %s does not exist; waiting for it", seeds)
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
        self.builder = Builder(config)
        self.watched = None
        self.follow_seeds_folder()
        log.info("settings reloaded")

    def rebuild(self, why: str, changed: set[str] | None = None) -> None:
        try:
            result = self.builder.build(changed)
        except Exception as error:  # a bug: keep the last good public/, wait for news
            self.last_error = f"{type(error).__name__}: {error}"
            log.exception("rebuild failed (%s); the published feeds are unchanged", why)
            self.builder = Builder(self.config)
            return
        self.last, self.last_error = result, None
        self.last_built = dt.datetime.now(dt.UTC).replace(microsecond=0)
        for issue in result.issues:
            if issue.level is Level.ERROR:
                log.warning("%s", issue)
            else:
                log.debug("%s", issue)
        log.info("rebuilt (%s): %s", why, result.summary())
        self.push(result)

    def start_push(self) -> None:
        if self.config.hub_url:
            self.hub = HubNotifier(self.config.hub_url)
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
        written, removed = result.report.written, result.report.removed
        if not (written or removed):
            return
        if self.hub:
            feeds = subscription_feeds(written)
            if feeds:
                self.hub.notify(self.config.base_url + quote(path) for path in feeds)
        if self.after_publish:
            self.after_publish.trigger(len(written) + len(removed))


def describe(names: set[str]) -> str:
    shown = sorted(names)[:3]
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return ", ".join(shown) + more if shown else "seeds folder changed"


def run_daemon(load: Callable[[], Config], *, poll: bool, serve: bool) -> int:
    daemon = Daemon(load, poll=poll, serve=serve)
    signal.signal(signal.SIGTERM, daemon.stop)
    signal.signal(signal.SIGINT, daemon.stop)
    signal.signal(signal.SIGHUP, daemon.reload)
    return daemon.run()
