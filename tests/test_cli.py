"""The `osce-feeds` command as a user or a script calls it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from feeds.cli import main
from feeds.config import Config, ConfigError, load_config

from .conftest import DATA, ROOT


def test_build_then_check_sample(config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--seeds", str(config.seeds), "--public", str(config.public)]
    assert main(["build", *argv, "--base-url", "https://x.test/feeds"]) == 0
    assert "https://x.test/feeds/all.atom" in (config.public / "all.atom").read_text()
    assert main(["check", *argv]) == 0
    assert capsys.readouterr().out == ""


def test_check_prints_file_line_message_and_fails_on_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = DATA / "seeds" / "bad_date_mid_page.txt"
    good = DATA / "seeds" / "basic_full_item.txt"
    assert main(["check", str(good)]) == 0
    assert main(["check", str(good), str(bad)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines
    for line in lines:
        path, number, message = line.split(":", 2)
        assert path == str(bad)
        assert int(number) >= 1
        assert message.startswith((" error: ", " warning: ", " notice: "))


def test_build_strict_fails_on_problems(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "menu.txt").write_text("Home\nAbout\nContact")
    argv = ["build", "--seeds", str(seeds), "--public", str(tmp_path / "public"), "-q"]
    assert main(argv) == 0
    assert main([*argv, "--strict"]) == 1


def test_bad_setting_is_one_line_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--timezone", "Mars/Olympus"]) == 2
    err = capsys.readouterr().err
    assert "unknown time zone 'Mars/Olympus'" in err
    assert "Traceback" not in err


def test_help_documents_every_setting() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "feeds", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    for flag in (
        "--seeds",
        "--public",
        "--base-url",
        "--config",
        "--host",
        "--port",
        "--timezone",
        "--feed-size",
        "--poll",
        "OSCE_FEEDS_BASE_URL",
    ):
        assert flag in done.stdout


def test_settings_precedence_flags_file_environment(tmp_path: Path) -> None:
    toml = tmp_path / "osce-feeds.toml"
    toml.write_text('seeds = "pages"\nport = 9000\nbase-url = "https://file.test/"\n')
    env = {"OSCE_FEEDS_PORT": "7000", "OSCE_FEEDS_FEED_SIZE": "20", "OSCE_FEEDS_HOST": "0.0.0.0"}

    config = load_config({"port": "8081"}, env, toml)

    assert config.port == 8081  # flag over file
    assert config.base_url == "https://file.test/"  # file over default
    assert config.feed_size == 20  # environment over default
    assert config.host == "0.0.0.0"
    assert config.seeds == tmp_path / "pages"  # relative to the file


def test_config_file_from_environment(tmp_path: Path) -> None:
    toml = tmp_path / "settings.toml"
    toml.write_text("feed_size = 5\n")
    assert load_config({}, {"OSCE_FEEDS_CONFIG": str(toml)}).feed_size == 5


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("base_url", "feeds.example.org", r"not an absolute http\(s\) URL"),
        ("feed_size", "0", "at least 1"),
        ("feed_size", "many", "not a valid int"),
        ("port", "70000", "not a TCP port"),
        ("day_time", "noon", "not a time"),
    ],
)
def test_bad_settings_are_named(setting: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config({setting: value}, {})


def test_unknown_key_in_config_file(tmp_path: Path) -> None:
    toml = tmp_path / "osce-feeds.toml"
    toml.write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        load_config({}, {}, toml)


def test_check_refuses_a_missing_seeds_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--seeds", str(tmp_path / "seedz")]) == 1
    assert (
        capsys.readouterr().err.strip()
        == f"Error: seeds folder {tmp_path / 'seedz'} does not exist"
    )


def test_check_reports_a_fifo_without_blocking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.mkfifo(tmp_path / "x.txt")
    (tmp_path / "a\nb.txt").write_bytes((DATA / "seeds" / "basic_full_item.txt").read_bytes())
    assert main(["check", "--seeds", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{tmp_path}/a\\nb.txt:1: error: file name is not printable UTF-8: not read",
        f"{tmp_path}/x.txt:1: error: not a regular file (a FIFO): not read",
    ]
    assert main(["check", str(tmp_path / "x.txt")]) == 1
