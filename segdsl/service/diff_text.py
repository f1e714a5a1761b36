"""A Diff as the terminal shows it: the structural changes, then per dimension how many
customers moved and between which segments (rich tables; rule text through `visible`,
as Text, never markup)."""
from __future__ import annotations

from typing import Callable

from rich.console import Group
from rich.table import Table
from rich.text import Text

from .diff import Diff, DimensionMoves


def tables(d: Diff, visible: Callable[[str], str] = str) -> Group:
    parts: list = [Text(visible(f"{d.old} → {d.new}: {len(d.changes)} change{'s' if len(d.changes) != 1 else ''}"
                                + " in the rules"))]
    for c in d.changes:
        line = f"  {c.kind} {c.where}" + (f" ({c.what})" if c.what not in c.where.split()[0] else "")
        if c.old is not None or c.new is not None:
            line += f": {c.old if c.old is not None else '—'} → {c.new if c.new is not None else '—'}"
        parts.append(Text(visible(line)))
    if d.customers is not None:
        parts.append(Text(visible(f"{d.customers:,} customers in both runs"
                                  + (f"; {d.only_old:,} only in the old" if d.only_old else "")
                                  + (f"; {d.only_new:,} only in the new" if d.only_new else ""))))
        parts += [_moves(m, visible) for m in d.dimensions]
    return Group(*parts)


def _moves(m: DimensionMoves, visible) -> Table | Text:
    if not m.moved:
        return Text(visible(f"{m.name}" + (f" {m.label}" if m.label else "") + f": no customer moved"))
    title = f"{m.name}" + (f" {m.label}" if m.label else "") + \
        f": {m.moved:,} of {m.customers:,} customers moved ({m.share:.1%})"
    t = Table(title=Text(visible(title)), title_justify="left")
    t.add_column("from")
    t.add_column("to")
    t.add_column("customers", justify="right")
    t.add_column("for example")
    stayed = 0
    for tr in m.transitions:
        if tr.old == tr.new or (isinstance(tr.old, tuple) and set(tr.old) == set(tr.new)):
            stayed += tr.customers
            continue
        t.add_row(Text(visible(_seg(tr.old))), Text(visible(_seg(tr.new))), f"{tr.customers:,}",
                  Text(visible(", ".join(str(k) for k in tr.sample))))
    t.add_row("(same)", "(same)", f"{stayed:,}", "")
    return t


def _seg(v) -> str:
    if v is None:
        return "(none)"
    if isinstance(v, tuple):
        return "[" + ", ".join(v) + "]"
    return str(v)
