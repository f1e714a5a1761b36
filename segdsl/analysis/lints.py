"""The warnings about rules that run but are likely wrong: SEG401-SEG404.

Each lint is a function over the checked IR. A dimension lint looks at one
dimension; a ruleset lint at the whole file. `lint` runs the dimension lints
per dimension in declaration order, then the ruleset lints, so a dimension's
warnings stay together.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from .. import ir
from ..diagnostics.values import Diagnostic
from .implication import implies
from .uses import Uses

_OTHERWISE_HELP = "add `otherwise NAME \"label\"` as the last line"


def missing_otherwise(d: ir.Dimension) -> Iterator[Diagnostic]:
    """SEG401/402: a `first` or `unique` dimension without `otherwise` leaves some customers out;
    SEG402 names the values that may be missing, the likeliest reason."""
    if d.policy == "all" or d.otherwise is not None:
        return
    nullable = sorted({x.name for s in d.segments if s.condition is not None for x in ir.walk(s.condition)
                       if isinstance(x, (ir.FieldRef, ir.LetRef, ir.DimRef)) and x.type.nullable})
    if nullable:
        yield Diagnostic("SEG402", f"dimension `{d.name}` has no `otherwise`, and "
                                   f"{', '.join(f'`{n}`' for n in nullable[:3])} may be missing: "
                                   f"such customers get no segment", d.span, help=_OTHERWISE_HELP)
    else:
        yield Diagnostic("SEG401", f"dimension `{d.name}` has no `otherwise`: a customer matching no "
                                   f"segment gets none", d.span, help=_OTHERWISE_HELP)


def unreachable_segments(d: ir.Dimension) -> Iterator[Diagnostic]:
    """SEG404: in a `first` dimension, a segment whose condition implies an earlier one's never matches."""
    if d.policy != "first":
        return
    for i, s in enumerate(d.segments):
        hit = next((e for e in d.segments[:i] if implies(s.condition, e.condition)), None)
        if hit is not None:
            yield Diagnostic("SEG404", f"segment `{s.name}` can never match: every customer it would match "
                                       f"is taken by `{hit.name}` above it", s.span,
                             help=f"in a `first` dimension the first matching segment wins; move `{s.name}` "
                                  f"above `{hit.name}`, or narrow `{hit.name}`")


def unused_definitions(rs: ir.Ruleset, uses: Uses) -> Iterator[Diagnostic]:
    """SEG403: a let or param nothing reads (and no test pins)."""
    for name, span in uses.lets:
        if name not in uses.names:
            yield Diagnostic("SEG403", f"let `{name}` is never used", span,
                             help="remove it, or use it in a segment's condition")
    for p in rs.params:
        if p.name not in uses.names:
            yield Diagnostic("SEG403", f"param `{p.name}` is never used", p.span,
                             help="remove it, or use it in a `let` or a segment's condition")


DIMENSION_LINTS: tuple[Callable[[ir.Dimension], Iterable[Diagnostic]], ...] = (
    missing_otherwise,
    unreachable_segments,
)

RULESET_LINTS: tuple[Callable[[ir.Ruleset, Uses], Iterable[Diagnostic]], ...] = (
    unused_definitions,
)


def lint(rs: ir.Ruleset, uses: Uses) -> list[Diagnostic]:
    """Every warning about a ruleset that checked without errors, in a stable order."""
    out = [x for d in rs.dimensions for check in DIMENSION_LINTS for x in check(d)]
    out += [x for check in RULESET_LINTS for x in check(rs, uses)]
    return out
