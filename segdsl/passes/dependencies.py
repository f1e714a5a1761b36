"""The one dependency walk of the compiler: which lets and dimensions an
expression reads, and which definitions a set of expressions needs.

The checker orders definitions with it, the liveness and population passes
find what is live with it, and the backends only ever see its results
through the Plan. Reading through an `AggregateRef` needs the hoisted
aggregates, so every function takes them (by name) where they exist.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .. import ir

_NO_AGGREGATES: Mapping[str, ir.Aggregate] = {}


def definition_exprs(d: ir.Definition) -> tuple[ir.Expr, ...]:
    """What a definition computes from: a let's expression, a dimension's conditions."""
    if isinstance(d, ir.Let):
        return (d.expr,)
    return tuple(s.condition for s in d.segments if s.condition is not None)


def walk(expr: ir.Expr, aggregates: Mapping[str, ir.Aggregate] = _NO_AGGREGATES):
    """Every node of an expression, parents first, through hoisted aggregates too."""
    stack = [expr]
    while stack:
        e = stack.pop()
        yield e
        if isinstance(e, ir.AggregateRef):
            stack.append(aggregates[e.name])
        else:
            stack.extend(reversed(ir.children(e)))


def references(exprs: ir.Expr | Iterable[ir.Expr],
               aggregates: Mapping[str, ir.Aggregate] = _NO_AGGREGATES) -> set[str]:
    """The names of the lets and dimensions these expressions read directly."""
    if isinstance(exprs, ir.Expr):
        exprs = (exprs,)
    out: set[str] = set()
    for e in exprs:
        for x in walk(e, aggregates):
            if isinstance(x, (ir.LetRef, ir.DimRef)):
                out.add(x.name)
            elif isinstance(x, ir.InTags):
                out.add(x.dimension)
    return out


def needed(definitions: Sequence[ir.Definition], exprs: Iterable[ir.Expr], pinned: frozenset[str] = frozenset(),
           aggregates: Mapping[str, ir.Aggregate] = _NO_AGGREGATES) -> tuple[ir.Definition, ...]:
    """The definitions `exprs` read, directly or through each other, in the order of
    `definitions` (dependency order). A pinned let is a constant: what it reads is not needed."""
    by_name = {d.name: d for d in definitions}
    names: set[str] = set()
    stack = list(exprs)
    while stack:
        for n in references(stack.pop(), aggregates):
            if n in names:
                continue
            names.add(n)
            d = by_name[n]
            if not (isinstance(d, ir.Let) and n in pinned):
                stack.extend(definition_exprs(d))
    return tuple(d for d in definitions if d.name in names)


def stats_read(exprs: Iterable[ir.Expr], aggregates: Mapping[str, ir.Aggregate] = _NO_AGGREGATES) -> set[int]:
    """The population statistics whose values these expressions read (a statistic's own
    argument is computed before it, so what it reads counts as read too)."""
    return {x.id for e in exprs for x in walk(e, aggregates) if isinstance(x, ir.PopulationStat)}


def aggregates_read(exprs: Iterable[ir.Expr]) -> list[str]:
    """The hoisted aggregates these expressions read directly (not through each other),
    in order of first appearance: what must be computed before a statement runs."""
    out: dict[str, None] = {}
    for e in exprs:
        for x in ir.walk(e):
            if isinstance(x, ir.AggregateRef):
                out.setdefault(x.name)
    return list(out)
