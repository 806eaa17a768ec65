"""Settings: the default base URL follows the address served; an explicit one wins."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import feedparser
import pytest

from feeds.cli import main
from feeds.config import ConfigError, load_config


@pytest.mark.parametrize(
    ("host", "port", "base_url"),
    [
        (None, None, "http://127.0.0.1:8080/"),
        (None, "9000", "http://127.0.0.1:9000/"),
        ("192.0.2.7", "8081", "http://192.0.2.7:8081/"),
        ("feeds.internal", None, "http://feeds.internal:8080/"),
        ("::1", "9000", "http://[::1]:9000/"),
        ("fe80::1%eth0", "9000", "http://[fe80::1%25eth0]:9000/"),
        ("0.0.0.0", "9000", "http://127.0.0.1:9000/"),
        ("::", "9000", "http://localhost:9000/"),
        ("", "9000", "http://localhost:9000/"),
    ],
)
def test_default_base_url_follows_host_and_port(
    host: str | None, port: str | None, base_url: str
) -> None:
    assert load_config({"host": host, "port": port}, {}).base_url == base_url


def test_default_base_url_from_environment_and_file(tmp_path: Path) -> None:
    assert load_config({}, {"OSCE_FEEDS_PORT": "9001"}).base_url == "http://127.0.0.1:9001/"
    toml = tmp_path / "osce-feeds.toml"
    toml.write_text('host = "::1"\nport = 9002\n')
    assert load_config({}, {}, toml).base_url == "http://[::1]:9002/"
    # A port given as a flag over a host from the file: both are used.
    assert load_config({"port": "9003"}, {}, toml).base_url == "http://[::1]:9003/"


@pytest.mark.parametrize("source", ["flag", "env", "file"])
def test_an_explicit_base_url_always_wins(source: str, tmp_path: Path) -> None:
    flags: dict[str, object] = {"host": "0.0.0.0", "port": "9000"}
    env: dict[str, str] = {"OSCE_FEEDS_PORT": "9001"}
    toml = tmp_path / "osce-feeds.toml"
    toml.write_text("port = 9002\n")
    if source == "flag":
        flags["base_url"] = "https://feeds.example.org"
    elif source == "env":
        env["OSCE_FEEDS_BASE_URL"] = "https://feeds.example.org"
    else:
        toml.write_text('port = 9002\nbase_url = "https://feeds.example.org"\n')
    assert load_config(flags, env, toml).base_url == "https://feeds.example.org/"


def test_a_wildcard_address_warns_that_feeds_point_at_this_machine(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="feeds"):
        load_config({"host": "0.0.0.0", "port": "8123"}, {})
    assert "--base-url" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="feeds"):
        load_config({"host": "0.0.0.0", "port": "8123"}, {})  # said once, not at each reload
        load_config({"host": "0.0.0.0", "base_url": "https://feeds.example.org/"}, {})
        load_config({"host": "127.0.0.1"}, {})
    assert caplog.text == ""


def test_build_with_a_port_publishes_links_on_that_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the command line: self links, OPML and the feed page's address box."""
    monkeypatch.chdir(tmp_path)  # no ./osce-feeds.toml of the checkout's
    for name in [n for n in os.environ if n.startswith("OSCE_FEEDS_")]:
        monkeypatch.delenv(name)
    seeds = Path(__file__).resolve().parent.parent / "seeds"
    public = tmp_path / "public"
    monkeypatch.setenv("OSCE_FEEDS_HOST", "localhost")
    assert main(["build", "--seeds", str(seeds), "--public", str(public), "-q"]) == 0
    assert b"localhost:8080/all.atom" in (public / "all.atom").read_bytes()
    toml = tmp_path / "osce-feeds.toml"
    toml.write_text("port = 8181\n")
    assert main(["build", "--seeds", str(seeds), "--public", str(public), "-q"]) == 0
    feed = feedparser.parse((public / "all.atom").read_bytes())
    assert {link.href for link in feed.feed.links if link.rel == "self"} == {
        "http://localhost:8181/all.atom"
    }
    assert b'xmlUrl="http://localhost:8181/all.atom"' in (public / "feeds.opml").read_bytes()
    assert b"<code>http://localhost:8181/all.atom</code>" in (public / "all.html").read_bytes()
    assert b":8080" not in (public / "feeds.opml").read_bytes()


def test_named_feeds_come_from_feeds_toml_beside_the_config(tmp_path: Path) -> None:
    (tmp_path / "osce-feeds.toml").write_text('queries = "chosen.toml"\n')
    (tmp_path / "chosen.toml").write_text(
        '[feeds]\npolicing = "topic=policing"\n'
        'serbia = "https://feeds.example.org/feed.html?mission=osce-mission-to-serbia"\n'
    )
    config = load_config({}, {}, tmp_path / "osce-feeds.toml")
    assert config.queries == tmp_path / "chosen.toml"
    assert config.named_queries == (
        ("policing", "topic=policing"),
        ("serbia", "mission=osce-mission-to-serbia"),
    )
    assert load_config({"queries": str(tmp_path / "none.toml")}, {}).named_queries == ()
    (tmp_path / "chosen.toml").write_text('[feeds]\n"Bad Name" = "q=x"\n')
    with pytest.raises(ConfigError, match=r"feeds\.Bad Name"):
        load_config({}, {}, tmp_path / "osce-feeds.toml")
    (tmp_path / "chosen.toml").write_text('policing = "topic=policing"\n')
    with pytest.raises(ConfigError, match=r"one \[feeds\] table"):
        load_config({}, {}, tmp_path / "osce-feeds.toml")
