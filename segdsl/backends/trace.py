"""Why a condition is true, false or unknown for one customer: the reference
interpreter's evaluation, kept as a tree.

`explain` shows a segment's condition the way an analyst reads it: `and`,
`or` and `not` as branches, every other condition (a comparison, `between`,
`in`, `is null`, a boolean field or let, a tag test) as a leaf with the
values it read and its truth value. Values come from the interpreter
(backends/interp.py), never from a second evaluator, so an explanation
cannot disagree with the oracle the engines are tested against; only the
tree around its answers is new. One short method per node kind shapes the
tree; every other kind is a leaf.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import ir
from ..runtime.customers import Customer
from .interp import Interpreter


@dataclass(frozen=True, slots=True)
class Read:
    """A name a condition read, with this customer's value. `kind`: field, let, param,
    dimension, population (a population statistic written in the condition) or aggregate."""
    name: str
    kind: str
    value: Any
    node: ir.Expr


@dataclass(frozen=True, slots=True)
class Traced:
    """One condition: `op` is and / or / not with `parts`, or None for a leaf with the names
    it read. `truth` is True, False or None (unknown); `missing` names what was missing
    when a leaf is unknown (a let's missing inputs through the lets it reads)."""
    expr: ir.Expr
    truth: bool | None
    op: str | None = None
    parts: tuple["Traced", ...] = ()
    reads: tuple[Read, ...] = ()
    missing: tuple[str, ...] = ()


class Tracer:
    """Traces conditions for one customer whose let and dimension values (`env`) the
    interpreter has computed."""

    def __init__(self, interpreter: Interpreter, ruleset: ir.Ruleset, customer: Customer, env: dict):
        self.interp, self.rs, self.customer, self.env = interpreter, ruleset, customer, env

    def trace(self, e: ir.Expr) -> Traced:
        method = getattr(self, "trace_" + type(e).__name__, self.leaf)
        return method(e)

    def truth(self, e: ir.Expr) -> bool | None:
        return self.interp.eval(e, self.customer, self.env, None)

    # ---- branches ----
    def trace_And(self, e: ir.And) -> Traced:
        return Traced(e, self.truth(e), "and", tuple(self.trace(i) for i in e.items))

    def trace_Or(self, e: ir.Or) -> Traced:
        return Traced(e, self.truth(e), "or", tuple(self.trace(i) for i in e.items))

    def trace_Not(self, e: ir.Not) -> Traced:
        return Traced(e, self.truth(e), "not", (self.trace(e.operand),))

    # ---- leaves ----
    def leaf(self, e: ir.Expr) -> Traced:
        truth = self.truth(e)
        reads = tuple(self.reads(e))
        missing = self.missing(reads) if truth is None else ()
        return Traced(e, truth, reads=reads, missing=missing)

    def reads(self, e: ir.Expr):
        """The names `e` reads, each once, in reading order; an aggregate or a population
        statistic is one value (what it reads inside is the rows' or the population's)."""
        seen: set = set()
        for node in _references(e):
            read = self.read(node)
            same = (read.kind, ir.shape(node) if read.kind in ("population", "aggregate") else read.name)
            if same not in seen:
                seen.add(same)
                yield read

    def read(self, node: ir.Expr) -> Read:
        """One value-reading node (see `_references`) with this customer's value."""
        value = self.interp.eval(node, self.customer, self.env, None)
        if isinstance(node, ir.InTags):
            return Read(node.dimension, "dimension", self.env[node.dimension], node)
        name = node.func if isinstance(node, (ir.PopulationStat, ir.Aggregate)) else node.name
        return Read(name, _KINDS[type(node)], value, node)

    def missing(self, reads: tuple[Read, ...]) -> tuple[str, ...]:
        """What made a leaf unknown: the fields (and dimensions, params, values over rows or
        the population) that are missing; a missing let stands for the missing values it
        reads, or for itself when it read none (a division by zero)."""
        out: list[str] = []
        for r in reads:
            if r.value is not None:
                continue
            causes = self.let_missing(r.name) if r.kind == "let" else (r.name,)
            out += [c for c in causes if c not in out]
        return tuple(out)

    def let_missing(self, name: str) -> tuple[str, ...]:
        let = self.rs.let(name)
        if let is None or name in self.interp.pins:
            return (name,)
        causes = self.missing(tuple(self.reads(let.expr)))
        return causes or (name,)


_KINDS = {ir.FieldRef: "field", ir.LetRef: "let", ir.ParamRef: "param", ir.DimRef: "dimension",
          ir.PopulationStat: "population", ir.Aggregate: "aggregate", ir.AggregateRef: "aggregate"}


def _references(e: ir.Expr):
    """The nodes of `e` that read a value, parents first, not looking inside an aggregate
    or a population statistic."""
    if isinstance(e, (ir.FieldRef, ir.LetRef, ir.ParamRef, ir.DimRef, ir.InTags, ir.Aggregate, ir.AggregateRef,
                      ir.PopulationStat)):
        yield e
        return
    for child in ir.children(e):
        yield from _references(child)


def lets_read(rs: ir.Ruleset, exprs) -> list[str]:
    """Every let the expressions read, directly or through other lets, in the ruleset's
    dependency order."""
    wanted: set[str] = set()
    todo = [n.name for e in exprs for n in _references(e) if isinstance(n, ir.LetRef)]
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        wanted.add(name)
        let = rs.let(name)
        if let is not None:
            todo += [n.name for n in _references(let.expr) if isinstance(n, ir.LetRef)]
    return [d.name for d in rs.definitions if isinstance(d, ir.Let) and d.name in wanted]


def population_nodes(rs: ir.Ruleset, let_names) -> list[ir.PopulationStat]:
    """The population statistics written in these lets' expressions."""
    out = []
    for name in let_names:
        let = rs.let(name)
        if let is not None:
            out += [n for n in ir.walk(let.expr) if isinstance(n, ir.PopulationStat)]
    return out
