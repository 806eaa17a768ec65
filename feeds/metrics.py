"""What the daemon counts, for `/metrics` in the Prometheus text format, and what
it says of itself on `/healthz`.

One `Metrics` per daemon, with a registry of its own (never prometheus_client's
global one, so that daemons and tests never share counts). The shells call it: the
daemon after each build, the server for each answer, the hub notifier for each
ping. Contains no business logic.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from feeds.model import Level

if TYPE_CHECKING:
    from feeds.model import BuildResult

PREFIX = "osce_feeds"
# Builds take milliseconds when a page lands, seconds when everything is built.
BUILD_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# How a build ended: published (`ok`), or not, and why.
OUTCOMES = ("ok", "held", "seeds_unavailable", "publish_failed", "error")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.builds = Counter(
            f"{PREFIX}_builds", "Builds, by outcome.", ["outcome"], registry=registry
        )
        for outcome in OUTCOMES:
            self.builds.labels(outcome)
        self.build_seconds = Histogram(
            f"{PREFIX}_build_duration_seconds",
            "Duration of builds that published.",
            buckets=BUILD_BUCKETS,
            registry=registry,
        )
        self.items = Gauge(f"{PREFIX}_items", "Items published.", registry=registry)
        self.feeds = Gauge(f"{PREFIX}_feeds", "Feeds published.", registry=registry)
        self.seed_files = Gauge(f"{PREFIX}_seed_files", "Seed files read.", registry=registry)
        self.seed_problems = Gauge(
            f"{PREFIX}_seed_problems",
            "Problems in the seeds, by level.",
            ["level"],
            registry=registry,
        )
        self.last_publish = Gauge(
            f"{PREFIX}_last_publish_timestamp_seconds",
            "When a build last published (Unix time); 0 before the first.",
            registry=registry,
        )
        self.files_written = Counter(
            f"{PREFIX}_files_written", "Files written into the public folder.", registry=registry
        )
        self.requests = Counter(
            f"{PREFIX}_http_requests",
            "HTTP answers, by status code.",
            ["status"],
            registry=registry,
        )
        self.hub_pings = Counter(
            f"{PREFIX}_hub_pings",
            "WebSub hub notifications, by outcome.",
            ["outcome"],
            registry=registry,
        )
        for outcome in ("sent", "failed"):
            self.hub_pings.labels(outcome)

    def published(self, result: BuildResult) -> None:
        """A build that published (or found nothing to publish)."""
        self.builds.labels("ok").inc()
        self.build_seconds.observe(result.seconds)
        self.items.set(result.items)
        self.feeds.set(result.feeds)
        self.seed_files.set(result.seeds)
        for level in Level:
            self.seed_problems.labels(level.value).set(
                sum(1 for issue in result.issues if issue.level is level)
            )
        self.files_written.inc(len(result.report.written))
        self.last_publish.set(time.time())

    def failed(self, outcome: str) -> None:
        self.builds.labels(outcome).inc()

    def answered(self, status: int) -> None:
        self.requests.labels(str(status)).inc()

    def pinged(self, outcome: str, count: int = 1) -> None:
        self.hub_pings.labels(outcome).inc(count)

    def render(self) -> tuple[bytes, str]:
        """The metrics as Prometheus text, and its media type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def health(
    last: BuildResult | None,
    last_built: dt.datetime | None,
    last_error: str | None,
    held: object | None,
    retry_in: float | None,
) -> dict[str, Any]:
    """What `/healthz` reports: the last published build, and what is wrong now."""
    issues = last.issues if last else ()
    return {
        "ok": last is not None and last_error is None and held is None,
        "last_build": last_built.isoformat() if last_built else None,
        "build_ms": round(last.seconds * 1000, 1) if last else None,
        "items": last.items if last else 0,
        "feeds": last.feeds if last else 0,
        "seed_files": last.seeds if last else 0,
        "problems": {level.value: sum(i.level is level for i in issues) for level in Level},
        "seed_problems": [str(i) for i in issues if i.level is not Level.NOTICE][:200],
        "last_error": last_error,
        "held": str(held) if held else None,
        "retry_in_s": None if retry_in is None else round(max(0.0, retry_in), 1),
    }
