"""The language's own sum and case mapping as functions on a DuckDB connection.

DuckDB's SUM adds doubles in row order and its upper/lower map one code point
at a time, so queries compiled for the DuckDB engine (`functions=DUCKDB_FUNCTIONS`)
call these instead: math.fsum, str.upper and str.lower, the other engines'
definitions; and the exact partial sums population values are built from
(runtime/exact.py). Kept apart from population_pass.py, which needs the SQL backend,
so that registering them imports neither it nor sqlglot.
"""
from __future__ import annotations

from typing import Callable

import pyarrow as pa

from ..runtime.function_names import EXACT_CUME, EXACT_PAIR_ARRAYS, EXACT_PARTIALS, EXACT_SUM, FULL_LOWER, FULL_UPPER

DUCKDB_FUNCTIONS = (EXACT_SUM, FULL_UPPER, FULL_LOWER, EXACT_PARTIALS, EXACT_CUME, EXACT_PAIR_ARRAYS)


def exact_sum(values) -> float:
    """The language's sum of numbers (population.fsum) of those not null."""
    from ..runtime.population import fsum
    return fsum([v for v in values if v is not None])


def _exact_sums(arrays: pa.Array) -> pa.Array:
    return pa.array([None if vs is None else exact_sum(vs) for vs in arrays.to_pylist()], pa.float64())


def _arrays(function: Callable) -> Callable[[pa.Array], pa.Array]:
    """An exact_arrays.py function of one numpy array of doubles, applied to each list of an
    Arrow column, the list's nulls left out: no Python float per value."""
    def apply(arrays: pa.Array) -> pa.Array:
        import numpy as np
        import pyarrow.compute as pc

        if isinstance(arrays, pa.ChunkedArray):
            arrays = arrays.combine_chunks()
        offsets = arrays.offsets.to_numpy()
        present = arrays.values.is_valid().to_numpy(zero_copy_only=False)
        doubles = pc.fill_null(arrays.values, 0.0).to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
        return pa.array([None if missing else function(doubles[a:b][present[a:b]])
                         for missing, a, b in zip(arrays.is_null().to_numpy(zero_copy_only=False).tolist(),
                                                  offsets[:-1].tolist(), offsets[1:].tolist())],
                        pa.list_(pa.float64()))
    return apply


def _mapped(method: Callable[[str], str], ascii_kernel: str) -> Callable[[pa.Array], pa.Array]:
    def apply(texts: pa.Array) -> pa.Array:
        import pyarrow.compute as pc
        if pc.all(pc.string_is_ascii(texts)).as_py() is not False:     # ASCII maps alike, vectorized
            return pc.call_function(ascii_kernel, [texts])
        return pa.array([None if t is None else method(t) for t in texts.to_pylist()], pa.string())
    return apply


def register_duckdb(con, names=DUCKDB_FUNCTIONS) -> None:
    """DUCKDB_FUNCTIONS (or those of `names`) on a DuckDB connection, for queries compiled with
    `functions=DUCKDB_FUNCTIONS`. They are Python functions: close the connection when done,
    which lets them go."""
    import duckdb

    from ..runtime import exact_arrays
    double, text = duckdb.sqltype("DOUBLE"), duckdb.sqltype("VARCHAR")
    if EXACT_SUM in names:
        con.create_function(EXACT_SUM, _exact_sums, [duckdb.list_type(double)], double, type="arrow")
    doubles = duckdb.list_type(double)
    if EXACT_PARTIALS in names:
        con.create_function(EXACT_PARTIALS, _arrays(exact_arrays.partials), [doubles], doubles, type="arrow")
    if EXACT_PAIR_ARRAYS in names:
        con.create_function(EXACT_PAIR_ARRAYS, _arrays(exact_arrays.pair_partials), [doubles], doubles, type="arrow")
    if EXACT_CUME in names:
        con.create_function(EXACT_CUME, _arrays(exact_arrays.cume_shares), [doubles], doubles, type="arrow")
    if FULL_UPPER in names:
        con.create_function(FULL_UPPER, _mapped(str.upper, "ascii_upper"), [text], text, type="arrow")
    if FULL_LOWER in names:
        con.create_function(FULL_LOWER, _mapped(str.lower, "ascii_lower"), [text], text, type="arrow")


def called_in(sql: str) -> tuple[str, ...]:
    """The functions of DUCKDB_FUNCTIONS a query's text calls (their names are private: a
    quoted rule name that happens to hold one only costs a needless registration)."""
    folded = sql.casefold()         # the dialect may write a function's name in capitals
    return tuple(name for name in DUCKDB_FUNCTIONS if name.casefold() in folded)
