"""The solver-backed analysis of every dimension: `analyse(ruleset, confirm)`.

Per dimension, within a time budget: segments that can never match (SEG406,
and SEG404 in a `first` dimension), segments of a `unique` dimension that
overlap (SEG307), customers a dimension without `otherwise` leaves out
(SEG401/SEG402). A witness is reported only once the reference interpreter
(`confirm`) agrees; a "never" only when the solver modelled the conditions
exactly enough. Otherwise the dimension gets one SEG499 note saying why it
was not analysed, and never a guess.

Params are taken at their values (the defaults, or those given); a param
without one is any value of its type.

z3 is imported by the modules this one imports lazily, so the front end
(`apply`, `compile`) never loads it.
"""
from __future__ import annotations

from .. import ir
from ..diagnostics.values import Diagnostic
from .witness import Confirm, Finding

BUDGET_SECONDS = 5.0         # per dimension


def analyse(rs: ir.Ruleset, confirm: Confirm, params: dict | None = None,
            budget: float = BUDGET_SECONDS) -> list[Diagnostic]:
    """Every finding about the dimensions of a ruleset that checked without errors, dimension by
    dimension in declaration order."""
    return [f.diagnostic for f in findings(rs, confirm, params, budget)]


def findings(rs: ir.Ruleset, confirm: Confirm, params: dict | None = None,
             budget: float = BUDGET_SECONDS) -> list[Finding]:
    """The findings with what each claims (the property test checks every claim)."""
    if params is None:
        params = {p.name: p.default for p in rs.params if p.has_default}
    out: list[Finding] = []
    for d in rs.dimensions:
        out += analyse_dimension(rs, d, confirm, params, budget)
    return out


def analyse_dimension(rs: ir.Ruleset, d: ir.Dimension, confirm: Confirm, params: dict,
                      budget: float) -> list[Finding]:
    from .always import constant_parts, equivalent
    from .gaps import gaps
    from .overlaps import overlaps
    from .query import OutOfTime, Query, Unconfirmed, reads_inexact
    from .reach import unreachable
    from .solver import Unsupported

    found: list[Finding] = []
    try:
        q = Query.build(rs, d, params, confirm, budget)
        exact = [not reads_inexact(s.condition, rs, params) for s in d.segments]
        found += unreachable(q, exact)
        found += constant_parts(q, exact, {f.segments[0] for f in found if f.kind == "never"})
        found += equivalent(q, exact)
        if d.policy == "unique":
            found += overlaps(q)
        if all(exact):
            found += gaps(q)
        elif d.policy != "all" and d.otherwise is None:
            found.append(not_analysed(d, "it computes with numbers, which the solver does in reals "
                                         "rather than as the engines do"))
    except Unsupported as exc:
        found.append(not_analysed(d, f"the solver does not model {exc}"))
    except Unconfirmed:
        found.append(not_analysed(d, "its conditions read values the solver only approximates "
                                     "(text functions, calendar parts), and the customer it found did not "
                                     "confirm"))
    except OutOfTime:
        found.append(not_analysed(d, f"the solver's time budget ({budget:g} s per dimension) ran out"))
    return found


def not_analysed(d: ir.Dimension, why: str) -> Finding:
    return Finding(Diagnostic("SEG499", f"dimension `{d.name}` was not analysed: {why}", d.span,
                              help="its segments were not checked for overlaps, gaps or segments that can "
                                   "never match"), "not_analysed", d.name)
