"""A Report as the terminal shows it: rich tables with bars, a heat map for the cross-tab.

Labels and names are rule text: they go through the caller's `visible` and
are Text, never markup.
"""
from __future__ import annotations

from typing import Callable

from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text

from .report import Crosstab, DimensionSizes, Report

BAR = 20        # characters of a full bar


def tables(r: Report, visible: Callable[[str], str] = str) -> Group:
    parts = [Text(visible(f"{r.ruleset}" + (f" {r.label}" if r.label else "") +
                          f": {r.customers:,} customers ({r.engine} engine)"))]
    parts += [_dimension(r, d, visible) for d in r.dimensions]
    if r.crosstab is not None:
        parts.append(_heat(r, r.crosstab, visible))
    return Group(*parts)


def bar(share: float | None) -> str:
    if share is None:
        return ""
    full = max(0.0, min(1.0, share)) * BAR
    eighths = round(full * 8)
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]


def _dimension(r: Report, d: DimensionSizes, visible) -> Table:
    title = f"{d.name}" + (f" {d.label}" if d.label else "") + f" ({d.policy})"
    t = Table(title=Text(visible(title)), title_justify="left")
    t.add_column("segment")
    t.add_column("label")
    t.add_column("customers", justify="right")
    t.add_column("share", justify="right")
    t.add_column("", no_wrap=True)
    for m in r.measures:
        name = m.name + (f" {m.label}" if m.label else "")
        t.add_column(Text(visible(f"{name} share")), justify="right")
        t.add_column("", no_wrap=True)
        t.add_column("mean", justify="right")
        t.add_column("median", justify="right")
    for s in d.segments:
        cells = [Text(visible(s.name if s.name is not None else "(none)")), Text(visible(s.label or "")),
                 f"{s.customers:,}", f"{s.share:.1%}", bar(s.share)]
        for _, m in s.measures:
            cells += [_pct(m.share), bar(m.share), _num(m.mean), _num(m.median)]
        t.add_row(*cells)
    return t


def _heat(r: Report, c: Crosstab, visible) -> Table:
    t = Table(title=Text(visible(f"{c.rows} × {c.columns} (customers)")), title_justify="left")
    t.add_column(Text(visible(f"{c.rows} \\ {c.columns}")))
    for name, label in c.column_segments:
        t.add_column(Text(visible(_named(name, label))), justify="right")
    top = max((n for row in c.counts for n in row), default=0) or 1
    for (name, label), row in zip(c.row_segments, c.counts):
        cells = [Text(visible(_named(name, label)))]
        for n in row:
            shade = int(255 - 175 * n / top)
            cells.append(Text(f"{n:,}", style=Style(color="black", bgcolor=f"rgb(255,{shade},{shade})")))
        t.add_row(*cells)
    return t


def _named(name, label) -> str:
    shown = name if name is not None else "(none)"
    return f"{shown} {label}" if label else shown


def _pct(x: float | None) -> str:
    return "" if x is None else f"{x:.1%}"


def _num(x) -> str:
    return "" if x is None else f"{x:,.2f}"
