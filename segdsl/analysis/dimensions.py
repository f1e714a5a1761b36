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

import time
from dataclasses import dataclass

from .. import collector, ir
from ..diagnostics.values import Diagnostic
from .witness import Confirm, Finding

BUDGET_SECONDS = 5.0         # per dimension
FILE_BUDGET_SECONDS = 10.0   # for all the dimensions of a file together

NOT_CHECKED = "its segments were not checked for overlaps, gaps or segments that can never match"
FILE_HELP = (NOT_CHECKED + "; the time budget is the file's: split the dimensions over several files (each "
             "file has the whole budget), or give the analysis more time (`segdsl check --solver-file-seconds`, "
             "or `file_budget` of `segdsl.analysis.dimensions.analyse`)")


@dataclass
class Budget:
    """The time the solver may spend: `per_dimension` seconds on each dimension, and `file`
    seconds on all of them, counted from `start`. Dimensions are analysed in the order they are
    declared, so when the file's budget runs out it is the last ones that are left, and once it
    has run out (`spent`) no later dimension is started, however little time the next one needs."""
    per_dimension: float
    file: float
    start: float
    spent: bool = False

    def seconds(self) -> tuple[float, bool]:
        """The next dimension's budget, and whether that is the rest of the file's budget (less than
        a whole dimension's), so that running out of it means the file's budget ran out."""
        if self.spent:
            return 0.0, True
        left = self.file - (time.monotonic() - self.start)
        return min(self.per_dimension, left), left < self.per_dimension


def analyse(rs: ir.Ruleset, confirm: Confirm, params: dict | None = None, budget: float | None = None,
            file_budget: float | None = None) -> list[Diagnostic]:
    """Every finding about the dimensions of a ruleset that checked without errors, dimension by
    dimension in declaration order."""
    return [f.diagnostic for f in findings(rs, confirm, params, budget, file_budget)]


def findings(rs: ir.Ruleset, confirm: Confirm, params: dict | None = None, budget: float | None = None,
             file_budget: float | None = None) -> list[Finding]:
    """The findings with what each claims (the property test checks every claim). `budget` is
    seconds per dimension, `file_budget` seconds for all the dimensions together (a file of many
    dimensions would otherwise take up to their number times `budget`); None is the module's
    constant, read at each call so that a benchmark or a test of the command line can set it."""
    if params is None:
        params = {p.name: p.default for p in rs.params if p.has_default}
    clock = Budget(BUDGET_SECONDS if budget is None else budget,
                   FILE_BUDGET_SECONDS if file_budget is None else file_budget, time.monotonic())
    units: dict = {}        # what each dimension translated, for the dimensions that read it (units.py)
    out: list[Finding] = []
    # the translations stay alive until the end: the cyclic collector's walks over them are pure cost
    with collector.paused():
        for d in rs.dimensions:
            out += analyse_dimension(rs, d, confirm, params, clock, units)
    return out


def analyse_dimension(rs: ir.Ruleset, d: ir.Dimension, confirm: Confirm, params: dict,
                      clock: Budget, units: dict) -> list[Finding]:
    """One dimension's findings within what is left of the budget. A dimension the budget runs
    out in keeps what was found before, and gets SEG499 naming the budget that ran out."""
    from .query import OutOfTime

    seconds, rest_of_file = clock.seconds()
    if seconds <= 0 and rest_of_file:
        clock.spent = True
        return [file_budget_ran_out(d, clock.file, "before it")]
    found: list[Finding] = []
    try:
        solve(rs, d, confirm, params, seconds, units, found)
    except OutOfTime:
        if rest_of_file:
            clock.spent = True
            found.append(file_budget_ran_out(d, clock.file, "while it was analysed"))
        else:
            found.append(not_analysed(d, f"{OUT_OF_TIME} ({clock.per_dimension:g} s per dimension) "
                                         f"ran out"))
    return found


def solve(rs: ir.Ruleset, d: ir.Dimension, confirm: Confirm, params: dict, seconds: float, units: dict,
          found: list[Finding]) -> None:
    """The solver's findings about one dimension within `seconds`, added to `found` as they come,
    so that what was found before the budget runs out (OutOfTime, raised through) is kept.
    What the solver cannot decide is one SEG499."""
    from .always import constant_parts, equivalent
    from .gaps import gaps
    from .overlaps import overlaps
    from .query import Query, Unconfirmed, reads_inexact
    from .reach import unreachable
    from .solver import Unsupported

    try:
        q = Query.build(rs, d, params, confirm, seconds, units)
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


OUT_OF_TIME = "the solver's time budget"


def ran_out_of_time(diagnostic: Diagnostic) -> bool:
    """Whether a finding says a time budget ran out. With more time (a quieter machine, a larger
    budget) the analysis may say more, so a result with one is not kept (service/app.py)."""
    return diagnostic.code == "SEG499" and OUT_OF_TIME in diagnostic.message


def file_budget_ran_out(d: ir.Dimension, seconds: float, when: str) -> Finding:
    """SEG499 when the file's budget ran out, with the ways to more time: a file of fewer
    dimensions has the whole budget to itself, and a caller of the analysis can give a larger one."""
    return not_analysed(d, f"{OUT_OF_TIME} for the file ({seconds:g} s for all its dimensions, "
                           f"analysed in the order they are declared) ran out {when}", FILE_HELP)


def not_analysed(d: ir.Dimension, why: str, help: str = NOT_CHECKED) -> Finding:
    return Finding(Diagnostic("SEG499", f"dimension `{d.name}` was not analysed: {why}", d.span, help=help),
                   "not_analysed", d.name)
