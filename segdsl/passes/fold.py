"""Constant folding: arithmetic, negation, `not` and comparisons of constants
become constants, computed exactly as every engine would compute them at
run time.

Only what cannot change an answer is folded: whole numbers stay within 64
bits and real numbers stay finite (the engines' limits on such values are
their own to report), a division is left alone (x / 0 is null at run time),
and nothing that reads a field, let, param or statistic is touched.
"""
from __future__ import annotations

import math
import operator
from dataclasses import replace

from .. import ir
from ..types import Kind
from . import rewrite
from .plan import Plan

_INT64 = 2 ** 63
_ARITH = {"add": operator.add, "sub": operator.sub, "mul": operator.mul}
_COMPARE = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}


def fold_constants(plan: Plan) -> Plan:
    return replace(plan, ruleset=rewrite.ruleset(plan.ruleset, fold))


def fold(e: ir.Expr) -> ir.Expr:
    """One node, its children already folded."""
    folder = _FOLDERS.get(type(e))
    return folder(e) if folder is not None else e


def _number(e: ir.Expr) -> int | float | None:
    if isinstance(e, ir.Const) and e.type.kind in (Kind.INT, Kind.NUMBER) \
            and isinstance(e.value, (int, float)) and not isinstance(e.value, bool):
        return e.value
    return None


def _representable(v) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return -_INT64 <= v < _INT64
    return isinstance(v, float) and math.isfinite(v)


def _constant(e: ir.Expr, value) -> ir.Expr:
    return ir.Const(e.type.with_nullable(False), e.span, value) if _representable(value) else e


def fold_Arith(e: ir.Arith) -> ir.Expr:
    a, b = _number(e.left), _number(e.right)
    if a is None or b is None or e.op not in _ARITH:
        return e
    return _constant(e, _ARITH[e.op](a, b))


def fold_Neg(e: ir.Neg) -> ir.Expr:
    a = _number(e.operand)
    return e if a is None else _constant(e, -a)


def fold_Not(e: ir.Not) -> ir.Expr:
    o = e.operand
    if isinstance(o, ir.Const) and isinstance(o.value, bool):
        return ir.Const(e.type.with_nullable(False), e.span, not o.value)
    return e


def fold_Compare(e: ir.Compare) -> ir.Expr:
    a, b = _number(e.left), _number(e.right)
    if a is None or b is None:
        return e
    return ir.Const(e.type.with_nullable(False), e.span, _COMPARE[e.op](a, b))


_FOLDERS = {ir.Arith: fold_Arith, ir.Neg: fold_Neg, ir.Not: fold_Not, ir.Compare: fold_Compare}
