"""Population statistics for the SQL engines, computed by population.py.

SQL has no `ntile` or `cume_share` with the language's exact definitions, and
its sums are not exact, so SQL engines work in two passes: a query returns
every customer's arguments for the statistics of one stage, population.py
turns them into each customer's result (the same code as the Python engine,
so the same bits), and the results go back to the engine as a table
(key, value) that the main query joins. Frozen statistics (`--stats`) skip
the building step but not the per-customer lookup.

The same goes for sums and case mapping inside a query: DuckDB's SUM adds
doubles in row order and its upper/lower map one code point at a time, so the
DuckDB engine registers the language's own (math.fsum, str.upper, str.lower)
on its connection (`register_duckdb`) and the query calls them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import pyarrow as pa
import pyarrow.compute as pc

from ..backends.dialects import render
from ..backends.population_sql import VALUE
from ..backends.sql import EXACT_SUM, FULL_LOWER, FULL_UPPER, SqlOptions, population_query, population_table
from ..builtins import EXACT_CUME, EXACT_PARTIALS
from ..runtime import exact, population
from ..runtime.population import fsum
from .arrow import ARROW_TYPES

if TYPE_CHECKING:
    from ..passes import Plan


DUCKDB_FUNCTIONS = (EXACT_SUM, FULL_UPPER, FULL_LOWER, EXACT_PARTIALS, EXACT_CUME)


def exact_sum(values) -> float:
    """The language's sum of numbers (population.fsum) of those not null."""
    return fsum([v for v in values if v is not None])


def _exact_sums(arrays: pa.Array) -> pa.Array:
    return pa.array([None if vs is None else exact_sum(vs) for vs in arrays.to_pylist()], pa.float64())


def _per_list(function: Callable[[list], list | None]) -> Callable[[pa.Array], pa.Array]:
    """An exact.py function of one list of doubles, applied to each list of an Arrow column."""
    def apply(arrays: pa.Array) -> pa.Array:
        return pa.array([function(vs) for vs in arrays.to_pylist()], pa.list_(pa.float64()))
    return apply


def _mapped(method: Callable[[str], str], ascii_kernel: str) -> Callable[[pa.Array], pa.Array]:
    def apply(texts: pa.Array) -> pa.Array:
        if pc.all(pc.string_is_ascii(texts)).as_py() is not False:     # ASCII maps alike, vectorized
            return pc.call_function(ascii_kernel, [texts])
        return pa.array([None if t is None else method(t) for t in texts.to_pylist()], pa.string())
    return apply


def register_duckdb(con) -> None:
    """DUCKDB_FUNCTIONS on a DuckDB connection, for queries compiled with `functions=DUCKDB_FUNCTIONS`.
    They are Python functions: close the connection when done, which lets them go."""
    import duckdb
    double, text = duckdb.sqltype("DOUBLE"), duckdb.sqltype("VARCHAR")
    con.create_function(EXACT_SUM, _exact_sums, [duckdb.list_type(double)], double, type="arrow")
    doubles = duckdb.list_type(double)
    con.create_function(EXACT_PARTIALS, _per_list(exact.partials), [doubles], doubles, type="arrow")
    con.create_function(EXACT_CUME, _per_list(exact.cume_shares), [doubles], doubles, type="arrow")
    con.create_function(FULL_UPPER, _mapped(str.upper, "ascii_upper"), [text], text, type="arrow")
    con.create_function(FULL_LOWER, _mapped(str.lower, "ascii_lower"), [text], text, type="arrow")


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
