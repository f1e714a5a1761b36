"""Aggregate hoisting: each distinct aggregate over related rows gets one
stable name, and every place that reads it becomes an `AggregateRef`.

`avg(orders.amount)` in three conditions is one loop over a customer's
orders in generated Python and one column of one GROUP BY in SQL. Two
aggregates are the same when they are written the same (spans aside).
Names follow the order of first use in the definitions, then in the
population statistics' arguments, so they are stable from run to run.
"""
from __future__ import annotations

from dataclasses import replace

from .. import ir
from . import rewrite
from .plan import HoistedAggregate, Plan


def hoist_aggregates(plan: Plan) -> Plan:
    names: dict[tuple, str] = {}
    hoisted: list[HoistedAggregate] = []

    def hoist(e: ir.Expr) -> ir.Expr:
        if not isinstance(e, ir.Aggregate):
            return e
        key = ir.shape(e)
        name = names.get(key)
        if name is None:
            name = names[key] = f"agg_{len(names)}"
            hoisted.append(HoistedAggregate(name, e))
        return ir.AggregateRef(e.type, e.span, name)

    rs = rewrite.ruleset(plan.ruleset, hoist)
    return replace(plan, ruleset=rs, aggregates=tuple(hoisted))
