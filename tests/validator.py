"""The W3C Feed Validation Service's engine, run offline (`../shared/tools/feedvalidate
--strict`) on every Atom and RSS file of a published folder. It ships beside the
project, not inside it: without `../shared`, a test that needs it is skipped, loudly."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from .paths import BASE_URL, ROOT

VALIDATOR = Path(os.environ.get("FEEDVALIDATE", ROOT.parent / "shared/tools/feedvalidate"))


def validate(public: Path) -> subprocess.CompletedProcess[str]:
    if not VALIDATOR.is_file():
        pytest.skip(f"NOT VALIDATED: {VALIDATOR} is missing (it comes with ../shared)")
    feeds = sorted(p.relative_to(public).as_posix() for p in public.rglob("*.atom"))
    feeds += sorted(p.relative_to(public).as_posix() for p in public.rglob("*.rss"))
    return subprocess.run(
        [str(VALIDATOR), "--strict", "--base", BASE_URL, "--base-dir", ".", *feeds],
        cwd=public,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
