"""An Explanation as the tree `segdsl explain` prints (rich's Tree).

Kept beside the value rather than in cli.py because the golden files of the
tests compare this text, and because it is one job: each dimension is a
branch, each segment tried a branch under it (✓ matched, ✗ not), `and`,
`or` and `not` branches below that, and each leaf shows the values it read
with the labels of the rule file. Everything from the rule file or the data
goes through `visible` (the caller's guard against terminal control
characters) and is a Text, never markup.
"""
from __future__ import annotations

from typing import Any, Callable

from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from .explain import Attempt, Condition, DimensionExplained, Explanation, Value


def tree(e: Explanation, visible: Callable[[str], str] = str) -> Tree:
    who = f"{e.key_name} = {show(e.key)}" if e.key_name != "_row" else f"data row {e.key}"
    where = f"row {e.row:,} of {e.customers:,} customers" if e.row is not None and e.key_name != "_row" \
        else f"one of {e.customers:,} customers"
    root = Tree(Text(visible(f"{e.ruleset}: {who} ({where})")))
    for d in e.dimensions:
        _dimension(root, d, visible)
    return root


def text(e: Explanation, width: int = 200) -> str:
    """The tree as plain text (no colours), as the tests compare it."""
    console = Console(width=width, record=True, color_system=None, file=_Null(), highlight=False)
    console.print(tree(e))
    return console.export_text()


class _Null:
    def write(self, s: str) -> int:
        return len(s)

    def flush(self) -> None:
        pass


def _dimension(root: Tree, d: DimensionExplained, visible) -> None:
    if d.conflict:
        result = "conflict: " + ", ".join(d.conflict) + " (a `unique` dimension matched twice: bad input)"
    elif d.policy == "all":
        result = ", ".join(_named(s, lab) for s, lab in zip(d.segment, d.segment_label)) or "no tag"
    else:
        result = _named(d.segment, d.segment_label) if d.segment is not None else "no segment"
    branch = root.add(Text(visible(f"{_named(d.name, d.label)} ({d.policy}) → {result}")))
    for a in d.trace:
        _attempt(branch, a, visible)
    if d.lets:
        branch.add(Text(visible("lets: " + "; ".join(_value(v) for v in d.lets))))


def _attempt(branch: Tree, a: Attempt, visible) -> None:
    mark = "✓" if a.matched else "✗"
    if a.condition is None:
        branch.add(Text(visible(f"{mark} {_named(a.segment, a.label)}: otherwise")))
        return
    node = branch.add(Text(visible(f"{mark} {_named(a.segment, a.label)}: {_line(a.condition)}")))
    _parts(node, a.condition, visible)


def _parts(node: Tree, c: Condition, visible) -> None:
    for p in c.parts:
        _parts(node.add(Text(visible(_line(p)))), p, visible)


def _line(c: Condition) -> str:
    truth = {True: "true", False: "false", None: "unknown"}[c.truth]
    if c.truth is None and c.missing:
        truth += " because " + ", ".join(c.missing) + (" is" if len(c.missing) == 1 else " are") + " missing"
    shown = f"{c.text} → {truth}"
    if c.op is None and c.values:
        shown += "   [" + "; ".join(_value(v) for v in c.values) + "]"
    return shown


def _value(v: Value) -> str:
    over = f" over {v.population:,} customers" if v.population is not None else ""
    return f"{_named(v.name, v.label)} = {show(v.value)}{over}"


def _named(name: Any, label: str | None) -> str:
    return f"{name} {label}" if label else str(name)


def show(v: Any) -> str:
    """A value as the tree shows it: null, true/false, numbers to six significant digits."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:,.6g}"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, tuple):
        return "[" + ", ".join(show(x) for x in v) + "]"
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)
