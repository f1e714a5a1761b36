"""Spans (1-based lines, columns counted in characters) ↔ LSP positions (0-based, UTF-16 units).

LSP counts columns in UTF-16 code units by default; a character beyond the
Basic Multilingual Plane (an emoji in a label) is two of them, so columns
are converted through the line's text rather than shifted by one.
"""
from __future__ import annotations

from lsprotocol import types as T

from ..source import Span


def _units(line: str, chars: int) -> int:
    return len(line[:chars].encode("utf-16-le")) // 2


def _chars(line: str, units: int) -> int:
    count = 0
    for i, ch in enumerate(line):
        if count >= units:
            return i
        count += 2 if ord(ch) > 0xFFFF else 1
    return len(line)


def _line(lines: list[str], n: int) -> str:
    return lines[n] if 0 <= n < len(lines) else ""


def to_range(text: str, span: Span | None) -> T.Range:
    if span is None or span.line < 1:
        return T.Range(T.Position(0, 0), T.Position(0, 0))
    lines = text.split("\n")
    start = T.Position(span.line - 1, _units(_line(lines, span.line - 1), span.col - 1))
    end = T.Position(span.end_line - 1, _units(_line(lines, span.end_line - 1), span.end_col - 1))
    return T.Range(start, end)


def from_position(text: str, pos: T.Position) -> tuple[int, int]:
    """The 1-based (line, column in characters) of an LSP position."""
    lines = text.split("\n")
    return pos.line + 1, _chars(_line(lines, pos.line), pos.character) + 1


def whole(text: str) -> T.Range:
    lines = text.split("\n")
    return T.Range(T.Position(0, 0), T.Position(len(lines) - 1, _units(lines[-1], len(lines[-1]))))
