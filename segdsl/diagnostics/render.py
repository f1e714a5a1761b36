"""Diagnostics → text for people, JSON for tools. The only module that formats them."""
from __future__ import annotations

import json
import unicodedata

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
        out.append(f"{d.severity.value}[{d.code}]: {d.message}")
        sp = d.span
        if sp is not None and sp.line > 0:
            out.append(f"  --> {sp.path}:{sp.line}:{sp.col}")
            lines = texts.get(sp.path, "").split("\n")   # as the parser counts lines: only \n ends one
            if 0 < sp.line <= len(lines):
                src = _visible(lines[sp.line - 1].rstrip("\r"))
                num = str(sp.line)
                pad = " " * len(num)
                end = sp.end_col if sp.end_line == sp.line and sp.end_col > sp.col else sp.col + 1
                lead = _width(_untab(src[: sp.col - 1]))
                width = max(1, _width(_untab(src[sp.col - 1: end - 1])))
                src = _untab(src)
                out.append(f"{pad} |")
                out.append(f"{num} | {src}")
                out.append(f"{pad} | {' ' * lead}{'^' * width}")
        elif sp is not None:
            out.append(f"  --> {sp.path}")
        for n in d.notes:
            out.append(f"   = note: {n}")
        if d.help:
            out.append(f"   = help: {d.help}")
        out.append("")
    return "\n".join(out)


def _visible(s: str) -> str:
    """Control characters as their Unicode pictures (NUL as ␀), one for one, so they
    cannot upset a terminal and the caret still lines up; tabs are left to `_untab`."""
    return "".join(chr(0x2400 + ord(c)) if (ord(c) < 0x20 and c != "\t") else "\u2421" if c == "\x7f" else c
                   for c in s) if any(ord(c) < 0x20 and c != "\t" or c == "\x7f" for c in s) else s


def as_dict(d: Diagnostic) -> dict:
    sp = d.span
    return {
        "code": d.code, "severity": d.severity.value, "message": d.message, "help": d.help,
        "notes": list(d.notes),
        "file": sp.path if sp else None, "line": sp.line if sp else None, "column": sp.col if sp else None,
        "end_line": sp.end_line if sp else None, "end_column": sp.end_col if sp else None,
    }


def json_text(diags: list[Diagnostic]) -> str:
    return json.dumps([as_dict(d) for d in diags], ensure_ascii=False, indent=2)


def summary(diags: list[Diagnostic]) -> str:
    errors = sum(d.is_error for d in diags)
    warnings = len(diags) - errors
    return f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}"
