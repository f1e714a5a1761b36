"""The one implicit conversion of the language: a date meeting a datetime.

Values compared with each other (`=`, `between`, `in`), the items of a list
and the branches of a `case` share one type; where a date meets a datetime
the date stands for midnight of that day. The conversion is written into the
IR (`to_datetime`), so no backend has to know the rule.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from .. import ir
from ..types import DATETIME, Kind, Type


def align_all(*xs: ir.Expr) -> tuple[ir.Expr, ...]:
    """When one of the values is a datetime, every date among them becomes one."""
    if any(x.type.kind is Kind.DATETIME for x in xs):
        return tuple(align_to(x, DATETIME) for x in xs)
    return xs


def align_to(x: ir.Expr, t: Type) -> ir.Expr:
    """`x` as a value of t's kind, where that is a date becoming a datetime; otherwise `x` itself."""
    if t.kind is Kind.DATETIME and x.type.kind is Kind.DATE:
        return _to_datetime(x)
    return x


def _to_datetime(x: ir.Expr) -> ir.Expr:
    if isinstance(x, ir.Const):
        v = None if x.value is None else dt.datetime.combine(x.value, dt.time())
        return ir.Const(replace(x.type, kind=Kind.DATETIME), x.span, v)
    return ir.Func(replace(x.type, kind=Kind.DATETIME), x.span, "to_datetime", (x,))
