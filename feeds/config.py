"""Settings: defaults, then environment variables, then `osce-feeds.toml`, then flags.

A frozen `Config` holds the result. Relative paths in a config file are resolved
against the file's folder, those from flags and the environment against the working
directory. Nothing else reads the config file; of the environment, only the
retry delay of `feeds.push` (for tests) is read elsewhere.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import re
import tomllib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENV_PREFIX = "OSCE_FEEDS_"
DEFAULT_CONFIG_FILE = "osce-feeds.toml"
# Addresses that mean "every interface": no client can use them in a URL, so the
# default base URL names this machine instead.
WILDCARD_HOSTS = {"": "localhost", "0.0.0.0": "127.0.0.1", "::": "localhost"}
log = logging.getLogger("feeds")
_warned: set[tuple[str, int]] = set()  # said once per process: settings are read again


class ConfigError(ValueError):
    """A setting that cannot be used; the message names it and says why."""


@dataclass(frozen=True, slots=True)
class Config:
    # Folder of seed files (listing pages as text).
    seeds: Path = Path("seeds")
    # Folder the feeds are published into; served as the site's root.
    public: Path = Path("public")
    # Public address of `public/`: self links, ids of nothing. Ends with a slash.
    # Unless given, `load_config` makes it from `host` and `port` (`default_base_url`).
    base_url: str = "http://127.0.0.1:8080/"
    # Time zone in which the listing's dates are calendar days (IANA name).
    timezone: str = "UTC"
    # Time of day (in `timezone`) that stands for an item's publishing date.
    day_time: str = "12:00"
    # Entries in each subscription feed: the newest ones.
    feed_size: int = 50
    # Address and port of `serve`.
    host: str = "127.0.0.1"
    port: int = 8080
    # WebSub hub: feeds carry rel="hub" and the daemon notifies it of changed feeds.
    hub_url: str = ""
    # A shell command the daemon runs after each publish (to sync public/ elsewhere).
    after_publish: str = ""
    # A build that would withdraw more than this share (%) of the published items at
    # once is held until confirmed (an emptied seeds folder is no reason to empty
    # every feed); 100 never holds.
    max_withdraw: int = 50
    # Named feeds cut to measure, published as static files (`queries/NAME.atom` ...):
    # a TOML file with a `[feeds]` table of `name = "query"` (a missing file: none).
    queries: Path = Path("feeds.toml")
    # The named queries read from `queries`, as (name, query string), sorted by name:
    # not a setting of its own (`load_config` fills it in).
    named_queries: tuple[tuple[str, str], ...] = ()

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def time_of_day(self) -> dt.time:
        return dt.time.fromisoformat(self.day_time)


SETTINGS = {f.name: f for f in fields(Config) if f.name != "named_queries"}
PATH_SETTINGS = frozenset({"seeds", "public", "queries"})


def load_config(
    flags: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Config:
    """Combine every source of settings; flags whose value is None are not given.

    The config file is `config_file`, else `$OSCE_FEEDS_CONFIG`, else
    `./osce-feeds.toml` when it exists.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for name in SETTINGS:
        raw = env.get(ENV_PREFIX + name.upper())
        if raw:
            values[name] = raw
    path = config_file or (
        Path(env[ENV_PREFIX + "CONFIG"]) if env.get(ENV_PREFIX + "CONFIG") else None
    )
    if path is None and Path(DEFAULT_CONFIG_FILE).is_file():
        path = Path(DEFAULT_CONFIG_FILE)
    if path is not None:
        values.update(settings_from_file(path))
    values.update({name: value for name, value in flags.items() if value is not None})
    config = config_from_values(values)
    if "base_url" not in values:
        config = replace(config, base_url=default_base_url(config.host, config.port))
    return replace(config, named_queries=read_named_queries(config.queries))


def read_named_queries(path: Path) -> tuple[tuple[str, str], ...]:
    """The `[feeds]` table of a `feeds.toml`: name = "query string" (or an address
    ending with one, as the form's page shows it). A missing file names none."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ()
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from error
    unknown = sorted(set(data) - {"feeds"})
    table = data.get("feeds", {})
    if unknown or not isinstance(table, dict):
        raise ConfigError(f'{path}: expected one [feeds] table of name = "query"')
    rows = []
    for name, value in sorted(table.items()):
        if not isinstance(value, str) or not QUERY_NAME.fullmatch(name):
            raise ConfigError(
                f"{path}: feeds.{name}: a name of lower-case letters, digits and -, "
                "and a query string"
            )
        rows.append((name, value.rpartition("?")[2]))
    return tuple(rows)


QUERY_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?")


def default_base_url(host: str, port: int) -> str:
    """`http://HOST:PORT/`, where `serve` answers: the base URL when none is given,
    so that a server started with `--port 9000` publishes links that reach it.

    An IPv6 address goes in brackets (its zone, if any, escaped as RFC 6874 says);
    a wildcard address (0.0.0.0, ::) names no machine, so this machine's loopback
    name stands in for it, with a warning: readers elsewhere need `--base-url`."""
    name = WILDCARD_HOSTS.get(host)
    if name is not None and (host, port) not in _warned:
        _warned.add((host, port))
        log.warning(
            "serving on every interface (%r) but no --base-url given: feeds link to "
            "http://%s:%d/, which only this machine can open; set --base-url to the "
            "address readers use",
            host,
            name,
            port,
        )
    elif name is None:
        name = host
        address, _, zone = host.partition("%")
        try:
            if ipaddress.ip_address(address).version == 6:
                name = f"[{address}%25{zone}]" if zone else f"[{address}]"
        except ValueError:
            pass  # a host name
    return f"http://{name}:{port}/"


def settings_from_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from error
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        if name not in SETTINGS:
            raise ConfigError(f"{path}: unknown setting {key!r}")
        if name in PATH_SETTINGS and isinstance(value, str):
            value = path.parent / value
        values[name] = value
    return values


def config_from_values(values: Mapping[str, Any]) -> Config:
    """A checked `Config` from raw values (strings from the environment included)."""
    config = replace(Config(), **{name: _convert(name, value) for name, value in values.items()})
    return _checked(config)


def _convert(name: str, value: Any) -> Any:
    default = getattr(Config(), name)
    try:
        if isinstance(default, Path):
            return Path(value)
        if isinstance(default, int):
            return int(value)
        return str(value)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{name}: {value!r} is not a valid {type(default).__name__}") from error


def _checked(config: Config) -> Config:
    url = urlsplit(config.base_url)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise ConfigError(f"base_url: {config.base_url!r} is not an absolute http(s) URL")
    if not config.base_url.endswith("/"):
        config = replace(config, base_url=config.base_url + "/")
    try:
        config.zone  # noqa: B018 - looking it up is the check
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError(f"timezone: unknown time zone {config.timezone!r}") from error
    try:
        config.time_of_day  # noqa: B018
    except ValueError as error:
        raise ConfigError(f"day_time: {config.day_time!r} is not a time like 12:00") from error
    if config.hub_url and urlsplit(config.hub_url).scheme not in ("http", "https"):
        raise ConfigError(f"hub_url: {config.hub_url!r} is not an http(s) URL")
    if config.feed_size < 1:
        raise ConfigError(f"feed_size: must be at least 1, not {config.feed_size}")
    if not 0 <= config.max_withdraw <= 100:
        raise ConfigError(f"max_withdraw: a share in %, 0 to 100, not {config.max_withdraw}")
    if not 0 <= config.port <= 65535:
        raise ConfigError(f"port: {config.port} is not a TCP port")
    return config
