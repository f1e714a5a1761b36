"""The fenced code blocks of a Markdown page, and the tutorial's hidden steps, in page order.

A block is ```LANG [title="NAME"] ... ```. The tutorial also holds steps a
reader does by hand, written for the tests as HTML comments (invisible on
the site): `<!-- tutorial: replace FILE "OLD" "NEW" -->`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^```(?P<lang>[\w-]*)(?P<attrs>[^\n]*)\n(?P<body>.*?)^```\s*$", re.M | re.S)
TITLE = re.compile(r'title="(?P<title>[^"]+)"')
STEP = re.compile(r'<!-- tutorial: replace (?P<file>\S+) "(?P<old>[^"]*)" "(?P<new>[^"]*)" -->')


@dataclass(frozen=True)
class Block:
    lang: str
    title: str | None
    body: str
    line: int


@dataclass(frozen=True)
class Replace:
    file: str
    old: str
    new: str
    line: int


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def items(path: Path) -> list[Block | Replace]:
    text = path.read_text(encoding="utf-8")
    found: list[tuple[int, Block | Replace]] = []
    for m in FENCE.finditer(text):
        t = TITLE.search(m.group("attrs"))
        found.append((m.start(), Block(m.group("lang"), t.group("title") if t else None, m.group("body"),
                                       _line(text, m.start()))))
    for m in STEP.finditer(text):
        found.append((m.start(), Replace(m.group("file"), m.group("old"), m.group("new"), _line(text, m.start()))))
    return [item for _, item in sorted(found, key=lambda x: x[0])]


def blocks(path: Path, lang: str) -> list[Block]:
    return [b for b in items(path) if isinstance(b, Block) and b.lang == lang]
