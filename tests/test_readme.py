"""The README tells a newcomer the truth about what `make test` needs."""

from __future__ import annotations

import re

from .paths import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_two_commands_and_what_they_skip() -> None:
    """Tests skip unless a tool is installed: the README says so right after the two
    commands, with the same install command as the skip reasons give."""
    opening = README.split("\n## ", 1)[0]
    assert "make run" in opening
    assert "make test" in opening
    skipped = set()
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        skipped |= set(re.findall(r"not installed: (apt-get install \w+)", path.read_text()))
    assert skipped == {"apt-get install newsboat", "apt-get install chromium"}
    assert "apt-get install newsboat chromium" in opening
    assert "feedvalidate" in opening
