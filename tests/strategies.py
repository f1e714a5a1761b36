"""Hypothesis strategies for records that fit a ruleset's schema.

Values lean on the edges that break engines: nulls, zeros, ties, range
bounds, unicode text and dates around month ends.
"""
from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from segdsl import ir
from segdsl.runtime.customers import Customer
from segdsl.types import Kind

TEXT = st.sampled_from(["", "a", "A", "客户", "「首購族」", "x\"y", "O'Brien", "Fiber optic", " pad "]) | st.text(max_size=6)


def value_for(f: ir.FieldSchema) -> st.SearchStrategy:
    t = f.type
    if t.kind is Kind.INT:
        lo = int(f.low) if f.low is not None else -5
        hi = int(f.high) if f.high is not None else 200
        base = st.sampled_from(sorted({lo, hi, 0 if lo <= 0 <= hi else lo, min(hi, lo + 1)})) | st.integers(lo, hi)
    elif t.kind is Kind.NUMBER:
        lo = float(f.low) if f.low is not None else -1e4
        hi = float(f.high) if f.high is not None else 1e4
        specials = [v for v in (0.0, 1.0, 0.5, 3.0, 100.0, 5000.0, -1.0) if lo <= v <= hi]
        base = st.sampled_from(specials + [lo, hi]) | st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    elif t.kind is Kind.BOOL:
        base = st.booleans()
    elif t.kind is Kind.STRING:
        base = TEXT
    elif t.kind is Kind.DATE:
        base = st.dates(dt.date(2010, 1, 1), dt.date(2027, 12, 31))
    elif t.kind is Kind.DATETIME:
        base = st.datetimes(dt.datetime(2010, 1, 1), dt.datetime(2027, 12, 31))
    elif t.kind is Kind.ENUM:
        base = st.sampled_from([m.name for m in t.enum.members])
    else:
        raise AssertionError(t)
    return (st.none() | base) if t.nullable else base


@st.composite
def customers(draw, rs: ir.Ruleset, max_customers: int = 8) -> list[Customer]:
    n = draw(st.integers(1, max_customers))
    out = []
    for i in range(n):
        record = {}
        if rs.customer is not None:
            for f in rs.customer.fields:
                record[f.name] = draw(value_for(f))
            if rs.customer.key:
                record[rs.customer.key] = f"c{i}"
        key = record.get(rs.customer.key) if rs.customer and rs.customer.key else f"c{i}"
        rows = {}
        for j, r in enumerate(rs.related):
            lst = []
            # without a customer input a customer exists only through its rows
            least = 1 if rs.customer is None and j == 0 else 0
            for _ in range(draw(st.integers(least, 4))):
                row = {f.name: draw(value_for(f)) for f in r.fields}
                row[r.key] = key
                lst.append(row)
            rows[r.name] = lst
        out.append(Customer(key=key, record=record, rows=rows, row=i + 1))
    return out
