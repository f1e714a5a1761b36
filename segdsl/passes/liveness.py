"""Liveness: the definitions `evaluate` must compute.

Every dimension is live (each is an output column), and so is everything a
dimension reads, directly or through other definitions. A let nobody reads
(SEG403 warns about it) is not computed, and a pinned let is a constant, so
what only it reads is not computed either.
"""
from __future__ import annotations

from dataclasses import replace

from .. import ir
from .dependencies import definition_exprs, needed
from .plan import Plan


def live_definitions(plan: Plan) -> Plan:
    rs = plan.ruleset
    aggregates = {a.name: a.node for a in plan.aggregates}
    targets = [e for d in rs.dimensions for e in definition_exprs(d)]
    live = {d.name for d in needed(rs.definitions, targets, plan.pinned, aggregates)}
    live |= {d.name for d in rs.dimensions}
    return replace(plan, definitions=tuple(d for d in rs.definitions if d.name in live))


def computed_exprs(plan: Plan, definitions) -> list[ir.Expr]:
    """What these definitions compute from, a pinned let being a constant."""
    return [e for d in definitions if not (isinstance(d, ir.Let) and d.name in plan.pinned)
            for e in definition_exprs(d)]
