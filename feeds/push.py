"""Push after publish: WebSub hub notifications and the after-publish command. A thin shell.

What it does, for the daemon (`feeds.watch`), after each publish:
- `HubNotifier` tells a WebSub hub which feeds changed: one `POST` of
  `hub.mode=publish&hub.url=URL` (`application/x-www-form-urlencoded`) per feed URL,
  from a background thread. Any 2xx answer is success; a redirect, another status or
  a network error is retried after 1, 2, 4 ... seconds (at most 300), and given up
  after 10 tries with an error in the log. When the hub cannot be reached at all
  (refused, timed out after 10 seconds), the other URLs due wait with the one tried.
  A URL that is still waiting when it is announced again is sent once. `notify` never
  blocks, so a slow or dead hub never delays publication.
- `AfterPublish` runs an operator's shell command (say, a sync of `public/` to object
  storage or a CDN) from a background thread, one run at a time; publishes during a
  run make one more run after it. A failure (non-zero exit, a signal, a timeout after
  600 seconds, or an error starting it) is logged with the tail of its standard error
  and never raised. The command runs in the daemon's working directory, the one that
  relative `--seeds` and `--public` flags are resolved against, with these additions
  to the daemon's environment:
      OSCE_FEEDS_PUBLIC   the absolute path of the public folder
      OSCE_FEEDS_CHANGED  how many files the publishes since its last start wrote or
                          removed
  Its standard output is discarded; its standard error is kept for the log. It runs
  in a session of its own, so a timeout or a shutdown ends it with all its children.
  `public/.osce-feeds/` holds the daemon's private state: leave it out of any sync.

What it does not do: subscribe to the hub or verify intents (that is between the hub
and subscribers), serve as a hub, sign or fan out content, keep pending
notifications across restarts (the first build after a start publishes again what
changed meanwhile), or run more than one command at a time.

`OSCE_FEEDS_HUB_RETRY_SECONDS` (default 1) sets the first retry delay of hub
notifications; tests make it small.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import IO
from urllib.parse import urlencode

from feeds import __version__

log = logging.getLogger("feeds")

RETRY_ENV = "OSCE_FEEDS_HUB_RETRY_SECONDS"
HUB_TIMEOUT_SECONDS = 10.0
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 300.0
HUB_TRIES = 10
COMMAND_TIMEOUT_SECONDS = 600.0
STOP_SECONDS = 1.0
STDERR_TAIL_LINES = 10
STDERR_TAIL_BYTES = 4000


def retry_seconds() -> float:
    """The first retry delay: `$OSCE_FEEDS_HUB_RETRY_SECONDS`, else 1 second."""
    raw = os.environ.get(RETRY_ENV, "")
    try:
        value = float(raw) if raw else FIRST_RETRY_SECONDS
    except ValueError:
        value = -1.0
    if not value > 0:
        log.warning("%s=%r is not a positive number of seconds; using 1", RETRY_ENV, raw)
        return FIRST_RETRY_SECONDS
    return value


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a success: urllib would turn the POST into a GET."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


@dataclass(slots=True)
class _Ping:
    tries: int  # failed attempts so far
    due: float  # time.monotonic() of the next attempt


class HubNotifier:
    """Notifies one WebSub hub of changed feed URLs from a background thread."""

    def __init__(
        self,
        hub_url: str,
        *,
        first_delay: float | None = None,
        max_delay: float = MAX_RETRY_SECONDS,
        tries: int = HUB_TRIES,
        timeout: float = HUB_TIMEOUT_SECONDS,
        counted: Callable[[str, int], None] | None = None,
    ) -> None:
        self.hub_url = hub_url
        self.counted = counted  # told ("sent" or "failed", how many) after each batch
        self.first_delay = retry_seconds() if first_delay is None else first_delay
        self.max_delay = max_delay
        self.tries = tries
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirects())
        self._pending: dict[str, _Ping] = {}  # waiting for their time
        self._batch: dict[str, _Ping] = {}  # due, being sent one by one
        self._wakeup = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="websub-notifier", daemon=True)
        self._thread.start()

    def notify(self, urls: Iterable[str]) -> None:
        """Queue a notification for each URL; returns at once."""
        now = time.monotonic()
        with self._wakeup:
            if self._stopping:
                return
            for url in urls:
                self._pending.setdefault(url, _Ping(0, now))
            self._wakeup.notify()

    def pending(self) -> int:
        """How many URLs wait to be sent (those being sent not counted)."""
        with self._wakeup:
            return len(self._pending)

    def stop(self, wait: float = STOP_SECONDS) -> None:
        """Stop sending; pending notifications are dropped. Waits at most `wait`
        seconds for a request under way (the thread is a daemon thread)."""
        with self._wakeup:
            self._stopping = True
            dropped = len(self._pending) + len(self._batch)
            self._pending.clear()
            self._batch.clear()
            self._wakeup.notify()
        self._thread.join(wait)
        if dropped:
            log.warning("%d hub notifications dropped at shutdown", dropped)

    def delay(self, tries: int) -> float:
        """The wait after the `tries`-th failed attempt."""
        return float(min(self.first_delay * 2 ** (tries - 1), self.max_delay))

    def _run(self) -> None:
        try:
            while self._next_batch():
                self._send()
        except Exception:  # a bug: say so rather than die silently
            log.exception("hub notifier failed; no more notifications until a restart")

    def _next_batch(self) -> bool:
        """Wait for URLs that are due and move them to the batch; False when stopping."""
        with self._wakeup:
            while not self._stopping:
                now = time.monotonic()
                due = [url for url, ping in self._pending.items() if ping.due <= now]
                if due:
                    self._batch = {url: self._pending.pop(url) for url in due}
                    return True
                soonest = min((ping.due for ping in self._pending.values()), default=None)
                self._wakeup.wait(None if soonest is None else soonest - now)
            return False

    def _send(self) -> None:
        """Send the batch, one URL at a time; then log, and schedule the retries."""
        sent = 0
        failed: dict[str, _Ping] = {}
        reason = ""
        while True:
            with self._wakeup:
                if self._stopping or not self._batch:
                    break
                url = next(iter(self._batch))
                ping = self._batch.pop(url)
            error = self.publish(url)
            if error is None:
                sent += 1
                continue
            failed[url] = _Ping(ping.tries + 1, 0.0)
            reason = reason or error
            if not error.startswith("HTTP "):  # unreachable: the rest waits as well
                with self._wakeup:
                    batch, self._batch = self._batch, {}
                failed.update({u: _Ping(p.tries + 1, 0.0) for u, p in batch.items()})
                break
        if self.counted is not None:
            self.counted("sent", sent)
            self.counted("failed", len(failed))
        if sent:
            log.info("notified hub of %d feeds", sent)
        if not failed or self._stopping:
            return
        given_up = sorted(url for url, ping in failed.items() if ping.tries >= self.tries)
        retry = {url: ping for url, ping in failed.items() if ping.tries < self.tries}
        if given_up:
            log.error(
                "hub %s: gave up notifying of %d feeds after %d tries (%s): %s",
                self.hub_url,
                len(given_up),
                self.tries,
                reason,
                " ".join(given_up[:5]) + (" ..." if len(given_up) > 5 else ""),
            )
        if retry:
            wait = min(self.delay(ping.tries) for ping in retry.values())
            log.warning(
                "hub %s: %d notifications failed (%s); next try in %.3g s",
                self.hub_url,
                len(retry),
                reason,
                wait,
            )
            now = time.monotonic()
            with self._wakeup:
                if self._stopping:
                    return
                for url, ping in retry.items():
                    # Announced again meanwhile: one ping, on the back-off schedule.
                    self._pending[url] = _Ping(ping.tries, now + self.delay(ping.tries))
                self._wakeup.notify()

    def publish(self, url: str) -> str | None:
        """One publish notification; None on success, else what went wrong."""
        request = urllib.request.Request(
            self.hub_url,
            data=urlencode({"hub.mode": "publish", "hub.url": url}).encode("ascii"),
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": f"osce-feeds/{__version__}",
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = int(response.status)
                response.read(65536)
        except urllib.error.HTTPError as error:
            status = error.code
            error.close()
        except Exception as error:  # network errors, bad answers: all worth a retry
            return f"{type(error).__name__}: {error}"
        return None if 200 <= status < 300 else f"HTTP {status}"


class AfterPublish:
    """Runs a shell command after publishes, one run at a time, from a background thread."""

    def __init__(
        self,
        command: str,
        public: Path,
        *,
        timeout: float = COMMAND_TIMEOUT_SECONDS,
    ) -> None:
        self.command = command
        self.public = Path(os.path.abspath(public))
        self.timeout = timeout
        self._changed = 0
        self._requested = False
        self._running = False
        self._stopping = False
        self._process: subprocess.Popen[bytes] | None = None
        self._wakeup = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="after-publish", daemon=True)
        self._thread.start()

    def trigger(self, changed: int) -> None:
        """Ask for a run after a publish that wrote or removed `changed` files; returns
        at once. During a run, asks for one more run after it."""
        with self._wakeup:
            if self._stopping:
                return
            self._changed += changed
            self._requested = True
            self._wakeup.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no run is under way or asked for; False on timeout."""
        with self._wakeup:
            return self._wakeup.wait_for(
                lambda: self._stopping or not (self._requested or self._running), timeout
            )

    def stop(self, wait: float = STOP_SECONDS) -> None:
        """Drop a run asked for; give one under way `wait` seconds, then end it."""
        with self._wakeup:
            self._stopping = True
            self._requested = False
            self._wakeup.notify_all()
        self._thread.join(wait)
        process = self._process
        if self._thread.is_alive() and process is not None:
            log.warning("after-publish command still running at shutdown; ending it")
            _kill_group(process, signal.SIGTERM)
            self._thread.join(wait)

    def _run(self) -> None:
        while True:
            with self._wakeup:
                self._running = False
                self._wakeup.notify_all()
                self._wakeup.wait_for(lambda: self._requested or self._stopping)
                if self._stopping:
                    return
                changed, self._changed, self._requested = self._changed, 0, False
                self._running = True
            try:
                self._run_once(changed)
            except Exception as error:  # never fatal, whatever went wrong
                log.error(
                    "after-publish command could not run: %s: %s", type(error).__name__, error
                )

    def _run_once(self, changed: int) -> None:
        env = {
            **os.environ,
            "OSCE_FEEDS_PUBLIC": str(self.public),
            "OSCE_FEEDS_CHANGED": str(changed),
        }
        started = time.monotonic()
        with tempfile.TemporaryFile() as errors:
            process = subprocess.Popen(
                self.command,
                shell=True,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                env=env,
                start_new_session=True,
            )
            self._process = process
            try:
                code = process.wait(self.timeout)
                outcome = f"exit status {code}" if code >= 0 else _signal_name(-code)
            except subprocess.TimeoutExpired:
                _kill_group(process, signal.SIGKILL)
                process.wait()
                code, outcome = -1, f"timed out after {self.timeout:g} s and was killed"
            finally:
                self._process = None
            seconds = time.monotonic() - started
            if code == 0:
                log.info("after-publish command done in %.1f s", seconds)
                return
            if self._stopping and code < 0:
                log.info("after-publish command ended at shutdown")
                return
            tail = _tail(errors)
        log.error(
            "after-publish command failed (%s, %.1f s)%s",
            outcome,
            seconds,
            f": {tail}" if tail else "; it wrote nothing to stderr",
        )


def _kill_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Signal the command's session: the shell and whatever it started."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _signal_name(number: int) -> str:
    try:
        return f"killed by {signal.Signals(number).name}"
    except ValueError:
        return f"killed by signal {number}"


def _tail(stream: IO[bytes]) -> str:
    """The last lines of what the command wrote to stderr, on one line."""
    size = stream.seek(0, os.SEEK_END)
    stream.seek(max(0, size - STDERR_TAIL_BYTES))
    text = stream.read().decode("utf-8", errors="replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if size > STDERR_TAIL_BYTES and lines:
        lines = lines[1:]  # probably cut
    return " | ".join(lines[-STDERR_TAIL_LINES:])
