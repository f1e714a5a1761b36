"""The built-in functions of the language, each defined once.

A scalar built-in is one row of `SCALARS`: its name, how many arguments it
takes, what each argument must be and what it returns (the type checker's
rule), what it computes (the reference interpreter), the Python text it
compiles to (the Python backend) and the sqlglot tree it compiles to (the
SQL backend). Adding a built-in is adding a row here, and each backend's
tests then try it. Aggregates and population statistics are families of
their own (`AGGREGATES`, `POPULATION`): their meaning lives in the
backends' aggregate loops and in runtime/population.py.

Null policy: a built-in is null-in, null-out (every backend guards its
arguments) unless it is `null_aware`, in which case it decides for itself
(`coalesce`, which each backend builds with its own short-circuit).

The level of the first argument decides between an aggregate (over a
customer's related rows) and a population statistic (over all customers)
for the names that are both (LANGUAGE.md §11).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from .ir import date_value
from .runtime import limits
# functions an engine registers on its connection where the database's own differ from the
# language (SqlOptions.functions in backends/sql.py), named where the engines find them alone
from .runtime.function_names import (  # noqa: F401  (the backends' names for them)
    EXACT_CUME, EXACT_CUME_ABOVE, EXACT_PAIR_ARRAYS, EXACT_PAIR_PARTIALS, EXACT_PARTIALS, EXACT_SUM, FULL_LOWER,
    FULL_UPPER)
from .types import Kind, Type

if TYPE_CHECKING:
    from sqlglot import exp as _exp


class _Sqlglot:
    """`sqlglot.exp`, imported on first use: the front end (`segdsl check`) reads this table
    for names and types and should not pay for importing sqlglot."""

    def __getattr__(self, name: str):
        from sqlglot import exp as module
        return getattr(module, name)


exp: "_exp" = _Sqlglot()       # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Need:
    """What one argument must be: a test on its type, the words for the message, and the SQL
    type a literal `null` in its place is given (a database cannot pick among a function's
    overloads for an untyped NULL)."""
    accepts: Callable[[Type], bool]
    what: str
    sql_type: str


TEXT = Need(lambda t: t.kind is Kind.STRING, "text", "VARCHAR")
DATE = Need(lambda t: t.is_temporal, "a date", "DATE")
DAYS = Need(lambda t: t.kind is Kind.INT, "a whole number of days", "BIGINT")
NUMBER = Need(lambda t: t.is_numeric, "a number", "DOUBLE")

# (python code of each argument, their kinds) → Python expression
PythonTemplate = Callable[[tuple[str, ...], tuple[Kind, ...]], str]
# (sqlglot tree of each argument, their kinds, engine functions the connection has) → tree
SqlBuilder = Callable[[list, tuple[Kind, ...], frozenset[str]], Any]


@dataclass(frozen=True, slots=True)
class Builtin:
    name: str
    min_args: int
    max_args: int
    needs: tuple[Need, ...]                        # per argument; () with same_type: any one type
    result: Callable[[tuple[Type, ...]], Kind]     # the result's kind from the arguments' types
    evaluate: Callable[..., Any]                   # the interpreter's meaning, on non-null values
    python: PythonTemplate | None                  # None: null_aware, the backend builds it
    sql: SqlBuilder
    null_aware: bool = False
    same_type: bool = False                        # every argument of one (unified) type
    public: bool = True                            # callable from a rule file (not only inserted by the checker)
    # a whole-number result may leave 64 bits (`abs(-2**63)`), a date years 1 to 9999: null then,
    # as runtime/limits.py says
    may_overflow: bool = False


def _kind(k: Kind) -> Callable[[tuple[Type, ...]], Kind]:
    return lambda types: k


def _first_kind(types: tuple[Type, ...]) -> Kind:
    return types[0].kind


def _as_date(code: str, kind: Kind) -> str:
    return code + ".date()" if kind is Kind.DATETIME else code


def sql_add_days(x, days, kind: Kind):
    """Date or datetime plus whole days; a datetime keeps its time of day (TimestampAdd),
    and the day count is an INT, which some dialects (Spark) insist on."""
    n = exp.Cast(this=days, to=exp.DataType.build("INT"))
    if kind is Kind.DATETIME:
        return exp.TimestampAdd(this=x, expression=n, unit=exp.var("DAY"))
    return exp.DateAdd(this=x, expression=n, unit=exp.var("DAY"))


def _own(name: str, arg):
    """A call of a function the engine registered on its connection."""
    return exp.Anonymous(this=name, expressions=[arg])


def _sql_case(own: str, node: str):
    """The engine's full case mapping where the connection has it, else the database's `node`."""
    return lambda a, kinds, functions: _own(own, a[0]) if own in functions else getattr(exp, node)(this=a[0])


def _sql_days_between(a, kinds, functions):
    as_date = [exp.Cast(this=x, to=exp.DataType.build("DATE")) for x in a]
    return exp.DateDiff(this=as_date[1], expression=as_date[0], unit=exp.var("DAY"))


_BUILTINS = (
    Builtin("coalesce", 2, 16, (), _first_kind,
            lambda *values: next((v for v in values if v is not None), None), None,
            lambda a, kinds, functions: exp.Coalesce(this=a[0], expressions=a[1:]),
            null_aware=True, same_type=True),
    Builtin("lower", 1, 1, (TEXT,), _kind(Kind.STRING), str.lower,
            lambda c, k: f"{c[0]}.lower()", _sql_case(FULL_LOWER, "Lower")),
    Builtin("upper", 1, 1, (TEXT,), _kind(Kind.STRING), str.upper,
            lambda c, k: f"{c[0]}.upper()", _sql_case(FULL_UPPER, "Upper")),
    Builtin("trim", 1, 1, (TEXT,), _kind(Kind.STRING), lambda s: s.strip(" "),
            lambda c, k: f"{c[0]}.strip(' ')",
            # spaces only, as every engine agrees on (not all Unicode blanks)
            lambda a, kinds, functions: exp.Trim(this=a[0], expression=exp.Literal.string(" "))),
    Builtin("length", 1, 1, (TEXT,), _kind(Kind.INT), len,
            lambda c, k: f"len({c[0]})", lambda a, kinds, functions: exp.Length(this=a[0])),
    Builtin("starts_with", 2, 2, (TEXT, TEXT), _kind(Kind.BOOL), str.startswith,
            lambda c, k: f"{c[0]}.startswith({c[1]})",
            lambda a, kinds, functions: exp.StartsWith(this=a[0], expression=a[1])),
    Builtin("ends_with", 2, 2, (TEXT, TEXT), _kind(Kind.BOOL), str.endswith,
            lambda c, k: f"{c[0]}.endswith({c[1]})",
            lambda a, kinds, functions: exp.EQ(this=exp.Right(this=a[0], expression=exp.Length(this=a[1].copy())),
                                               expression=a[1])),
    Builtin("contains", 2, 2, (TEXT, TEXT), _kind(Kind.BOOL), lambda s, part: part in s,
            lambda c, k: f"({c[1]} in {c[0]})",
            lambda a, kinds, functions: exp.GT(this=exp.StrPosition(this=a[0], substr=a[1]),
                                               expression=exp.Literal.number(0))),
    Builtin("days_between", 2, 2, (DATE, DATE), _kind(Kind.INT),
            lambda a, b: (date_value(b) - date_value(a)).days,
            # inline, not a helper call: this runs once per record
            lambda c, k: f"({_as_date(c[1], k[1])} - {_as_date(c[0], k[0])}).days", _sql_days_between),
    Builtin("year", 1, 1, (DATE,), _kind(Kind.INT), lambda d: d.year,
            lambda c, k: f"{c[0]}.year", lambda a, kinds, functions: exp.Year(this=a[0])),
    Builtin("month", 1, 1, (DATE,), _kind(Kind.INT), lambda d: d.month,
            lambda c, k: f"{c[0]}.month", lambda a, kinds, functions: exp.Month(this=a[0])),
    Builtin("day", 1, 1, (DATE,), _kind(Kind.INT), lambda d: d.day,
            lambda c, k: f"{c[0]}.day", lambda a, kinds, functions: exp.Day(this=a[0])),
    Builtin("add_days", 2, 2, (DATE, DAYS), _first_kind, limits.add_days,
            lambda c, k: f"_add_days({c[0]}, {c[1]})",
            lambda a, kinds, functions: sql_add_days(a[0], a[1], kinds[0]), may_overflow=True),
    Builtin("abs", 1, 1, (NUMBER,), _first_kind, abs,
            lambda c, k: f"abs({c[0]})", lambda a, kinds, functions: exp.Abs(this=a[0]), may_overflow=True),
    # inserted by the checker where a date meets a datetime; not callable from a rule file
    Builtin("to_datetime", 1, 1, (DATE,), _kind(Kind.DATETIME), lambda d: dt.datetime.combine(d, dt.time()),
            lambda c, k: f"_combine({c[0]}, _midnight)",
            lambda a, kinds, functions: exp.Cast(this=a[0], to=exp.DataType.build("TIMESTAMP")),
            public=False),
)

BUILTINS: dict[str, Builtin] = {b.name: b for b in _BUILTINS}

# name → (min args, max args), for the names a rule file may call
SCALARS: dict[str, tuple[int, int]] = {b.name: (b.min_args, b.max_args) for b in _BUILTINS if b.public}

AGGREGATES = {"count", "count_distinct", "sum", "avg", "min", "max"}

POPULATION = {"percent_rank", "ntile", "quantile", "mean", "avg", "median", "min", "max", "sum",
              "count", "cume_share"}

# population functions whose result differs per customer (the others are one scalar per group)
POPULATION_RELATIVE = {"percent_rank", "ntile", "cume_share"}

ALL_FUNCTIONS = sorted(set(SCALARS) | AGGREGATES | POPULATION)


def builtin(name: str) -> Builtin:
    return BUILTINS[name]
