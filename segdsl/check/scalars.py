"""Typing a call of a scalar built-in: its arity, then its type rule.

A type rule is a function of a `ScalarCall` (the call with its arguments
already typed) that checks what it needs of each argument and returns the
typed IR node. `TYPE_RULES` maps each scalar function to its rule, so one
table of built-ins can name the rule beside the arity, the interpreter
function and the code templates of each function.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable

from .. import ir
from ..source import Span
from ..syntax import ast as A
from ..types import Kind, Type, unify
from .coerce import align_to
from .context import Context, Failed
from .functions import SCALARS

if TYPE_CHECKING:
    from .expressions import ExpressionChecker


@dataclass(frozen=True, slots=True)
class ScalarCall:
    """One call of a scalar function, its arguments typed and on one level."""
    name: str
    args: tuple[ir.Expr, ...]
    span: Span
    level: str | None
    ctx: Context

    @property
    def nullable(self) -> bool:
        """Null in, null out: any missing argument makes the result missing."""
        return any(a.type.nullable for a in self.args)

    def need(self, i: int, pred: Callable[[Type], bool], what: str) -> None:
        """Argument i must satisfy pred (a literal `null` always does); else SEG204."""
        t = self.args[i].type
        if not pred(t) and t.kind is not Kind.NULL:
            self.ctx.error("SEG204", f"`{self.name}` needs {what} as argument {i + 1}; this is {t.describe()}",
                           self.args[i].span)
            raise Failed

    def returns(self, kind: Kind) -> ir.Func:
        return ir.Func(Type(kind, self.nullable, self.level), self.span, self.name, self.args)


def check_scalar(x: ExpressionChecker, e: A.Call) -> ir.Expr:
    f = e.func
    lo, hi = SCALARS[f]
    if not lo <= len(e.args) <= hi or e.where is not None or e.by or e.desc:
        want = f"{lo}" if lo == hi else f"{lo} to {hi}"
        x.ctx.error("SEG204", f"`{f}` takes {want} argument{'s' if hi > 1 else ''}", e.span)
        raise Failed
    args = tuple(x.check(a) for a in e.args)
    level = x.level_of(*args, span=e.span)
    return TYPE_RULES[f](ScalarCall(f, args, e.span, level, x.ctx))


def _is_text(t: Type) -> bool:
    return t.kind is Kind.STRING


def _is_temporal(t: Type) -> bool:
    return t.is_temporal


def coalesce(c: ScalarCall) -> ir.Expr:
    """The first argument that is not missing: one type for all; missing only if all may be."""
    t = c.args[0].type
    for a in c.args[1:]:
        u = unify(t, a.type)
        if u is None:
            c.ctx.error("SEG204", f"`coalesce` needs values of one type; this is {a.type.describe()}", a.span)
            raise Failed
        t = u
    rt = replace(t, nullable=all(a.type.nullable for a in c.args), level=c.level)
    return ir.Func(rt, c.span, c.name, tuple(align_to(a, rt) for a in c.args))


def text_to_text(c: ScalarCall) -> ir.Expr:
    c.need(0, _is_text, "text")
    return c.returns(Kind.STRING)


def text_length(c: ScalarCall) -> ir.Expr:
    c.need(0, _is_text, "text")
    return c.returns(Kind.INT)


def text_test(c: ScalarCall) -> ir.Expr:
    c.need(0, _is_text, "text")
    c.need(1, _is_text, "text")
    return c.returns(Kind.BOOL)


def days_between(c: ScalarCall) -> ir.Expr:
    c.need(0, _is_temporal, "a date")
    c.need(1, _is_temporal, "a date")
    return c.returns(Kind.INT)


def date_part(c: ScalarCall) -> ir.Expr:
    c.need(0, _is_temporal, "a date")
    return c.returns(Kind.INT)


def add_days(c: ScalarCall) -> ir.Expr:
    c.need(0, _is_temporal, "a date")
    c.need(1, lambda t: t.kind is Kind.INT, "a whole number of days")
    return c.returns(c.args[0].type.kind)


def absolute(c: ScalarCall) -> ir.Expr:
    c.need(0, lambda t: t.is_numeric, "a number")
    return c.returns(c.args[0].type.kind)


TYPE_RULES: dict[str, Callable[[ScalarCall], ir.Expr]] = {
    "coalesce": coalesce,
    "lower": text_to_text, "upper": text_to_text, "trim": text_to_text,
    "length": text_length,
    "starts_with": text_test, "ends_with": text_test, "contains": text_test,
    "days_between": days_between,
    "year": date_part, "month": date_part, "day": date_part,
    "add_days": add_days,
    "abs": absolute,
}
