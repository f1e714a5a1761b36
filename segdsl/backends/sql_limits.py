"""Whole-number arithmetic in SQL that gives null beyond 64 bits, in every dialect.

A database meets a BIGINT result beyond 64 bits its own way (DuckDB and
PostgreSQL stop the query, Spark fails the job, others wrap or error), while
the language says it is null for that customer (runtime/limits.py). So the
operands are widened to DECIMAL(38,0), which holds any sum, difference or
product of two 64-bit numbers exactly, and the exact result is brought back
to BIGINT only when it fits: a `Whole64` node, which each dialect writes as
a TRY_CAST where a failed cast is null, else as a range check
(backends/dialects.py).
"""
from __future__ import annotations

from sqlglot import exp

from .. import ir
from ..builtins import sql_add_days
from ..types import Kind
from .dialects import DayInRange, Whole64, sql_type

WIDE = "DECIMAL(38, 0)"


def wide(e: exp.Expression) -> exp.Expression:
    """A 64-bit whole number as an exact DECIMAL wide enough for any product of two."""
    return exp.Cast(this=e, to=sql_type(WIDE))


def whole(w: exp.Expression) -> exp.Expression:
    """The exact result `w` as BIGINT when it fits in 64 bits, else NULL."""
    return Whole64(this=w)


EPOCH = exp.Cast(this=exp.Literal.string("1970-01-01"), to=sql_type("DATE"))
MAX_DATETIME_NESTING = 4


def moved(x: exp.Expression, days: exp.Expression, kind, sign: int = 1) -> exp.Expression:
    """A date or datetime moved by whole days, NULL when the result leaves years 1 to 9999
    (runtime/limits.py). The result's day number is computed exactly from 1970-01-01 and kept
    only within those years (`DayInRange`), so no database ever holds a date beyond them (some
    cannot: PostgreSQL stops at 4713 BC) and a day count beyond INT is never cast. A date is
    that day; a datetime keeps its time of day (it is written three times: `too_nested` bounds
    how often that multiplies)."""
    day = exp.DateDiff(this=exp.Cast(this=x, to=sql_type("DATE")), expression=EPOCH.copy(),
                       unit=exp.var("DAY"))
    op = exp.Add if sign > 0 else exp.Sub
    checked = DayInRange(this=op(this=wide(day), expression=wide(days)))
    if kind is Kind.DATETIME:
        return sql_add_days(x.copy(), exp.Sub(this=checked, expression=day.copy()), kind)
    return sql_add_days(EPOCH.copy(), checked, kind)


def too_nested(e: ir.Expr) -> bool:
    """Whether datetime ± days nest more than MAX_DATETIME_NESTING deep under `e` (each level
    writes its datetime three times)."""
    def depth(x: ir.Expr) -> int:
        moves = isinstance(x, ir.Arith) and x.op in ("date_add", "date_sub") or \
            isinstance(x, ir.Func) and x.name == "add_days"
        inner = max((depth(c) for c in ir.children(x)), default=0)
        return inner + (1 if moves and x.type.kind is Kind.DATETIME else 0)
    return depth(e) > MAX_DATETIME_NESTING
