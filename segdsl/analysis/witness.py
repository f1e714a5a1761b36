"""A witness: one customer the solver found, made concrete and confirmed by the reference interpreter.

The solver's model gives a value to every leaf of the conditions: customer
fields, aggregates over related rows and population values. A witness holds
the fields as a record (with each unread field at its default, or null, or
the smallest value its type allows) and the aggregates and population values
as they are: no rows or population need inventing, because the interpreter
is given those values, exactly as `test ... with` pins a population let.
Nothing is reported before the reference interpreter agrees with the solver.
The interpreter is a backend, later in the layers than analysis/, so the
caller hands the analysis a `Confirm` function (service/witnesses.py); the
property test in tests/analysis runs every witness it sees through it too.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

from .. import ir
from ..runtime import population
from ..runtime.customers import Customer
from ..types import Kind


@dataclass(frozen=True)
class Witness:
    record: dict                                  # customer field → value (None: missing)
    aggregates: dict = field(default_factory=dict)   # aggregate shape → value
    stats: dict = field(default_factory=dict)        # population stat id → value
    params: dict = field(default_factory=dict)

    def customer(self) -> Customer:
        return Customer(key="witness", record=dict(self.record), rows={}, row=1)


@dataclass(frozen=True)
class Finding:
    """A diagnostic of the solver analysis with what it claims: `kind` overlap (both `segments`
    match the witness), gap (none of the dimension's segments does), never (`segments[0]` can
    never match; no witness), always_true / always_false (`part` of a condition, where its
    values are present), equivalent, or not_analysed."""
    diagnostic: Any
    kind: str
    dimension: str
    segments: tuple[str, ...] = ()
    witness: "Witness | None" = None
    part: Any = None                  # for kind always_true / always_false: the comparison or `and`


Confirm = Callable[["Witness"], tuple[dict, dict]]
"""witness → (every let and dimension value, each segment condition's value by (dimension, segment))."""


class FixedStat(population.Stat):
    """A population value the witness gives, whatever the population."""

    def __init__(self, value: Any):
        self.fixed = value

    def value(self, x, group):
        return self.fixed


def from_model(tr, model, rs: ir.Ruleset) -> Witness:
    """The solver's model as a witness (tr: the solver.Translator that built the formulas)."""
    record = {f.name: placeholder(f) for f in (rs.customer.fields if rs.customer else ())}
    aggregates, stats, params = {}, {}, dict(tr.params)
    for leaf in tr.leaves.values():
        value = None if model_bool(model, leaf.null) else model_value(model, leaf.val, leaf.type, rs)
        if leaf.kind == "field":
            record[leaf.key] = value
        elif leaf.kind == "aggregate":
            aggregates[leaf.key] = value
        elif leaf.kind == "stat":
            stats[leaf.key] = value
        elif leaf.kind == "param":
            params[leaf.key] = value
    return Witness(record, aggregates, stats, params)


def placeholder(f: ir.FieldSchema) -> Any:
    """A field no condition reads: its default, else null, else the first value it may take."""
    if f.has_default:
        return f.default
    if f.type.nullable:
        return None
    k = f.type.kind
    if k is Kind.ENUM:
        return f.type.enum.members[0].name
    if k in (Kind.INT, Kind.NUMBER):
        low = f.low if f.low is not None else 0
        return float(low) if k is Kind.NUMBER else int(low)
    return {Kind.STRING: "w", Kind.BOOL: False, Kind.DATE: dt.date(2000, 1, 1),
            Kind.DATETIME: dt.datetime(2000, 1, 1)}.get(k)


def model_bool(model, b) -> bool:
    import z3
    return z3.is_true(model.eval(b, model_completion=True))


def model_value(model, term, t, rs: ir.Ruleset) -> Any:
    import z3

    from .solver import EPOCH
    v = model.eval(term, model_completion=True)
    k = t.kind
    if k is Kind.BOOL:
        return z3.is_true(v)
    if k is Kind.STRING:
        return v.as_string()
    if k is Kind.NUMBER:
        if z3.is_rational_value(v):
            return float(Fraction(v.numerator_as_long(), v.denominator_as_long()))
        return float(v.approx(20).as_decimal(20).rstrip("?"))
    n = v.as_long()
    if k is Kind.DATE:
        return dt.date.fromordinal(n)
    if k is Kind.DATETIME:
        return EPOCH + dt.timedelta(microseconds=n)
    if k is Kind.ENUM:
        return t.enum.members[n].name
    if k is Kind.SEGMENT:
        return rs.dimension(t.dimension).all_segments()[n].name
    return n


def described(rs: ir.Ruleset, d: ir.Dimension, witness: Witness, env: dict) -> str:
    """The witness in the message's words: each value the dimension's conditions read, in the
    order they are first read (`age = 35`, `balance missing`)."""
    seen: dict[str, ir.Expr] = {}
    for s in d.segments:
        for x in ir.walk(s.condition):
            if isinstance(x, (ir.FieldRef, ir.LetRef, ir.DimRef)) and x.name not in seen:
                seen[x.name] = x
    parts = []
    for name, x in seen.items():
        v = witness.record.get(name) if isinstance(x, ir.FieldRef) else env.get(name)
        parts.append(f"{name} missing" if v is None else f"{name} = {shown(v, x.type)}")
    return ", ".join(parts) if parts else "any values"


def shown(v: Any, t) -> str:
    """A value as a rule file or a test record writes it."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, tuple):
        return "[" + ", ".join(map(str, v)) + "]"
    if t.kind is Kind.STRING:
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, float):
        return repr(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return str(v)
