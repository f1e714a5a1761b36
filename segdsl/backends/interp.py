"""The reference interpreter: slow, obvious, and the oracle for every engine.

It walks the IR with nothing clever: definitions in dependency order, one
whole column (all customers) at a time, so population statistics simply read
the finished column of their argument. Every other backend is tested against
this module, never against each other.

It runs the type checker's IR, not a Plan: the passes (folding, hoisting,
liveness) are part of what the generated Python and SQL are tested for, so
the oracle stays independent of them and computes every definition, every
aggregate where it is written. Given a plan's ruleset (`for_plan`) it reads
a hoisted aggregate (`AggregateRef`) through the plan's aggregates, so the
passes themselves can be checked against the unplanned IR.
"""
from __future__ import annotations

import operator
from typing import Any, Mapping

from .. import ir
from ..builtins import BUILTINS
from ..runtime import limits, population
from ..runtime.customers import Customer, UniqueConflict
from ..types import Kind

TRUE, FALSE, UNKNOWN = True, False, None


def not3(x):
    return None if x is None else not x


def and3(values):
    if any(v is False for v in values):
        return False
    if any(v is None for v in values):
        return None
    return True


def or3(values):
    if any(v is True for v in values):
        return True
    if any(v is None for v in values):
        return None
    return False


_COMPARE = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
            ">=": operator.ge}
_ARITH = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
          "div": lambda a, b: None if b == 0 else a / b,
          "date_add": limits.add_days, "date_sub": lambda a, b: limits.add_days(a, -b)}


