"""Population stages: which statistics must be computed over the whole input,
and in what order.

A statistic is live when a live definition reads it, or a live statistic's
argument does. Statistics are grouped into stages: a statistic's argument
(and `by` groups) may read other statistics, which must be complete first,
so each stage reads only stages before it. Engines compute a stage over
every customer, then the next.
"""
from __future__ import annotations

from dataclasses import replace

from .. import ir
from .dependencies import needed, stats_read
from .liveness import computed_exprs
from .plan import Plan, frozen_map


def population_stages(plan: Plan) -> Plan:
    rs = plan.ruleset
    if not rs.population:       # nothing to stage: no walk of every expression
        return replace(plan, stages=(), stat_definitions=frozen_map({}))
    aggregates = {a.name: a.node for a in plan.aggregates}
    stats = {p.id: p for p in rs.population}

    def reads(exprs: list[ir.Expr]) -> tuple[tuple[ir.Definition, ...], set[int]]:
        defs = needed(rs.definitions, exprs, plan.pinned, aggregates)
        return defs, stats_read([*exprs, *computed_exprs(plan, defs)], aggregates)

    _, live = reads(computed_exprs(plan, plan.definitions))
    stat_definitions: dict[int, tuple[ir.Definition, ...]] = {}
    depends: dict[int, set[int]] = {}
    todo = sorted(live)
    while todo:
        pid = todo.pop()
        if pid in stat_definitions:
            continue
        p = stats[pid]
        defs, read = reads([p.arg, *p.by])
        stat_definitions[pid] = defs
        depends[pid] = read - {pid}
        todo.extend(sorted(read - set(stat_definitions)))
    stages, done = [], set()
    while len(done) < len(depends):
        ready = tuple(sorted(p for p in depends if p not in done and depends[p] <= done))
        if not ready:          # the checker refuses definitions that read themselves (SEG110)
            raise AssertionError(f"population statistics read each other: {sorted(set(depends) - done)}")
        stages.append(ready)
        done |= set(ready)
    return replace(plan, stages=tuple(stages), stat_definitions=frozen_map(stat_definitions))
