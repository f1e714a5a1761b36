"""The quick warnings about rules that run but are likely wrong, found without a solver.

The front end runs these on every command; the solver-backed analysis of the
dimensions (dimensions.py: SEG307, SEG401, SEG402, SEG404, SEG406) runs only
where it is asked for (`segdsl check`, `segdsl test`). Each lint is a
function over the checked IR. A dimension lint looks at one
dimension; a ruleset lint at the whole file. `lint` runs the dimension lints
per dimension in declaration order, then the ruleset lints, so a dimension's
warnings stay together.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from .. import ir
from ..diagnostics.values import Diagnostic
from .uses import Uses


def unused_definitions(rs: ir.Ruleset, uses: Uses) -> Iterator[Diagnostic]:
    """SEG403: a let or param nothing reads (and no test pins); an import of lets and params
    none of which is read."""
    for name, span in uses.lets:
        if name not in uses.names:
            yield Diagnostic("SEG403", f"let `{name}` is never used", span,
                             help="remove it, or use it in a segment's condition")
    for p in rs.params:
        if p.name not in uses.names:
            yield Diagnostic("SEG403", f"param `{p.name}` is never used", p.span,
                             help="remove it, or use it in a `let` or a segment's condition")
    for imp in uses.imports:
        if not imp.gives_more and not imp.names & uses.names:
            yield Diagnostic("SEG403", f"import `{imp.path}` is never used: nothing it declares is read", imp.span,
                             help="remove the import, or use one of its lets or params")


def repeated_labels(d: ir.Dimension) -> Iterator[Diagnostic]:
    """SEG409: two segments of one dimension with the same label read as one in every report."""
    seen: dict[str, str] = {}
    for s in d.all_segments():
        if s.label is None:
            continue
        if s.label in seen:
            yield Diagnostic("SEG409", f"segments `{seen[s.label]}` and `{s.name}` of dimension `{d.name}` have the "
                                       f"same label \"{s.label}\"", s.span,
                             help="give each segment a label of its own, so that reports tell them apart")
        else:
            seen[s.label] = s.name


def null_comparisons(d: ir.Dimension) -> Iterator[Diagnostic]:
    """SEG410: `x = null` is never true (it is unknown for every customer); `is null` was meant."""
    for s in d.segments:
        for x in ir.walk(s.condition):
            if isinstance(x, ir.Compare) and x.op in ("=", "!=") and any(
                    isinstance(side, ir.Const) and side.value is None for side in (x.left, x.right)):
                fix = "is null" if x.op == "=" else "is not null"
                yield Diagnostic("SEG410", f"a comparison with `null` is never true (it is unknown for every "
                                           f"customer) in segment `{s.name}`", x.span,
                                 help=f"write `{fix}`")


DIMENSION_LINTS: tuple[Callable[[ir.Dimension], Iterable[Diagnostic]], ...] = (
    repeated_labels,
    null_comparisons,
)

RULESET_LINTS: tuple[Callable[[ir.Ruleset, Uses], Iterable[Diagnostic]], ...] = (
    unused_definitions,
)


def lint(rs: ir.Ruleset, uses: Uses) -> list[Diagnostic]:
    """Every warning about a ruleset that checked without errors, in a stable order."""
    out = [x for d in rs.dimensions for check in DIMENSION_LINTS for x in check(d)]
    out += [x for check in RULESET_LINTS for x in check(rs, uses)]
    return out
