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


def node(func: str, kind: Kind, by: tuple[Kind, ...] = (), params: tuple = (), desc: bool = False,
         id: int = 0) -> ir.PopulationStat:
    span = Span("t.seg", 1, 1, 1, 1)
    result = _RESULT.get(func, kind)
    return ir.PopulationStat(Type(result, True), span, id, func, ir.FieldRef(Type(kind, True), span, "x"), params,
                             desc, tuple(ir.FieldRef(Type(k, True), span, f"g{j}") for j, k in enumerate(by)))


# every statistic, as (func, params, desc)
EVERY = (("percent_rank", (), False), ("percent_rank", (), True), ("ntile", (4,), False), ("ntile", (3,), True),
         ("ntile", (1,), False), ("quantile", (0.3,), False), ("quantile", (1.0,), False), ("quantile", (0.0,), False),
         ("median", (), False), ("min", (), False), ("max", (), False), ("count", (), False), ("sum", (), False),
         ("mean", (), False), ("cume_share", (), False))
ADDS_NUMBERS = ("sum", "mean", "cume_share")


def nodes(kind: Kind, by: tuple[Kind, ...], exact: bool) -> list[ir.PopulationStat]:
    """Every statistic over one argument (ids 0, 1, ...); without `exact` sums, those that add numbers are left out."""
    chosen = [s for s in EVERY if exact or kind is not Kind.NUMBER or s[0] not in ADDS_NUMBERS]
    return [node(f, kind, by, p, d, i) for i, (f, p, d) in enumerate(chosen)]


def expected(stats: list[ir.PopulationStat], rows: list[tuple], frozen: list | None = None) -> dict[str, tuple]:
    """population.py's values for each customer (key k0, k1, ...), one per statistic; from the
    frozen statistics where given."""
    built = frozen or [population.build(s.func, s.params, s.desc, rows) for s in stats]
    out = {}
    for i, (x, g) in enumerate(rows):
        values = []
        for s, b in zip(stats, built):
            v = b.value(x, g)
            values.append(float(v) if s.type.kind is Kind.NUMBER and isinstance(v, int) else v)
        out[f"k{i}"] = tuple(values)
    return out


def args_table(stats: list[ir.PopulationStat], rows: list[tuple]) -> pa.Table:
    """The arguments as the engines' stage query gives them: key, `__arg_ID`, `__by_ID_J`."""
    cols = {KEY: pa.array([f"k{i}" for i in range(len(rows))], pa.string())}
    for s in stats:
        cols[f"__arg_{s.id}"] = pa.array([x for x, _ in rows], ARROW[s.arg.type.kind])
        for j, b in enumerate(s.by):
            cols[f"__by_{s.id}_{j}"] = pa.array([g[j] for _, g in rows], ARROW[b.type.kind])
    return pa.table(cols)


def stats_sql(stats: list[ir.PopulationStat], dialect: str, functions=frozenset(), frozen: list | None = None,
              source: str = ARGS) -> str:
    """One query: every customer's key and each statistic's value (`v0`, `v1`, ...), computed by
    population_sql.py, or from frozen statistics by population_frozen.py."""
    from segdsl.backends.population_frozen import frozen_ctes
    args = ARGS + "_cte"
    ctes = [(args, exp.select(exp.Star()).from_(exp.to_table(source)))]
    for i, s in enumerate(stats):
        if frozen is None:
            ctes += stat_ctes(s, args, KEY, frozenset(functions))
        else:
            ctes += frozen_ctes(s, population.from_json(population.to_json(frozen[i])), args, KEY)
    query = exp.select(exp.column(KEY, table="a", quoted=True)).from_(exp.to_table(args).as_("a"))
    for s in stats:
        p = f"p{s.id}"
        query = query.select(exp.column(VALUE, table=p, quoted=True).as_(f"v{s.id}")).join(
            exp.Table(this=exp.to_identifier(population_table(s.id), quoted=True), alias=exp.TableAlias(this=exp.to_identifier(p))),
            on=exp.column(KEY, table=p, quoted=True).eq(exp.column(KEY, table="a", quoted=True)), join_type="left")
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


def differences(stats: list[ir.PopulationStat], got: dict[str, tuple], want: dict[str, tuple]) -> list:
    """(customer, statistic, got, want) wherever the database's value is not population.py's, bit for bit."""
    out = []
    for k, values in want.items():
        row = got.get(k)
        if row is None:
            out.append((k, "missing", None, values))
            continue
        for s, g, w in zip(stats, row, values):
            if bits(g) != bits(w):
                out.append((k, f"{s.func}{s.params}{' desc' if s.desc else ''}", g, w))
    return out
