"""Runs the `test` blocks of a ruleset and measures rule coverage.

Each test case is one customer segmented as its own population. Cases run on
a chosen backend (the generated Python by default); a failure is explained
by the reference interpreter, which shows the values that decided it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .. import ir
from ..backends.interp import Interpreter
from ..runtime.customers import Customer, UniqueConflict

Evaluate = Callable[[ir.Ruleset, list[Customer], dict, dict], list[dict]]


@dataclass(frozen=True)
class Failure:
    test: str
    case: ir.TestCase
    dimension: str
    expected: Any
    got: Any
    decided_by: tuple[tuple[str, Any], ...]


@dataclass
class TestReport:
    ruleset: ir.Ruleset
    passed: int = 0
    failures: list[Failure] = field(default_factory=list)
    hit: set[tuple[str, str]] = field(default_factory=set)

    @property
    def all_segments(self) -> list[tuple[str, str]]:
        return [(d.name, s.name) for d in self.ruleset.dimensions for s in d.all_segments()]

    @property
    def uncovered(self) -> list[tuple[str, str]]:
        return [s for s in self.all_segments if s not in self.hit]

    @property
    def coverage(self) -> float:
        total = len(self.all_segments)
        return 1.0 if total == 0 else (total - len(self.uncovered)) / total


def customer_for(rs: ir.Ruleset, case: ir.TestCase) -> Customer:
    record = {}
    if rs.customer is not None:
        for f in rs.customer.fields:
            given = (case.record or {}).get(f.name, _MISSING)
            record[f.name] = given if given is not _MISSING else (f.default if f.has_default else None)
    rows = {}
    for r in rs.related:
        rows[r.name] = [{f.name: row.get(f.name, f.default if f.has_default else None) for f in r.fields}
                        for row in case.rows.get(r.name, [])]
    key = None
    if rs.customer is not None and rs.customer.key:
        key = record.get(rs.customer.key)
    elif rs.related:
        first = next((rows[r.name][0][r.key] for r in rs.related if rows[r.name]), None)
        key = first
    return Customer(key=key, record=record, rows=rows, row=1)


_MISSING = object()


def interpret(rs: ir.Ruleset, customers: list[Customer], params: dict, pins: dict) -> list[dict]:
    return Interpreter(rs, params, pins).run(customers)


def run_tests(rs: ir.Ruleset, params: dict, evaluate: Evaluate = interpret) -> TestReport:
    report = TestReport(rs)
    for test in rs.tests:
        for case in test.cases:
            customer = customer_for(rs, case)
            env = evaluate(rs, [customer], params, case.pins)[0]
            for d in rs.dimensions:
                v = env.get(d.name)
                for name in (v if isinstance(v, tuple) else (v,)):
                    if isinstance(name, str):
                        report.hit.add((d.name, name))
            ok = True
            for dim, expected, _span in case.expectations:
                got = env.get(dim)
                if got != expected:
                    ok = False
                    report.failures.append(Failure(test.name, case, dim, expected, got,
                                                   decided_by(rs, dim, customer, params, case.pins)))
            if ok:
                report.passed += 1
    return report


def decided_by(rs: ir.Ruleset, dim: str, customer: Customer, params: dict, pins: dict) -> tuple:
    """The inputs, lets and params a dimension's conditions read, with this customer's values."""
    env = Interpreter(rs, params, pins).run([customer])[0]
    d = rs.dimension(dim)
    names: list[str] = []
    for s in d.segments:
        for x in ir.walk(s.condition):
            n = getattr(x, "name", None) if isinstance(x, (ir.FieldRef, ir.LetRef, ir.DimRef, ir.ParamRef)) else None
            if n and n not in names:
                names.append(n)
    out = []
    for n in names:
        if n in env:
            out.append((n, env[n]))
        elif n in customer.record:
            out.append((n, customer.record[n]))
        elif n in params:
            out.append((n, params[n]))
    return tuple(out)


def show(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, UniqueConflict):
        return "conflict(" + ", ".join(v.segments) + ")"
    if isinstance(v, tuple):
        return "[" + ", ".join(show(x) for x in v) + "]"
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)
