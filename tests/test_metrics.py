"""`/metrics` as Prometheus scrapes it: the real daemon over real HTTP, its answer
read with prometheus_client's own text parser."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families

from .daemon import SAMPLE_ITEMS, Daemon, free_port, item, page, wait_for


def scrape(daemon: Daemon) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    reply = daemon.get("/metrics")
    assert reply.status == 200
    assert reply.media_type() == "text/plain"
    assert reply.headers["cache-control"] == "no-store"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(reply.body.decode())
        for sample in family.samples
    }


def test_metrics_say_how_the_daemon_is_doing(start: Callable[..., Daemon]) -> None:
    dead_hub = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
    daemon = start(flags=("--hub-url", dead_hub))
    before = time.time()
    (daemon.seeds / "new.txt").write_text(
        page(item("Metrics item", dt.date(2026, 4, 1), "Counted.")), encoding="utf-8"
    )
    wait_for(lambda: "Metrics item" in daemon.titles(), "the new page", daemon)
    daemon.get("/nowhere.atom")
    wait_for(
        lambda: scrape(daemon)[("osce_feeds_hub_pings_total", (("outcome", "failed"),))] > 0,
        "the failed hub pings to be counted",
        daemon,
    )
    found = scrape(daemon)
    assert found[("osce_feeds_builds_total", (("outcome", "ok"),))] >= 2
    assert found[("osce_feeds_builds_total", (("outcome", "publish_failed"),))] == 0
    assert found[("osce_feeds_build_duration_seconds_count", ())] >= 2
    assert found[("osce_feeds_items", ())] == SAMPLE_ITEMS + 1
    assert found[("osce_feeds_feeds", ())] == daemon.health()["feeds"]
    assert found[("osce_feeds_seed_files", ())] == 3
    assert found[("osce_feeds_seed_problems", (("level", "error"),))] == 0
    assert found[("osce_feeds_last_publish_timestamp_seconds", ())] >= before - 1
    assert found[("osce_feeds_http_requests_total", (("status", "200"),))] >= 3
    assert found[("osce_feeds_http_requests_total", (("status", "404"),))] == 1
    assert found[("osce_feeds_hub_pings_total", (("outcome", "sent"),))] == 0
