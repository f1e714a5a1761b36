"""Typing a call of a scalar built-in: its arity, then its type rule.

Both come from the one table of built-ins (segdsl/builtins.py): what each
argument must be (`needs`) and the kind of the result. A call is checked as
a `ScalarCall` (the call with its arguments already typed); `coalesce`, whose
arguments share one type, has a rule of its own here.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable

from .. import ir
from ..builtins import BUILTINS, SCALARS, Builtin
from ..source import Span
from ..syntax import ast as A
from ..types import Kind, Type, unify
from .coerce import align_to
from .context import Context, Failed

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
    call = ScalarCall(f, args, e.span, level, x.ctx)
    builtin = BUILTINS[f]
    return coalesce(call) if builtin.same_type else table_rule(call, builtin)


def table_rule(c: ScalarCall, builtin: Builtin) -> ir.Expr:
    """Each argument as the table needs it, the result of the table's kind."""
    for i, need in enumerate(builtin.needs):
        c.need(i, need.accepts, need.what)
    kind = builtin.result(tuple(a.type for a in c.args))
    if builtin.may_overflow and kind in (Kind.INT, Kind.DATE, Kind.DATETIME):
        return replace(c.returns(kind), type=Type(kind, True, c.level))
    return c.returns(kind)


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
