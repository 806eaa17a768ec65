"""The `osce-feeds` command: `build`, `check`, `watch`, `serve`. A thin shell.

Settings come from flags, then `osce-feeds.toml`, then `OSCE_FEEDS_*` environment
variables, then defaults (see `feeds.config`). Our errors become one-line messages;
`main(argv)` returns the exit status (130 on Ctrl-C).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from feeds import __version__, heap
from feeds.build import WithdrawalHeld, build
from feeds.config import Config, ConfigError, load_config
from feeds.model import Issue, Level
from feeds.pages import display_name
from feeds.parse import parse_seed
from feeds.publish import PublishFailed
from feeds.seeds import SeedsUnavailable, Unreadable, quoted, read_seed, seed_names
from feeds.store import AlreadyRunning

log = logging.getLogger("feeds")
DEFAULTS = Config()


def _setting(
    *names: str, setting: str, metavar: str, help: str, default: object = None
) -> Callable[..., Any]:
    env = f"OSCE_FEEDS_{setting.upper()}"
    default = getattr(DEFAULTS, setting) if default is None else default
    return click.option(
        *names,
        setting,
        metavar=metavar,
        default=None,
        help=f"{help} [env {env}; default: {default}]",
    )


COMMON = (
    _setting(
        "--seeds", setting="seeds", metavar="DIR", help="Folder of seed files (listing pages)."
    ),
    _setting("--public", setting="public", metavar="DIR", help="Folder the feeds go into."),
    _setting(
        "--base-url",
        setting="base_url",
        metavar="URL",
        help="Public address of the public folder; self links are built on it. Give it "
        "whenever readers reach the server by another address (a proxy, a name, 0.0.0.0).",
        default="http://HOST:PORT/ of the host and port settings "
        "(0.0.0.0: 127.0.0.1; ::: localhost)",
    ),
    _setting(
        "--timezone",
        setting="timezone",
        metavar="ZONE",
        help="IANA time zone in which listing dates are calendar days.",
    ),
    _setting(
        "--day-time",
        setting="day_time",
        metavar="HH:MM",
        help="Time of day that stands for a publishing date.",
    ),
    _setting(
        "--feed-size",
        setting="feed_size",
        metavar="N",
        help="Entries in each subscription feed (the newest).",
    ),
    _setting(
        "--max-withdraw",
        setting="max_withdraw",
        metavar="PERCENT",
        help="Hold a build that would withdraw more than this share of the published "
        "items at once (100: never hold).",
    ),
    _setting(
        "--hub-url",
        setting="hub_url",
        metavar="URL",
        help="WebSub hub: announced in every feed; the daemon notifies it of changes.",
    ),
    _setting(
        "--queries",
        setting="queries",
        metavar="FILE",
        help="Named feeds cut to measure, published as static files in queries/: a TOML "
        'file with a [feeds] table of name = "query" (a missing file: none).',
    ),
    click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Settings file [env OSCE_FEEDS_CONFIG; default: ./osce-feeds.toml if present].",
    ),
    click.option("-v", "--verbose", count=True, help="Say more (notices, each file written)."),
    click.option("-q", "--quiet", count=True, help="Say less (warnings and errors only)."),
)
DAEMON = (
    _setting(
        "--after-publish",
        setting="after_publish",
        metavar="COMMAND",
        help="Shell command run after each publish (e.g. to sync the public folder; "
        "it gets OSCE_FEEDS_PUBLIC and OSCE_FEEDS_CHANGED, runs in the working directory).",
    ),
)
SERVER = (
    _setting("--host", setting="host", metavar="ADDR", help="Address to serve on."),
    _setting("--port", setting="port", metavar="PORT", help="TCP port to serve on."),
)
POLL = click.option(
    "--poll", is_flag=True, help="Poll seeds/ instead of waiting for file system events."
)


def with_options(*options: Callable[..., Any]) -> Callable[..., Any]:
    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


def configure(config_file: Path | None, verbose: int, quiet: int, **settings: Any) -> Config:
    """Set up logging and read the settings; see `loader`."""
    return loader(config_file, verbose, quiet, **settings)()


def loader(
    config_file: Path | None, verbose: int, quiet: int, **settings: Any
) -> Callable[[], Config]:
    """Set up logging; returns a function that reads the settings again (SIGHUP).
    A bad setting at the first read is a usage error."""
    level = logging.INFO + 10 * (quiet - verbose)
    logging.basicConfig(
        level=max(logging.DEBUG, min(level, logging.ERROR)),
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
        stream=sys.stderr,
        force=True,
    )

    def load() -> Config:
        return load_config(settings, config_file=config_file)

    try:
        load()
    except ConfigError as error:
        raise click.UsageError(str(error)) from error
    return load


def log_issues(issues: Sequence[Issue]) -> None:
    levels = {
        Level.ERROR: logging.ERROR,
        Level.WARNING: logging.WARNING,
        Level.NOTICE: logging.DEBUG,
    }
    for issue in issues:
        log.log(levels[issue.level], "%s", issue)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="osce-feeds")
def cli() -> None:
    """Atom and RSS feeds from scrapes of the OSCE "News and press releases" listing.

    Listing pages saved as text in the seeds folder become one feed for everything,
    one per topic ("What we do"), one per mission or office ("Where we are") and one
    per content type, published into the public folder.

    Settings: flags first, then the config file (TOML, keys as the flags without
    dashes: seeds, public, base_url, timezone, day_time, feed_size, hub_url,
    after_publish, host, port), then OSCE_FEEDS_* environment variables, then
    defaults.
    """


@cli.command("build")
@with_options(*COMMON)
@click.option("--strict", is_flag=True, help="Exit 1 when a seed file has errors or warnings.")
@click.option(
    "--allow-withdrawal",
    is_flag=True,
    help="Publish even a build that withdraws more items than --max-withdraw allows.",
)
def build_command(strict: bool, allow_withdrawal: bool, **options: Any) -> int:
    """Build the public folder from the seeds folder once."""
    config = configure(**options)
    try:
        with heap.paused(freeze=True):  # the process ends after it (`feeds.heap`)
            result = build(config, allow_withdrawal=allow_withdrawal)
    except WithdrawalHeld as held:
        raise click.ClickException(
            f"{held}; if that is what you want, run again with --allow-withdrawal"
        ) from held
    except (SeedsUnavailable, AlreadyRunning) as error:
        raise click.ClickException(f"{error}; nothing was published") from error
    except PublishFailed as error:
        raise click.ClickException(f"{config.public}: {error.summary()}") from error
    except OSError as error:  # public/ or its state folder cannot be made or locked
        where = quoted(str(error.filename or config.public))
        raise click.ClickException(f"{where}: {error.strerror}; nothing was published") from error
    log_issues(result.issues)
    log.info("built %s: %s", config.public, result.summary())
    if strict and any(i.level is not Level.NOTICE for i in result.issues):
        return 1
    return 0


@cli.command("check")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@with_options(*COMMON)
def check_command(files: tuple[Path, ...], **options: Any) -> int:
    """Parse seed files (default: every one in the seeds folder) and print each problem
    as FILE:LINE: LEVEL: MESSAGE. Exits 1 when a file has errors."""
    config = configure(**options)
    if files:
        named = {quoted(str(path)): _read(path) for path in files}
    else:
        try:
            names = seed_names(config.seeds)
        except SeedsUnavailable as error:
            raise click.ClickException(str(error)) from error
        named = {
            display_name(config, name): data
            for name in names
            if (data := read_seed(os.path.join(config.seeds, name))) is not None
        }
    errors = items = 0
    for source, data in named.items():
        if isinstance(data, Unreadable):
            click.echo(str(Issue(source, 1, Level.ERROR, f"{data.reason}: not read")))
            errors += 1
            continue
        result = parse_seed(data, source)
        items += len(result.records)
        for issue in result.issues:
            click.echo(str(issue))
            errors += issue.level is Level.ERROR
    click.echo(f"{len(named)} files, {items} item records, {errors} errors", err=True)
    return 1 if errors else 0


def _read(path: Path) -> bytes | Unreadable:
    data = read_seed(str(path))
    if data is None:
        raise click.FileError(quoted(str(path)), "no such file")
    return data


@cli.command("watch")
@with_options(*COMMON, *DAEMON, POLL)
def watch_command(poll: bool, **options: Any) -> int:
    """Build, then keep the public folder in step with the seeds folder until stopped."""
    from feeds.watch import run_daemon

    return run_daemon(loader(**options), poll=poll, serve=False)


@cli.command("serve")
@with_options(*COMMON, *DAEMON, *SERVER, POLL)
def serve_command(poll: bool, **options: Any) -> int:
    """Watch, and serve the public folder over HTTP (http://127.0.0.1:8080/)."""
    from feeds.watch import run_daemon

    return run_daemon(loader(**options), poll=poll, serve=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        result = cli.main(args=argv, prog_name="osce-feeds", standalone_mode=False)
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.exceptions.Exit as done:
        return done.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        return 130
    return result if isinstance(result, int) else 0
