"""A table test's text as aligned rows: cells padded to their column, comments kept.

The grammar reads a table's body as one piece of text (syntax/build_ast.py
splits it into cells), so its layout is decided here, line by line: a row's
cells are stripped and padded to the widest cell of their column, a comment
stays at the end of its row or on its own line, blank lines are kept.
Quotes are honoured: a `|` or `#` inside a string is part of the cell.
"""
from __future__ import annotations

from .doc import display_width


def split_row(line: str) -> tuple[list[str], str]:
    """The cells of one line and its comment ("" when none)."""
    cells, cell, quoted, i = [], [], False, 0
    while i < len(line):
        ch = line[i]
        if quoted and ch == "\\" and i + 1 < len(line):
            cell.append(line[i:i + 2])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "|":
            cells.append("".join(cell).strip())
            cell = []
            i += 1
            continue
        elif not quoted and ch == "#":
            cells.append("".join(cell).strip())
            return cells, line[i:].rstrip()
        cell.append(ch)
        i += 1
    cells.append("".join(cell).strip())
    return cells, ""


def table_lines(text: str) -> list[str]:
    rows = [split_row(line) for line in text.split("\n")]
    widths: dict[int, int] = {}
    for cells, _ in rows:
        if cells != [""]:
            for i, c in enumerate(cells[:-1]):
                widths[i] = max(widths.get(i, 0), display_width(c))
    out = []
    for cells, comment in rows:
        if cells == [""]:
            out.append(comment)
            continue
        padded = [c + " " * (widths[i] - display_width(c)) for i, c in enumerate(cells[:-1])] + cells[-1:]
        out.append(" | ".join(padded).rstrip() + ("  " + comment if comment else ""))
    while out and not out[0]:
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return out
