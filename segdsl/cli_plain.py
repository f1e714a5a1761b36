"""What the command line writes to a stream that is not a terminal, without rich.

Importing rich and rendering `apply`'s summary tables with it was about 0.03 s
of a short run, a fifth of its whole fixed cost, and every command pays the
import for its one status line. Where the stream is not a terminal, rich
writes no styles: a line is its text, and a table that fits the console is
box characters around padded cells. For those cases this module writes the
same bytes rich would, checked against rich itself by the tests
(tests/cli/test_plain.py). Anything else returns None, and the caller uses
rich: a terminal (colours, wrapping), a text with a character whose width
rich may count otherwise than here (only printable ASCII and wide East Asian
characters are taken), a tab or a control character (rich expands or removes
them), a table wider than the console.
"""
from __future__ import annotations

import builtins
import os
import sys
import unicodedata

# rich's HEAVY_HEAD box: the top, the header's row, the line under the header, a row, the bottom
_TOP, _HEAD, _UNDER, _ROW, _BOTTOM = ("┏━┳┓", "┃ ┃┃", "┡━╇┩", "│ ││", "└─┴┘")


def stream_is_plain(file) -> bool:
    """Whether rich would write to `file` without styles and with its own box characters:
    rich's own test of a terminal (the TTY_COMPATIBLE and FORCE_COLOR variables first, then
    `isatty`), outside Jupyter, in a UTF encoding, and not on Windows (whose legacy console
    rich gives another width and other boxes)."""
    if "get_ipython" in vars(builtins) or sys.platform == "win32":
        return False
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    force_color = os.environ.get("FORCE_COLOR")
    if compatible == "1" or (compatible != "0" and force_color is not None and force_color != ""):
        return False
    if compatible != "0" and force_color is None:
        try:
            if file.isatty():
                return False
        except (AttributeError, ValueError):
            pass
    return (getattr(file, "encoding", None) or "utf-8").lower().startswith("utf")


def console_width() -> int | None:
    """The width rich takes for a console whose width was not given: `COLUMNS`, else the first
    of standard input, output and error that is a terminal, else 80."""
    columns = os.environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        return int(columns) or None
    width = None
    for fd in (0, 1, 2):
        try:
            width = os.get_terminal_size(fd).columns
        except (AttributeError, ValueError, OSError):
            continue
        break
    return width or 80


# wide by Unicode's East Asian Width, yet no cell to rich; emoji (U+1F000 to U+1FAFF) are rich's
# own business too: sequences, modifiers and variation selectors change their width
_FILLERS = ("\u3164", "\U00016fe4")
_MARKS = ("Mn", "Me", "Mc", "Cf", "Sk")


def width(text: str) -> int | None:
    """Cells `text` takes, if every character is printable ASCII (one cell) or a wide East
    Asian character other than an emoji (two); None for anything else."""
    if text.isascii():
        return len(text) if text.isprintable() else None
    cells = 0
    for c in text:
        if " " <= c <= "~":
            cells += 1
        elif not "\U0001f000" <= c <= "\U0001faff" and c not in _FILLERS and unicodedata.east_asian_width(c) in "WF" \
                and unicodedata.category(c) not in _MARKS and c.isprintable():
            cells += 2
        else:
            return None
    return cells


def line(text: str) -> str | None:
    """`text` as rich writes it with markup, emoji and highlighting off: as it is, when every
    line of it is plain."""
    return text if all(width(part) is not None for part in text.split("\n")) else None


def table(title: str, headers: list[str], right: list[bool], rows: list[list[str]], limit: int) -> str | None:
    """A rich `Table` with a left-justified title, as rich writes it off a terminal; None when
    a text is not plain or the table is wider than `limit` cells (rich would fold it)."""
    cells = [headers, *rows]
    # a cell with a space at an end is left to rich, which strips it where it justifies
    widths = [[width(c) if c == c.strip(" ") else None for c in row] for row in cells]
    title_width = width(title) if title and title == title.strip(" ") else None
    if title_width is None or any(w is None for row in widths for w in row):
        return None
    columns = [max(row[i] for row in widths) for i in range(len(headers))]
    if sum(columns) + 3 * len(columns) + 1 > limit or title_width > limit:
        return None

    def rule(box: str) -> str:
        return box[0] + box[2].join(box[1] * (w + 2) for w in columns) + box[3]

    def row(box: str, texts: list[str], cells: list[int]) -> str:
        padded = (" " * (w - n) + t if r else t + " " * (w - n)
                  for t, n, w, r in zip(texts, cells, columns, right))
        return box[0] + box[2].join(f" {p} " for p in padded) + box[3]
    lines = [title, rule(_TOP), row(_HEAD, headers, widths[0]), rule(_UNDER)]
    lines += [row(_ROW, texts, cells) for texts, cells in zip(rows, widths[1:])]
    lines.append(rule(_BOTTOM))
    return "\n".join(lines) + "\n"
