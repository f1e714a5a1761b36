"""Function calls: scalar built-ins, aggregates over related rows, population statistics.

Several names are both an aggregate and a population statistic (`sum`,
`avg`, `min`, ...); the level of the first argument decides (LANGUAGE.md §11):
a value of each related row is aggregated per customer, a customer value is
compared across customers. Scalar functions are typed in scalars.py.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from .. import ir
from ..builtins import AGGREGATES, ALL_FUNCTIONS, POPULATION, SCALARS
from ..diagnostics.suggest import did_you_mean
from ..syntax import ast as A
from ..types import Kind, Type, ordered
from .context import Failed
from .literals import check_number
from .scalars import check_scalar

if TYPE_CHECKING:
    from .expressions import ExpressionChecker

_NUMERIC_ONLY = {"percent_rank", "ntile", "quantile", "mean", "median", "sum", "cume_share"}

_POPULATION_TYPES = {"percent_rank": Type(Kind.NUMBER, True), "ntile": Type(Kind.INT, True),
                     "quantile": Type(Kind.NUMBER, True), "mean": Type(Kind.NUMBER, True),
                     "median": Type(Kind.NUMBER, True), "cume_share": Type(Kind.NUMBER, True),
                     "count": Type(Kind.INT)}


def check_call(x: ExpressionChecker, e: A.Call) -> ir.Expr:
    f = e.func
    if f not in SCALARS and f not in AGGREGATES and f not in POPULATION:
        x.ctx.error("SEG105", f"unknown function `{f}`", e.func_span,
                    help=did_you_mean(f, ALL_FUNCTIONS) or "functions: " + ", ".join(ALL_FUNCTIONS))
        raise Failed
    if f in SCALARS:
        return check_scalar(x, e)
    if not e.args:
        x.ctx.error("SEG204", f"`{f}` needs an argument", e.span)
        raise Failed
    first = e.args[0]
    if isinstance(first, A.Name) and first.name in x.ctx.related:
        if f != "count":
            x.ctx.error("SEG204", f"`{f}({first.name})` needs a field: `{f}({first.name}.FIELD)`", first.span)
            raise Failed
        return check_aggregate(x, e, first.name, None)
    arg = x.check(first)
    if arg.type.level is not None:
        if f not in AGGREGATES:
            x.ctx.error("SEG214", f"`{f}` compares customers, so it needs a customer value; "
                                  f"`{_text(first)}` is a value of each `{arg.type.level}` row", first.span,
                        help=f"aggregate it first, e.g. `{f}(sum({_text(first)}))`")
            raise Failed
        return check_aggregate(x, e, arg.type.level, arg)
    if f not in POPULATION:
        x.ctx.error("SEG206", f"`{f}` aggregates related rows; `{_text(first)}` is a customer value", first.span,
                    help="use it on a related input's field, e.g. `count_distinct(orders.invoice)`")
        raise Failed
    return check_population(x, e, arg)


def check_aggregate(x: ExpressionChecker, e: A.Call, related: str, arg: ir.Expr | None) -> ir.Expr:
    """count / count_distinct / sum / avg / min / max over one customer's rows of `related`."""
    f = e.func
    if len(e.args) != 1 or e.by or e.desc:
        x.ctx.error("SEG204", f"`{f}` over related rows takes one argument and an optional `where`", e.span)
        raise Failed
    where = None
    if e.where is not None:
        where = x.cond(e.where)
        if where.type.level not in (None, related):
            x.ctx.error("SEG215", f"the `where` of an aggregate over `{related}` filters `{related}` rows; "
                                  f"this reads `{where.type.level}` rows", e.where.span)
            raise Failed
    return ir.Aggregate(_aggregate_type(x, f, arg), e.span, f, related, arg, where)


def _aggregate_type(x: ExpressionChecker, f: str, arg: ir.Expr | None) -> Type:
    if f in ("count", "count_distinct"):
        return Type(Kind.INT)
    if f in ("sum", "avg"):
        if not arg.type.is_numeric:
            x.ctx.error("SEG204", f"`{f}` needs numbers; this is {arg.type.describe()}", arg.span)
            raise Failed
        if f == "sum":      # a whole sum beyond 64 bits is null (runtime/limits.py)
            return Type(arg.type.kind, arg.type.kind is Kind.INT)
        return Type(Kind.NUMBER, True)
    if not ordered(arg.type):
        x.ctx.error("SEG204", f"`{f}` needs values with an order; this is {arg.type.describe()}", arg.span)
        raise Failed
    return replace(arg.type, nullable=True, level=None)


def check_population(x: ExpressionChecker, e: A.Call, arg: ir.Expr) -> ir.Expr:
    """A statistic over all customers (per `by` group): a PopulationStat node with the next id."""
    f = "mean" if e.func == "avg" else e.func
    if e.where is not None:
        x.ctx.error("SEG204", f"`where` filters related rows; `{f}` over customers takes none", e.where.span,
                    help="use `case when ... then x end` to leave customers out (nulls are ignored)")
        raise Failed
    by = tuple(x.check(b) for b in e.by)
    for b in by:
        if b.type.level is not None:
            x.ctx.error("SEG214", "`by` groups customers, so it needs a customer value", b.span)
            raise Failed
    params = _population_params(x, e, f)
    if e.desc and f not in ("ntile", "percent_rank"):
        x.ctx.error("SEG204", f"`desc` applies to `ntile` and `percent_rank`, not `{f}`", e.span)
        raise Failed
    if f in _NUMERIC_ONLY and not arg.type.is_numeric and arg.type.kind is not Kind.NULL:
        x.ctx.error("SEG204", f"`{f}` needs numbers; this is {arg.type.describe()}", arg.span)
        raise Failed
    if f in ("min", "max") and not ordered(arg.type):
        x.ctx.error("SEG204", f"`{f}` needs values with an order; this is {arg.type.describe()}", arg.span)
        raise Failed
    if f == "sum":
        t = Type(arg.type.kind if arg.type.is_numeric else Kind.NUMBER, arg.type.kind is Kind.INT)
    else:
        t = _POPULATION_TYPES.get(f) or replace(arg.type, nullable=True)
    population = x.ctx.population
    node = ir.PopulationStat(t, e.span, len(population), f, arg, params, e.desc, by)
    population.append(node)
    return node


def _population_params(x: ExpressionChecker, e: A.Call, f: str) -> tuple:
    """The constant arguments after the first: ntile's k, quantile's p; no other takes any."""
    extra = e.args[1:]
    if f == "ntile":
        if len(extra) != 1 or not (isinstance(extra[0], A.Number) and extra[0].is_int and extra[0].value >= 1):
            x.ctx.error("SEG204", "`ntile(x, k)` needs a whole number of tiles k ≥ 1", e.span,
                        help="e.g. `ntile(recency, 5, desc)`")
            raise Failed
        check_number(x.ctx, extra[0])
        return (extra[0].value,)
    if f == "quantile":
        if len(extra) != 1 or not isinstance(extra[0], (A.Number, A.Percent)) or not 0 <= extra[0].value <= 1:
            x.ctx.error("SEG204", "`quantile(x, p)` needs a constant p between 0 and 1 (or 0%..100%)", e.span)
            raise Failed
        return (float(extra[0].value),)
    if extra:
        x.ctx.error("SEG204", f"`{f}` takes one argument", extra[0].span)
        raise Failed
    return ()


def _text(e: A.Expr) -> str:
    """How an argument is quoted in a message: its name, or `this value`."""
    match e:
        case A.Name(name=n):
            return n
        case A.Member(obj=A.Name(name=o), name=n):
            return f"{o}.{n}"
    return "this value"
