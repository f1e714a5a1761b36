"""The passes in order, and the one call that runs them.

Rewriting passes come first (folding can only make hoisting's job smaller),
then the analyses that read the rewritten rules. Each pass is a function
Plan → Plan in a module of its own.
"""
from __future__ import annotations

from .. import collector, ir
from .aggregates import hoist_aggregates
from .columns import columns_used
from .fold import fold_constants
from .liveness import live_definitions
from .plan import Plan, frozen_map
from .stages import population_stages

PASSES = (
    fold_constants,
    hoist_aggregates,
    live_definitions,
    population_stages,
    columns_used,
)

_PLANS: dict[tuple[int, frozenset], tuple[ir.Ruleset, Plan]] = {}


def build_plan(rs: ir.Ruleset, pinned: frozenset[str] = frozenset()) -> Plan:
    """The plan of a checked ruleset, built once per ruleset object and set of pinned lets."""
    key = (id(rs), frozenset(pinned))
    hit = _PLANS.get(key)
    if hit is not None and hit[0] is rs:
        return hit[1]
    if len(_PLANS) > 256:
        _PLANS.clear()
    plan = run_passes(rs, frozenset(pinned))
    _PLANS[key] = (rs, plan)
    return plan


def run_passes(rs: ir.Ruleset, pinned: frozenset[str] = frozenset(), passes=PASSES) -> Plan:
    plan = Plan(ruleset=rs, pinned=pinned, definitions=rs.definitions, stages=(),
                stat_definitions=frozen_map({}), columns=frozen_map({}), aggregates=())
    with collector.paused():
        for p in passes:
            plan = p(plan)
    return plan
