"""Witnesses of the solver analysis run by the reference interpreter, which confirms them.

The analysis (segdsl/analysis/) sits before the backends in the layers, so it
is handed `confirm` from here rather than importing the interpreter itself.
"""
from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

from .. import ir
from ..analysis.dimensions import analyse
from ..analysis.witness import FixedStat, Witness
from ..check.frontend import CheckResult
from ..backends.interp import Interpreter


class WitnessInterpreter(Interpreter):
    """The reference interpreter with the witness's aggregates in place of related rows and its
    population values in place of a population."""

    def __init__(self, rs: ir.Ruleset, witness: Witness):
        super().__init__(rs, witness.params, stats={i: FixedStat(v) for i, v in witness.stats.items()})
        self.given = witness.aggregates

    def visit_Aggregate(self, e: ir.Aggregate, customer, env, row):
        key = ir.shape(e)
        return self.given[key] if key in self.given else super().visit_Aggregate(e, customer, env, row)


def confirm(rs: ir.Ruleset, witness: Witness) -> tuple[dict, dict[tuple[str, str], Any]]:
    """Every let and dimension value for the witness, and each segment condition's value by
    (dimension, segment): true, false or None (unknown)."""
    interp = WitnessInterpreter(rs, witness)
    customer = witness.customer()
    env = interp.run([customer])[0]
    truths = {(d.name, s.name): interp.eval(s.condition, customer, env, None)
              for d in rs.dimensions for s in d.segments}
    return env, truths


def analysed(result: CheckResult, budget: float | None = None, file_budget: float | None = None) -> CheckResult:
    """A clean check result with the solver's findings about its dimensions added (`budget`,
    `file_budget`: seconds per dimension and for the file, None for the analysis's own)."""
    rs = result.ruleset
    found = analyse(rs, partial(confirm, rs), budget=budget, file_budget=file_budget)
    return replace(result, diagnostics=[*result.diagnostics, *found])
