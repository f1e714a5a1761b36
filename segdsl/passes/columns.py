"""Columns used: the fields of each input that the live rules read.

A warehouse query projects only these (an unused enum field is neither read
nor mapped), and an engine may read only these from a columnar file. An
input's key is always used: it identifies the customer. Every field is still
*validated* by the engines that validate rows; this pass says what the rules
read, not what the data must satisfy.
"""
from __future__ import annotations

from dataclasses import replace

from .. import ir
from .dependencies import walk
from .liveness import computed_exprs
from .plan import Plan, frozen_map


def columns_used(plan: Plan) -> Plan:
    rs = plan.ruleset
    aggregates = {a.name: a.node for a in plan.aggregates}
    exprs = computed_exprs(plan, plan.definitions)
    for pid in plan.live_stats:
        p = rs.population[pid]
        exprs += [p.arg, *p.by, *computed_exprs(plan, plan.stat_definitions[pid])]
    read: dict[str, set[str]] = {}
    customer = rs.customer.name if rs.customer is not None else None
    for e in exprs:
        for x in walk(e, aggregates):
            if isinstance(x, ir.FieldRef) and customer is not None:
                read.setdefault(customer, set()).add(x.name)
            elif isinstance(x, ir.RowFieldRef):
                read.setdefault(x.related, set()).add(x.name)
    columns = {}
    for schema in ([rs.customer] if rs.customer is not None else []) + list(rs.related):
        used = read.get(schema.name, set()) | ({schema.key} if schema.key else set())
        columns[schema.name] = tuple(f.name for f in schema.fields if f.name in used)
    return replace(plan, columns=frozen_map(columns))
