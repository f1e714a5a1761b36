"""Population statistics for the SQL engines, computed by population.py.

SQL has no `ntile` or `cume_share` with the language's exact definitions, and
its sums are not exact, so SQL engines work in two passes: a query returns
every customer's arguments for the statistics of one stage, population.py
turns them into each customer's result (the same code as the Python engine,
so the same bits), and the results go back to the engine as a table
(key, value) that the main query joins. Frozen statistics (`--stats`) skip
the building step but not the per-customer lookup.
"""
from __future__ import annotations

from typing import Callable

import pyarrow as pa

from .. import ir, population
from ..backends.python import compile_program
from ..backends.sql import population_args_sql
from ..types import Kind

_ARROW = {Kind.INT: pa.int64(), Kind.NUMBER: pa.float64(), Kind.BOOL: pa.bool_(), Kind.STRING: pa.string(),
          Kind.ENUM: pa.string(), Kind.DATE: pa.date32(), Kind.DATETIME: pa.timestamp("us")}


def table_name(pid: int) -> str:
    return f"__segdsl_population_{pid}"


def compute(rs: ir.Ruleset, params: dict, dialect: str, tables: dict[str, str],
            run_query: Callable[[str], pa.Table], register: Callable[[str, pa.Table], None],
            frozen: dict[int, population.Stat] | None = None) -> tuple[dict[int, str], dict[int, population.Stat]]:
    """Runs every stage; returns the result table names by stat id, and the stats built."""
    done: dict[int, str] = {}
    stats: dict[int, population.Stat] = {}
    key = rs.key
    for stage in compile_program(rs).stages:
        sql = population_args_sql(rs, params, stage, dialect, tables=tables, prepared=True, population=done,
                                  ordered=True)
        args = run_query(sql)
        keys = args.column(key)
        for pid in stage:
            node = rs.population[pid]
            xs = args.column(f"__arg_{pid}").to_pylist()
            bys = [args.column(f"__by_{pid}_{j}").to_pylist() for j in range(len(node.by))]
            groups = list(zip(*bys)) if bys else [()] * len(xs)
            stat = (frozen or {}).get(pid)
            if stat is None:
                stat = population.build(node.func, node.params, node.desc, zip(xs, groups))
            stats[pid] = stat
            values = [stat.value(x, g) for x, g in zip(xs, groups)]
            table = pa.table({key: keys, "value": pa.array(values, type=_ARROW[node.type.kind])})
            name = table_name(pid)
            register(name, table)
            done[pid] = name
    return done, stats
