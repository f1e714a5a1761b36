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

from .dialects import Whole64

WIDE = "DECIMAL(38, 0)"


def wide(e: exp.Expression) -> exp.Expression:
    """A 64-bit whole number as an exact DECIMAL wide enough for any product of two."""
    return exp.Cast(this=e, to=exp.DataType.build(WIDE))


def whole(w: exp.Expression) -> exp.Expression:
    """The exact result `w` as BIGINT when it fits in 64 bits, else NULL."""
    return Whole64(this=w)
