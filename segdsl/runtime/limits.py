"""The values every engine holds, and what a result beyond them is: null.

A whole number is 64 bits wide on every engine (DuckDB's and Spark's BIGINT,
polars' Int64, a PostgreSQL bigint), yet each meets a wider result its own
way: DuckDB and PostgreSQL stop the whole query, Spark fails the job, polars
wraps around silently and Python grows a bignum. So the language defines it
once (docs/language.md §6): a whole-number `+`, `-`, `*`, negation or `abs`
whose exact result is outside the 64-bit range is null for that customer,
like `x / 0`. Every backend computes the exact result (Python's ints, SQL's
DECIMAL(38,0), polars' Int128) and keeps it only when it fits.

Dates follow the same rule: every engine reads and writes years 1 to 9999
(Python's `datetime`, Parquet readers, CSV text), so date arithmetic whose
result leaves those years is null.
"""
from __future__ import annotations

import datetime as dt

INT64_MIN = -(2 ** 63)
INT64_MAX = 2 ** 63 - 1

# the days from 0001-01-01 to 9999-12-31, the widest step date arithmetic can take and stay in range
DAYS_SPAN = (dt.date.max - dt.date.min).days


def whole(v: int) -> int | None:
    """`v` when a 64-bit whole number holds it, else null."""
    return v if INT64_MIN <= v <= INT64_MAX else None


def add_days(d, days: int):
    """A date or datetime moved by whole days; null when the result leaves years 1 to 9999."""
    if not -DAYS_SPAN <= days <= DAYS_SPAN:
        return None
    try:
        return d + dt.timedelta(days=days)
    except OverflowError:
        return None