class Interpreter:
    def __init__(self, ruleset: ir.Ruleset, params: dict, pins: dict | None = None,
                 stats: dict[int, population.Stat] | None = None,
                 aggregates: Mapping[str, ir.Aggregate] | None = None):
        self.rs = ruleset
        self.params = params
        self.pins = pins or {}
        self.stats: dict[int, population.Stat] = dict(stats or {})
        self.aggregates = dict(aggregates or {})

    @classmethod
    def for_plan(cls, plan, params: dict, pins: dict | None = None,
                 stats: dict[int, population.Stat] | None = None) -> "Interpreter":
        """An interpreter of a plan's rewritten ruleset (hoisted aggregates read through the plan)."""
        return cls(plan.ruleset, params, pins, stats, {a.name: a.node for a in plan.aggregates})

    def run(self, customers: list[Customer]) -> list[dict]:
        """Every let and dimension value of every customer (dimension values may be UniqueConflict)."""
        envs: list[dict] = [{} for _ in customers]
        self.customers, self.envs = customers, envs
        for d in self.rs.definitions:
            for customer, env in zip(customers, envs):
                if isinstance(d, ir.Let):
                    env[d.name] = self.pins[d.name] if d.name in self.pins else self.eval(d.expr, customer, env, None)
                else:
                    env[d.name] = self.assign(d, customer, env)
        return envs

    def assign(self, d: ir.Dimension, customer: Customer, env: dict):
        hits = []
        for s in d.segments:
            if self.eval(s.condition, customer, env, None) is True:
                hits.append(s.name)
                if d.policy == "first":
                    break
        if d.policy == "all":
            return tuple(hits)
        if d.policy == "unique" and len(hits) > 1:
            return UniqueConflict(d.name, tuple(hits))
        if hits:
            return hits[0]
        return d.otherwise.name if d.otherwise else None

    def stat(self, node: ir.PopulationStat) -> population.Stat:
        if node.id not in self.stats:
            pairs = [(self.eval(node.arg, customer, env, None), tuple(self.eval(b, customer, env, None) for b in node.by))
                     for customer, env in zip(self.customers, self.envs)]
            self.stats[node.id] = population.build(node.func, node.params, node.desc, pairs)
        return self.stats[node.id]

    def eval(self, e: ir.Expr, customer: Customer, env: dict, row: dict | None) -> Any:
        """The value of `e` for one customer (and one of its related rows, inside an aggregate)."""
        return getattr(self, "visit_" + type(e).__name__)(e, customer, env, row)

    # ---- values ----
    def visit_Const(self, e: ir.Const, customer, env, row):
        if e.type.kind is Kind.LIST:
            return tuple(self.eval(i, customer, env, row) for i in e.value)
        return e.value

    def visit_FieldRef(self, e: ir.FieldRef, customer, env, row):
        return customer.record.get(e.name)

    def visit_RowFieldRef(self, e: ir.RowFieldRef, customer, env, row):
        return row.get(e.name)

    def visit_ParamRef(self, e: ir.ParamRef, customer, env, row):
        return self.params[e.name]

    def visit_LetRef(self, e: ir.LetRef, customer, env, row):
        return env[e.name]

    visit_DimRef = visit_LetRef

    # ---- arithmetic and functions: null in, null out ----
    def visit_Arith(self, e: ir.Arith, customer, env, row):
        a, b = self.eval(e.left, customer, env, row), self.eval(e.right, customer, env, row)
        if a is None or b is None:
            return None
        v = _ARITH[e.op](a, b)
        return limits.whole(v) if e.type.kind is Kind.INT else v

    def visit_Neg(self, e: ir.Neg, customer, env, row):
        a = self.eval(e.operand, customer, env, row)
        if a is None:
            return None
        return limits.whole(-a) if e.type.kind is Kind.INT else -a

    def visit_Func(self, e: ir.Func, customer, env, row):
        builtin = BUILTINS[e.name]
        values = [self.eval(a, customer, env, row) for a in e.args]
        if not builtin.null_aware and any(v is None for v in values):
            return None
        v = builtin.evaluate(*values)
        return limits.whole(v) if builtin.may_overflow and e.type.kind is Kind.INT else v

    # ---- comparisons and logic: three-valued ----
    def visit_Compare(self, e: ir.Compare, customer, env, row):
        a, b = self.eval(e.left, customer, env, row), self.eval(e.right, customer, env, row)
        return None if a is None or b is None else _COMPARE[e.op](a, b)

    def visit_Between(self, e: ir.Between, customer, env, row):
        x, lo, hi = (self.eval(o, customer, env, row) for o in (e.operand, e.low, e.high))
        ge = None if x is None or lo is None else x >= lo
        le = None if x is None or hi is None else x <= hi
        v = and3([ge, le])
        return not3(v) if e.negated else v

    def visit_InList(self, e: ir.InList, customer, env, row):
        x = self.eval(e.operand, customer, env, row)
        values = [self.eval(i, customer, env, row) for i in e.items]
        v = or3([None if x is None or y is None else x == y for y in values]) if values else False
        return not3(v) if e.negated else v

    def visit_InTags(self, e: ir.InTags, customer, env, row):
        v = e.segment in env[e.dimension]
        return not v if e.negated else v

    def visit_IsNull(self, e: ir.IsNull, customer, env, row):
        v = self.eval(e.operand, customer, env, row) is None
        return not v if e.negated else v

    def visit_And(self, e: ir.And, customer, env, row):
        return and3([self.eval(i, customer, env, row) for i in e.items])

    def visit_Or(self, e: ir.Or, customer, env, row):
        return or3([self.eval(i, customer, env, row) for i in e.items])

    def visit_Not(self, e: ir.Not, customer, env, row):
        return not3(self.eval(e.operand, customer, env, row))

    def visit_Case(self, e: ir.Case, customer, env, row):
        for condition, value in e.whens:
            if self.eval(condition, customer, env, row) is True:
                return self.eval(value, customer, env, row)
        return None if e.else_ is None else self.eval(e.else_, customer, env, row)

    # ---- over related rows, and over the population ----
    def visit_Aggregate(self, e: ir.Aggregate, customer, env, row):
        rows = customer.rows.get(e.related, [])
        passing = [r for r in rows if e.where is None or self.eval(e.where, customer, env, r) is True]
        if e.arg is None:
            return len(passing)
        values = [v for v in (self.eval(e.arg, customer, env, r) for r in passing) if v is not None]
        return getattr(self, "aggregate_" + e.func)(values, e.type.kind)

    def visit_AggregateRef(self, e: ir.AggregateRef, customer, env, row):
        return self.visit_Aggregate(self.aggregates[e.name], customer, env, row)

    def visit_PopulationStat(self, e: ir.PopulationStat, customer, env, row):
        x = self.eval(e.arg, customer, env, None)
        return self.stat(e).value(x, tuple(self.eval(b, customer, env, None) for b in e.by))

    @staticmethod
    def aggregate_count(values, kind: Kind):
        return len(values)

    @staticmethod
    def aggregate_count_distinct(values, kind: Kind):
        return len(set(values))

    @staticmethod
    def aggregate_sum(values, kind: Kind):
        if kind is Kind.INT:
            return population.exact_sum(values) if values else 0
        return population.fsum(values) if values else 0.0

    @staticmethod
    def aggregate_avg(values, kind: Kind):
        return population.fsum(values) / len(values) if values else None

    @staticmethod
    def aggregate_min(values, kind: Kind):
        return min(values) if values else None

    @staticmethod
    def aggregate_max(values, kind: Kind):
        return max(values) if values else None
