"""SEG407: a comparison that is always true or always false given the declared ranges, or a part
`a and b` of a condition that can never be true (a condition that can never be true as a whole
is SEG406). SEG408: two segments of an `all` dimension with equivalent conditions (in a `first`
dimension the later one is SEG404, in a `unique` one the pair is SEG307)."""
from __future__ import annotations

from collections.abc import Iterator

import z3

from .. import ir
from ..diagnostics.values import Diagnostic
from .query import Query
from .witness import Finding

MAX_EQUIVALENCE = 60        # segments of an `all` dimension compared pairwise


def source(rs: ir.Ruleset, span) -> str:
    lines = rs.sources.get(span.path, "").split("\n")
    if span.line == span.end_line and 0 < span.line <= len(lines):
        return lines[span.line - 1][span.col - 1:span.end_col - 1]
    return "this comparison"


def fixed_side(e: ir.Expr) -> bool:
    sides = {ir.Compare: lambda: (e.left, e.right), ir.Between: lambda: (e.low, e.high)}.get(type(e))
    if sides is None:
        return False
    return any(isinstance(x, (ir.Const, ir.ParamRef)) for x in sides()) and not any(
        isinstance(x, ir.Const) and x.value is None for x in sides())


def parts(condition: ir.Expr) -> Iterator[ir.Expr]:
    """The comparisons against a constant, and the `and`s below the top, of a condition."""
    for x in ir.walk(condition):
        if isinstance(x, (ir.Aggregate, ir.PopulationStat)):
            continue
        if fixed_side(x) or (isinstance(x, ir.And) and x is not condition):
            yield x


def constant_parts(q: Query, exact: list[bool], skip: set[str]) -> Iterator[Finding]:
    small, asked = q.facts_only(), set()
    for i, s in enumerate(q.d.segments):
        if not exact[i] or s.name in skip:
            continue
        for x in parts(s.condition):
            key = ir.shape(x)
            if key in asked:            # the same comparison in another segment: said once
                continue
            asked.add(key)
            t = q.tr.truth(x)
            q.absorb(small)
            can_true = q.sat(t.true, solver=small)
            why = q.why(small)
            if isinstance(x, ir.And):
                if not can_true:
                    yield finding(q, s, x, "can never be true", why, "always_false")
                continue
            can_false = q.sat(t.false, solver=small)
            if can_true and not can_false:
                yield finding(q, s, x, "is always true (where its values are present)", q.why(small), "always_true")
            elif can_false and not can_true:
                yield finding(q, s, x, "is always false", why, "always_false")


def finding(q: Query, s: ir.Segment, x: ir.Expr, verdict: str, why: list[str], kind: str) -> Finding:
    reason = f", given {' and '.join(why)}" if why else ""
    text = source(q.rs, x.span)
    return Finding(Diagnostic("SEG407", f"`{text}` in segment `{s.name}` {verdict}{reason}", x.span,
                              help="remove it or correct the bound; the declared range already decides it"),
                   kind, q.d.name, (s.name,), part=x)


def equivalent(q: Query, exact: list[bool]) -> Iterator[Finding]:
    segs = q.d.segments
    if q.d.policy != "all" or len(segs) > MAX_EQUIVALENCE:
        return
    for i in range(1, len(segs)):
        for j in range(i):
            if not (exact[i] and exact[j]):
                continue
            a, b = q.truths[j].true, q.truths[i].true
            if not q.sat(z3.Xor(a, b)):
                yield Finding(Diagnostic("SEG408", f"segment `{segs[i].name}` matches exactly the customers "
                                                   f"`{segs[j].name}` matches", segs[i].span,
                                         help=f"remove one of `{segs[j].name}` and `{segs[i].name}`, or tell "
                                              f"them apart"), "equivalent", q.d.name, (segs[i].name, segs[j].name))
                break
