"""The working state of one parse: the page's lines, the issues found so far, and
what the parse has already warned about.

The only mutable value of the parser; it never leaves `parse_seed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from feeds.model import Issue, Kind, Level


@dataclass(slots=True)
class Page:
    """The working state of one parse: lines and the issues found so far."""

    source: str
    lines: list[str]
    chars: int  # the characters of `lines`, or more
    issues: list[Issue] = field(default_factory=list)
    extra_lines: int = 0  # lines after a summary that belong to no item
    cut_names: set[str] = field(default_factory=set)  # long names warned about
    full_kinds: set[Kind] = field(default_factory=set)  # kinds warned about
    # The index of the line that may have been cut short, or -1: the last non-blank
    # one, whether a line end follows it or not. A scrape cut inside a value and then
    # given a final line end (or blank lines) is as cut as one that stops dead.
    cut: int = field(init=False)
    has_blanks: bool = field(init=False)

    def __post_init__(self) -> None:
        lines = self.lines
        cut = len(lines) - 1
        while cut >= 0 and not lines[cut]:
            cut -= 1
        self.cut = cut
        self.has_blanks = not all(lines)

    def add(self, index: int, level: Level, message: str) -> None:
        self.issues.append(Issue(self.source, index + 1, level, message))

    def is_cut(self, index: int) -> bool:
        """Whether line `index` is the page's last non-blank line, which may have been
        cut short."""
        return index == self.cut

    def non_blank(self, start: int, stop: int) -> Sequence[int]:
        """The indexes of the non-blank lines from `start` to `stop` (excluded)."""
        if not self.has_blanks:  # most pages
            return range(start, stop)
        lines = self.lines
        return [i for i in range(start, stop) if lines[i]]
