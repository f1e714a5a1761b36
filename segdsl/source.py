"""Where things are in rule files.

Every later stage points back into the text through a Span, so that any
diagnostic, explanation or generated line can show the analyst's own line.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .pickling import quick_pickling


@dataclass(frozen=True, slots=True)
class Source:
    """A rule file as read: its path and its text, which the parser reads and every Span points into."""
    path: str
    text: str

    @classmethod
    def from_file(cls, path: str | Path) -> "Source":
        p = Path(path)
        return cls(str(path), p.read_text(encoding="utf-8"))

    def line(self, n: int) -> str:
        lines = self.text.splitlines()
        return lines[n - 1] if 0 < n <= len(lines) else ""


@dataclass(frozen=True, slots=True)
class Span:
    """Where something is written in a rule file (the line and column of its start and end), so a
    diagnostic, explanation or generated line can point at the analyst's own text."""
    path: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


NO_SPAN = Span("<builtin>", 0, 0, 0, 0)


quick_pickling(globals())
