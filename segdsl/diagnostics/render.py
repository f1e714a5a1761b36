"""Diagnostics → text for people, JSON for tools. The only module that formats them.

Text is in the user's language (segdsl.i18n: `--lang`, else the locale);
JSON, SARIF and the other formats for tools stay in English, so that what a
program matches on does not depend on who runs it.
"""
from __future__ import annotations

import json
import unicodedata

from ..i18n import translate as _tr

from .codes import Severity
from .values import Diagnostic


def _width(s: str) -> int:
    """Display width: CJK characters take two terminal columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in s)


def _untab(s: str) -> str:
    """Tabs shown as spaces, so that the caret lines up whatever the terminal's tab stops."""
    return s.replace("\t", "    ")


def text(diags: list[Diagnostic], texts: dict[str, str]) -> str:
    out = []
    for d in diags:
        out.append(f"{d.severity.value}[{d.code}]: {visible(_tr(d.message))}")
        sp = d.span
        if sp is not None and sp.line > 0:
            out.append(f"  --> {visible(sp.path)}:{sp.line}:{sp.col}")
            lines = texts.get(sp.path, "").split("\n")   # as the parser counts lines: only \n ends one
            if 0 < sp.line <= len(lines):
                raw = lines[sp.line - 1].rstrip("\r")
                num = str(sp.line)
                pad = " " * len(num)
                end = sp.end_col if sp.end_line == sp.line and sp.end_col > sp.col else sp.col + 1
                # the prefix and the span are made visible apart, so the caret stays under the span
                lead = _width(_untab(visible(raw[: sp.col - 1], tabs=True)))
                width = max(1, _width(_untab(visible(raw[sp.col - 1: end - 1], tabs=True))))
                src = _untab(visible(raw, tabs=True))
                out.append(f"{pad} |")
                out.append(f"{num} | {src}")
                out.append(f"{pad} | {' ' * lead}{'^' * width}")
        elif sp is not None:
            out.append(f"  --> {visible(sp.path)}")
        for n in d.notes:
            out.append(f"   = {_tr('note')}: {visible(_tr(n))}")
        if d.help:
            out.append(f"   = {_tr('help')}: {visible(_tr(d.help))}")
        out.append("")
    return "\n".join(out)


# characters that are not shown as themselves: C1 controls (a terminal may take U+009B as
# an escape), direction controls (they reorder what the reader sees: "Trojan Source"),
# zero-width characters and the Unicode line and paragraph separators
_HIDDEN = frozenset([*map(chr, range(0x80, 0xA0)), "\u061c", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f",
                     *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)), "\u2028", "\u2029",
                     "\ufeff"])


def _shown(c: str, tabs: bool) -> str:
    o = ord(c)
    if c == "\t" and tabs:
        return c
    if o < 0x20:
        return chr(0x2400 + o)          # ␀ ␛ ...: one column, like the character it stands for
    if c == "\x7f":
        return "\u2421"
    if c in _HIDDEN:
        return f"<U+{o:04X}>"
    return c


def visible(s: str, tabs: bool = False) -> str:
    """Rule text made safe and visible for a terminal: C0 controls (ESC, NUL, ...) as their
    Unicode pictures, C1, direction and zero-width characters as `<U+202E>`, so nothing a rule
    file holds can move the cursor, recolour the terminal or reorder a line. Every place the
    command line prints rule text (labels, names, test names, values, file paths) goes
    through here; `tabs` keeps tabs for the source line, which `_untab` expands."""
    if all(" " <= c < "\x7f" for c in s):
        return s
    return "".join(_shown(c, tabs) if (c < " " or c == "\x7f" or c in _HIDDEN) else c for c in s)


def as_dict(d: Diagnostic) -> dict:
    sp = d.span
    return {
        "code": d.code, "severity": d.severity.value, "message": d.message, "help": d.help,
        "notes": list(d.notes),
        "file": sp.path if sp else None, "line": sp.line if sp else None, "column": sp.col if sp else None,
        "end_line": sp.end_line if sp else None, "end_column": sp.end_col if sp else None,
    }


_JSON_ESCAPED = _HIDDEN | {"\x7f"}


def json_dumps(value) -> str:
    """JSON with Chinese text as it is, but C1, direction and zero-width characters written as
    `\\u202e` escapes (JSON already escapes C0 controls): the same value for a program, and
    nothing a terminal acts on when a person looks at it."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    if not _JSON_ESCAPED.intersection(text):
        return text
    return "".join(f"\\u{ord(c):04x}" if c in _JSON_ESCAPED else c for c in text)


def json_text(diags: list[Diagnostic]) -> str:
    return json_dumps([as_dict(d) for d in diags])


def summary(diags: list[Diagnostic]) -> str:
    errors = sum(d.is_error for d in diags)
    notes = sum(d.severity is Severity.NOTE for d in diags)
    warnings = len(diags) - errors - notes
    out = f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}"
    return out + (f", {notes} note{'s' if notes != 1 else ''}" if notes else "")
