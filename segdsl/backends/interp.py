"""The reference interpreter: slow, obvious, and the oracle for every engine.

It walks the IR with nothing clever: definitions in dependency order, one
whole column (all customers) at a time, so population statistics simply read
the finished column of their argument. Every other backend is tested against
this module, never against each other.
"""
from __future__ import annotations

import datetime as dt
import operator
from typing import Any

from .. import ir
from ..runtime import population
from ..runtime.customers import Customer, UniqueConflict
from ..ir import date_value

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


class Interpreter:
    def __init__(self, ruleset: ir.Ruleset, params: dict, pins: dict | None = None,
                 stats: dict[int, population.Stat] | None = None):
        self.rs = ruleset
        self.params = params
        self.pins = pins or {}
        self.stats: dict[int, population.Stat] = dict(stats or {})

    def run(self, customers: list[Customer]) -> list[dict]:
        """Every let and dimension value of every customer (dimension values may be UniqueConflict)."""
        envs: list[dict] = [{} for _ in customers]
        self.customers, self.envs = customers, envs
        for d in self.rs.definitions:
            for c, env in zip(customers, envs):
                if isinstance(d, ir.Let):
                    env[d.name] = self.pins[d.name] if d.name in self.pins else self.eval(d.expr, c, env, None)
                else:
                    env[d.name] = self.assign(d, c, env)
        return envs

    def assign(self, d: ir.Dimension, c: Customer, env: dict):
        hits = []
        for s in d.segments:
            if self.eval(s.condition, c, env, None) is True:
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
            pairs = [(self.eval(node.arg, c, env, None), tuple(self.eval(b, c, env, None) for b in node.by))
                     for c, env in zip(self.customers, self.envs)]
            self.stats[node.id] = population.build(node.func, node.params, node.desc, pairs)
        return self.stats[node.id]

    def eval(self, e: ir.Expr, c: Customer, env: dict, row: dict | None) -> Any:
        match e:
            case ir.Const(value=v):
                if isinstance(v, tuple) and e.type.kind.value == "list":
                    return tuple(self.eval(i, c, env, row) for i in v)
                return v
            case ir.FieldRef(name=n):
                return c.record.get(n)
            case ir.RowFieldRef(name=n):
                return row.get(n)
            case ir.ParamRef(name=n):
                return self.params[n]
            case ir.LetRef(name=n) | ir.DimRef(name=n):
                return env[n]
            case ir.Arith(op=op, left=l, right=r):
                a, b = self.eval(l, c, env, row), self.eval(r, c, env, row)
                if a is None or b is None:
                    return None
                if op == "add":
                    return a + b
                if op == "sub":
                    return a - b
                if op == "mul":
                    return a * b
                if op == "div":
                    return None if b == 0 else a / b
                if op == "date_add":
                    return a + dt.timedelta(days=b)
                if op == "date_sub":
                    return a - dt.timedelta(days=b)
                raise AssertionError(op)
            case ir.Neg(operand=o):
                a = self.eval(o, c, env, row)
                return None if a is None else -a
            case ir.Compare(op=op, left=l, right=r):
                a, b = self.eval(l, c, env, row), self.eval(r, c, env, row)
                if a is None or b is None:
                    return None
                return _COMPARE[op](a, b)
            case ir.Between(operand=o, low=lo, high=hi, negated=neg):
                x, a, b = self.eval(o, c, env, row), self.eval(lo, c, env, row), self.eval(hi, c, env, row)
                ge = None if x is None or a is None else x >= a
                le = None if x is None or b is None else x <= b
                v = and3([ge, le])
                return not3(v) if neg else v
            case ir.InList(operand=o, items=items, negated=neg):
                x = self.eval(o, c, env, row)
                vals = [self.eval(i, c, env, row) for i in items]
                v = or3([None if x is None or y is None else x == y for y in vals]) if vals else False
                return not3(v) if neg else v
            case ir.InTags(segment=s, dimension=d, negated=neg):
                v = s in env[d]
                return not v if neg else v
            case ir.IsNull(operand=o, negated=neg):
                v = self.eval(o, c, env, row) is None
                return not v if neg else v
            case ir.And(items=items):
                return and3([self.eval(i, c, env, row) for i in items])
            case ir.Or(items=items):
                return or3([self.eval(i, c, env, row) for i in items])
            case ir.Not(operand=o):
                return not3(self.eval(o, c, env, row))
            case ir.Case(whens=whens, else_=els):
                for cond, val in whens:
                    if self.eval(cond, c, env, row) is True:
                        return self.eval(val, c, env, row)
                return None if els is None else self.eval(els, c, env, row)
            case ir.Func(name=name, args=args):
                return self.func(name, [self.eval(a, c, env, row) for a in args])
            case ir.Aggregate():
                return self.aggregate(e, c, env)
            case ir.PopulationStat(arg=arg, by=by):
                x = self.eval(arg, c, env, None)
                return self.stat(e).value(x, tuple(self.eval(b, c, env, None) for b in by))
        raise AssertionError(f"unknown IR node {type(e).__name__}")

    @staticmethod
    def func(name: str, a: list) -> Any:
        if name == "coalesce":
            return next((x for x in a if x is not None), None)
        if any(x is None for x in a):
            return None
        match name:
            case "lower":
                return a[0].lower()
            case "upper":
                return a[0].upper()
            case "trim":
                return a[0].strip(" ")
            case "length":
                return len(a[0])
            case "starts_with":
                return a[0].startswith(a[1])
            case "ends_with":
                return a[0].endswith(a[1])
            case "contains":
                return a[1] in a[0]
            case "days_between":
                return (date_value(a[1]) - date_value(a[0])).days
            case "year":
                return a[0].year
            case "month":
                return a[0].month
            case "day":
                return a[0].day
            case "add_days":
                return a[0] + dt.timedelta(days=a[1])
            case "abs":
                return abs(a[0])
            case "to_datetime":
                return dt.datetime.combine(a[0], dt.time())
        raise AssertionError(name)

    def aggregate(self, e: ir.Aggregate, c: Customer, env: dict) -> Any:
        rows = c.rows.get(e.related, [])
        passing = [r for r in rows if e.where is None or self.eval(e.where, c, env, r) is True]
        if e.arg is None:
            return len(passing)
        vals = [v for v in (self.eval(e.arg, c, env, r) for r in passing) if v is not None]
        match e.func:
            case "count":
                return len(vals)
            case "count_distinct":
                return len(set(vals))
            case "sum":
                if not vals:
                    return 0 if e.type.kind.value == "int" else 0.0
                return population.exact_sum(vals) if e.type.kind.value == "int" else population.fsum(vals)
            case "avg":
                return population.fsum(vals) / len(vals) if vals else None
            case "min":
                return min(vals) if vals else None
            case "max":
                return max(vals) if vals else None
        raise AssertionError(e.func)
