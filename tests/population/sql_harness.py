"""One population statistic computed by backends/population_sql.py in a real database,
next to runtime/population.py's answer for the same customers.

A population is a list of (x, groups) per customer; `stat_sql` builds the
statistic's CTEs over a table of arguments shaped like the engines' (key,
`__arg_0`, `__by_0_J`), and each runner loads that table into its database and
returns {key: value}."""
from __future__ import annotations

import math
import struct

import pyarrow as pa
from sqlglot import exp

from segdsl import ir
from segdsl.backends.dialects import render
from segdsl.backends.population_sql import VALUE, stat_ctes
from segdsl.backends.sql import population_table
from segdsl.runtime import population
from segdsl.source import Span
from segdsl.types import Kind, Type

ARGS = "pop_args"
KEY = "id"
_RESULT = {"percent_rank": Kind.NUMBER, "ntile": Kind.INT, "quantile": Kind.NUMBER, "median": Kind.NUMBER,
           "mean": Kind.NUMBER, "cume_share": Kind.NUMBER, "count": Kind.INT}
ARROW = {Kind.INT: pa.int64(), Kind.NUMBER: pa.float64(), Kind.STRING: pa.string(), Kind.DATE: pa.date32()}


def node(func: str, kind: Kind, by: tuple[Kind, ...] = (), params: tuple = (), desc: bool = False) -> ir.PopulationStat:
    span = Span("t.seg", 1, 1, 1, 1)
    result = _RESULT.get(func, kind)
    return ir.PopulationStat(Type(result, True), span, 0, func, ir.FieldRef(Type(kind, True), span, "x"), params,
                             desc, tuple(ir.FieldRef(Type(k, True), span, f"g{j}") for j, k in enumerate(by)))


def expected(stat: ir.PopulationStat, rows: list[tuple]) -> dict[str, object]:
    """population.py's value for each customer (key k0, k1, ...)."""
    built = population.build(stat.func, stat.params, stat.desc, rows)
    number = stat.type.kind is Kind.NUMBER
    return {f"k{i}": (float(v) if number and isinstance(v, int) else v)
            for i, (x, g) in enumerate(rows) for v in [built.value(x, g)]}


def args_table(stat: ir.PopulationStat, rows: list[tuple]) -> pa.Table:
    cols = {KEY: pa.array([f"k{i}" for i in range(len(rows))], pa.string()),
            "__arg_0": pa.array([x for x, _ in rows], ARROW[stat.arg.type.kind])}
    for j, b in enumerate(stat.by):
        cols[f"__by_0_{j}"] = pa.array([g[j] for _, g in rows], ARROW[b.type.kind])
    return pa.table(cols)


def stat_sql(stat: ir.PopulationStat, dialect: str, functions=frozenset(), source: str = ARGS) -> str:
    ctes = [(ARGS + "_cte", exp.select(exp.Star()).from_(exp.to_table(source)))]
    ctes += stat_ctes(stat, ARGS + "_cte", KEY, frozenset(functions))
    query = exp.select(exp.column(KEY, quoted=True), exp.column(VALUE, quoted=True)).from_(
        exp.Table(this=exp.to_identifier(population_table(0), quoted=True)))
    for name, body in ctes:
        query = query.with_(exp.to_identifier(name, quoted=True), as_=body)
    return render(query, dialect)


def bits(v):
    """A value compared bit for bit: doubles by their IEEE bits, except that the sign of a zero
    (which population.py itself takes from the input order) is not compared."""
    if isinstance(v, float):
        if v == 0.0:
            return ("float", 0)
        if math.isnan(v):
            return ("float", "nan")
        return ("float", struct.pack("<d", v))
    return (type(v).__name__, v)


def same(got: dict, want: dict) -> list:
    """The keys whose values differ, with both values."""
    return [(k, got.get(k, "missing"), want[k]) for k in want
            if bits(got.get(k)) != bits(want[k]) and not (isinstance(want[k], int) and got.get(k) == want[k]
                                                          and not isinstance(got.get(k), float))]
