"""Frozen population values (`--stats`) for the DuckDB engine, answered by population.py.

Population values computed from the data are part of the engines' one query
(backends/population_sql.py); the Spark engine bakes frozen ones into its query
too (backends/population_frozen.py). The DuckDB engine answers frozen ones here,
in two passes: a query returns every customer's arguments for the statistics of
one stage, the frozen object turns them into each customer's result (the same
code as the Python engine, so the same bits), and the results go back to the
engine as a table (key, value) that the main query joins.

The same goes for sums and case mapping inside a query: the DuckDB engine
registers the language's own on its connection (engines/duckdb_functions.py,
`register_duckdb`, named here too) and the query calls them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import pyarrow as pa

from ..backends.dialects import render
from ..backends.population_sql import VALUE
from ..backends.sql import SqlOptions, population_query, population_table
from ..runtime import population
from .arrow import ARROW_TYPES
from .duckdb_functions import DUCKDB_FUNCTIONS, exact_sum, register_duckdb  # noqa: F401  (the engines' names)

if TYPE_CHECKING:
    from ..passes import Plan


def compute(plan: "Plan", params: dict, dialect: str, tables: dict[str, str],
            run_query: Callable[[str], pa.Table], register: Callable[[str, pa.Table], None],
            frozen: dict[int, population.Stat] | None = None,
            functions: tuple[str, ...] = ()) -> tuple[dict[int, str], dict[int, population.Stat]]:
    """Runs every stage of the plan (a stage reads only the stages before it); returns the
    result table names by stat id, and the stats built.
    `functions`: what the connection has registered (backends.sql.SqlOptions.functions)."""
    rs = plan.ruleset
    done: dict[int, str] = {}
    stats: dict[int, population.Stat] = {}
    key = rs.key
    for stage in plan.stages:
        opts = SqlOptions(tables=tables, prepared=True, population=tuple(sorted(done.items())), ordered=True,
                          functions=functions)
        args = run_query(render(population_query(plan, params, stage, opts), dialect))
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
            table = pa.table({key: keys, VALUE: pa.array(values, type=ARROW_TYPES[node.type.kind])})
            name = population_table(pid)
            register(name, table)
            done[pid] = name
    return done, stats
