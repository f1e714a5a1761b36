"""Which warnings and notes a project chose not to see.

On the line: `# segdsl: ignore[SEG401]` (or `ignore[SEG401, SEG404]`) at the
end of the line a diagnostic points at (for a dimension, its `dimension`
line; for a segment, the line it starts on) hides those codes there. Per
project: `select` and `ignore`, lists of codes or code prefixes (`SEG4`),
from `[tool.segdsl]` in pyproject.toml (service/config.py reads it). Errors
are never hidden: a file with one cannot run.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .codes import Severity
from .values import Diagnostic

IGNORE = re.compile(r"#\s*segdsl:\s*ignore\[([^\]]*)\]")


@dataclass(frozen=True)
class Selection:
    """The warnings and notes a project chose to see: `select` and `ignore` codes or prefixes from
    `[tool.segdsl]`. Errors are shown whatever it says."""
    select: tuple[str, ...] = ()       # empty: every code
    ignore: tuple[str, ...] = ()

    def keeps(self, code: str) -> bool:
        chosen = not self.select or any(code.startswith(p) for p in self.select)
        return chosen and not any(code.startswith(p) for p in self.ignore)


def ignored_on_line(d: Diagnostic, texts: dict[str, str]) -> bool:
    sp = d.span
    if sp is None or sp.line < 1 or sp.path not in texts:
        return False
    lines = texts[sp.path].split("\n")
    if sp.line > len(lines):
        return False
    return any(d.code in [c.strip() for c in m.group(1).split(",")] for m in IGNORE.finditer(lines[sp.line - 1]))


def shown(diags: list[Diagnostic], texts: dict[str, str], selection: Selection = Selection()) -> list[Diagnostic]:
    """The diagnostics left once the line comments and the project's selection are applied."""
    return [d for d in diags if d.severity is Severity.ERROR
            or (selection.keeps(d.code) and not ignored_on_line(d, texts))]
