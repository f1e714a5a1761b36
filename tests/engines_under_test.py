"""Every engine the differential suites compare, behind one signature.

A runner takes (ruleset, customers, params) and returns
{customer key: {dimension: value}} with values normalised so that engines
can be compared with `==`: an `all` dimension is a tuple of segment names, a
customer matching two segments of a `unique` dimension has the string
CONFLICT there. Such a customer is bad input in every engine and never
reaches the output, so the other dimensions of a conflicting customer are
left out of the comparison (they may read the conflicting dimension, whose
value no engine defines). The key is the customer key, or the 1-based row
number for a keyless input.

An engine that cannot express a ruleset raises
segdsl.backends.sql.NotSupported; callers decide whether that is allowed.

The list is the engine registry's (segdsl/engines/registry.py) plus the
test-only runners below: every registered engine joins the conformance and
property suites by being registered. DuckDB, Python, Spark and polars have runners
of their own here, which feed their queries or code in-memory tables (fast,
and they see every `unique` conflict); any other registered engine runs
through the engine contract alone (`through_contract`).

Engines:
  interp      the reference interpreter (the oracle)
  python      the generated Python code
  vector      the vector form (backends/vector.py) of a clean batch, as the Python engine
              runs it: Arrow compute over the batch's typed columns, the generated code
              for a batch it calls Inexact or a ruleset it has no form for
  duckdb      the compiled SQL on in-memory DuckDB over prepared tables
              (field names, enum member names), as `apply --engine duckdb`
              feeds it
  duckdb_sql  the compiled SQL on in-memory DuckDB over tables in the data's
              own shape (`from "..."` column names, enum data values), as a
              warehouse runs the output of `segdsl compile --target sql`
  spark       the compiled Spark SQL on the Spark engine's local session over
              prepared views
  polars      the polars backend's query over prepared frames, as
              `apply --engine polars` feeds it
  postgres    the compiled postgres SQL in its warehouse form on a real
              PostgreSQL server (needs use_postgres(connect) first)

  <other>     a registered engine, through Engine.run_tables

Population values are computed inside each query (backends/population_sql.py):
the DuckDB and Spark runners with the engines' registered exact sums, the
warehouse forms (duckdb_sql, postgres) without them, so there a statistic that
adds numbers (`sum`, `mean`, `cume_share` of a number) says NotSupported.
"""
from __future__ import annotations

import atexit
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb as _duckdb
import pyarrow as pa

from segdsl import ir
from segdsl.backends.interp import Interpreter
from segdsl.backends.python import evaluate_with_generated
from segdsl.backends.sql import ORDER, ROW, conflict_column, to_sql
from segdsl.runtime.customers import Customer, UniqueConflict
from segdsl.engines import population_pass, registry
from segdsl.engines.arrow import arrow_schema
from segdsl.engines.options import ApplyOptions
from segdsl.engines.output import Layout
from segdsl.passes import build_plan
from segdsl.types import Kind

CONFLICT = "CONFLICT"

Result = dict[Any, dict[str, Any]]
Runner = Callable[[ir.Ruleset, list[Customer], dict], Result]


def customer_key(rs: ir.Ruleset, c: Customer):
    """The output key of a customer: its key, or its row number without one."""
    if rs.customer is not None and not rs.customer.key:
        return c.row
    return c.key


def _normalise(rs: ir.Ruleset, values: dict) -> dict:
    out = {}
    for d in rs.dimensions:
        v = values[d.name]
        if isinstance(v, UniqueConflict) or v == CONFLICT:
            out[d.name] = CONFLICT
        elif d.policy == "all":
            out[d.name] = tuple(v or ())
        else:
            out[d.name] = v
    if CONFLICT in out.values():
        return {n: v for n, v in out.items() if v == CONFLICT}
    return out


def interp(rs: ir.Ruleset, population: list[Customer], params: dict) -> Result:
    envs = Interpreter(rs, params).run(population)
    return {customer_key(rs, c): _normalise(rs, env) for c, env in zip(population, envs)}


def python(rs: ir.Ruleset, population: list[Customer], params: dict) -> Result:
    got = evaluate_with_generated(rs, population, params, {})
    return {customer_key(rs, c): _normalise(rs, g) for c, g in zip(population, got)}


# how each run of the vector runner went: "exact", "inexact" (a batch the generated code
# segments) or "no form" (a ruleset it has none for); the property suites count them
VECTOR_OUTCOMES: list[str] = []


def vector(rs: ir.Ruleset, population: list[Customer], params: dict) -> Result:
    from segdsl.backends.vector import Inexact, compile_vector
    from tests.helpers import arrow_columns
    program = compile_vector(build_plan(rs))
    outcome = "no form"
    if program is not None:
        columns = arrow_columns(rs, [c.record for c in population], program.fields)
        try:
            got = program.evaluate(columns, len(population), params)
        except Inexact:
            outcome = "inexact"
        else:
            VECTOR_OUTCOMES.append("exact")
            names = [d.name for d in rs.dimensions]
            rows = zip(*got) if got else [()] * len(population)
            return {customer_key(rs, c): _normalise(rs, dict(zip(names, values))) for c, values in zip(population, rows)}
    VECTOR_OUTCOMES.append(outcome)
    return python(rs, population, params)


# ---- SQL on DuckDB ---------------------------------------------------------------

def _prepared_tables(rs: ir.Ruleset, population: list[Customer]) -> dict[str, pa.Table]:
    """Validated records by field name, enum member names and input order: what the engines feed the SQL."""
    tables = {}
    if rs.customer is not None:
        keyed = bool(rs.customer.key)
        cols = {f.name: [c.record[f.name] for c in population] for f in rs.customer.fields}
        cols[ORDER] = list(range(len(population)))
        if not keyed:
            cols[ROW] = [c.row for c in population]
        tables[rs.customer.name] = pa.Table.from_pydict(
            cols, schema=arrow_schema(rs.customer, not keyed, [], ordered=True))
    for r in rs.related:
        rows = [row for c in population for row in c.rows.get(r.name, [])]
        cols = {f.name: [row[f.name] for row in rows] for f in r.fields}
        cols[ORDER] = list(range(len(rows)))
        tables[r.name] = pa.Table.from_pydict(cols, schema=arrow_schema(r, False, [], ordered=True))
    return tables


_ARROW = {Kind.INT: pa.int64(), Kind.NUMBER: pa.float64(), Kind.BOOL: pa.bool_(), Kind.STRING: pa.string(),
          Kind.ENUM: pa.string(), Kind.DATE: pa.date32(), Kind.DATETIME: pa.timestamp("us")}
_DATA_ROW = "__segdsl_test_row"


def _data_value(f: ir.FieldSchema, v):
    if v is None or f.type.kind is not Kind.ENUM:
        return v
    return f.type.enum.member(v).value


def _data_table(schema: ir.InputSchema, records: list[dict]) -> pa.Table:
    """Records in the data's own shape: column names from `from "..."`, enum data values."""
    fields = [pa.field(f.column, _ARROW[f.type.kind]) for f in schema.fields]
    cols = {f.column: [_data_value(f, r[f.name]) for r in records] for f in schema.fields}
    return pa.Table.from_pydict(cols, schema=pa.schema(fields))


def _data_tables(rs: ir.Ruleset, population: list[Customer]) -> dict[str, pa.Table]:
    tables = {}
    if rs.customer is not None:
        t = _data_table(rs.customer, [c.record for c in population])
        if not rs.customer.key:
            t = t.append_column(pa.field(_DATA_ROW, pa.int64()), pa.array([c.row for c in population], pa.int64()))
        tables[rs.customer.name] = t
    for r in rs.related:
        tables[r.name] = _data_table(r, [row for c in population for row in c.rows.get(r.name, [])])
    return tables


def sql_result(rs: ir.Ruleset, rows: list[dict]) -> Result:
    """Output rows of the compiled SQL (with labels and attributes) → normalised segments.

    Labels and attribute columns must be what the engines' shared layout
    writes for the same segments (engines/output.py), so hostile labels and
    attribute values are checked on the way."""
    layout = Layout(rs, labels=True, attributes=True, keep=[])
    out = {}
    for row in rows:
        values = dict(row)
        for d in rs.dimensions:
            if d.policy == "unique" and row[conflict_column(rs, d)] is not None:
                values[d.name] = CONFLICT
        norm = _normalise(rs, values)
        key = row[rs.key]
        if CONFLICT not in norm.values():
            want = layout.row(key, tuple(norm[d.name] for d in rs.dimensions))
            got = {c: row[c] for c in want}
            assert got == want, ("label or attribute columns differ from the shared layout", got, want)
        assert key not in out, f"two output rows for customer {key!r}"
        out[key] = norm
    return out


_CON: list = []


def _connection():
    """One in-memory DuckDB per process: connecting costs more than a small query."""
    if not _CON:
        con = _duckdb.connect()
        population_pass.register_duckdb(con)      # the engine's exact sum and full case mapping
        atexit.register(con.close)                # a connection holding Python functions must be closed
        _CON.append(con)
    return _CON[0]


def _run_duckdb(rs: ir.Ruleset, params: dict, tables: dict[str, pa.Table], prepared: bool) -> Result:
    names = {n: f"t_{i}" for i, n in enumerate(tables)}
    con = _connection()
    registered = list(names.values())
    for n, table in tables.items():
        con.register(names[n], table)
    try:
        keyless = rs.customer is not None and not rs.customer.key
        sql = to_sql(rs, params, "duckdb", tables=names, labels=True, attributes=True, prepared=prepared,
                     row_column=_DATA_ROW if keyless and not prepared else None, pretty=False,
                     ordered=prepared, functions=population_pass.DUCKDB_FUNCTIONS if prepared else ())
        rows = con.sql(sql).to_arrow_table().to_pylist()
    finally:
        for n in registered:
            con.unregister(n)
    return sql_result(rs, rows)


def duckdb(rs: ir.Ruleset, population: list[Customer], params: dict) -> Result:
    return _run_duckdb(rs, params, _prepared_tables(rs, population), prepared=True)


def duckdb_sql(rs: ir.Ruleset, population: list[Customer], params: dict) -> Result:
    return _run_duckdb(rs, params, _data_tables(rs, population), prepared=False)


# ---- Spark (local mode) ------------------------------------------------------------

def spark(rs: ir.Ruleset, population: list[Customer], params: dict) -> Result:
    """The Spark engine's query on its own process-wide session, over prepared views."""
    from segdsl.engines import spark_session as engine
    session = engine.session()
    tables = _prepared_tables(rs, population)
    names = {n: f"t_{i}" for i, n in enumerate(tables)}
    views = list(names.values())

    def register(name: str, table: pa.Table) -> None:
        engine.register(session, name, table)
        views.append(name)
    try:
        for n, table in tables.items():
            engine.register(session, names[n], table)
        sql = to_sql(rs, params, "spark", tables=names, labels=True, attributes=True, prepared=True,
                     pretty=False, ordered=True, functions=engine.SPARK_FUNCTIONS)
        rows = engine.run_query(session, sql).to_pylist()
    finally:
        engine.drop_views(session, views)
    return sql_result(rs, rows)


# ---- polars ---------------------------------------------------------------------------

def polars(rs: ir.Ruleset, population: list[Customer], params: dict) -> Result:
    """The polars backend's query over the prepared tables the polars engine builds, as
    `apply --engine polars` runs it on validated rows."""
    import polars as pl
    from segdsl.backends.polars import Options, build_query
    frames = {n: pl.from_arrow(t).lazy() for n, t in _prepared_tables(rs, population).items()}
    query = build_query(build_plan(rs), params, frames, Options(labels=True, attributes=True))
    return sql_result(rs, query.collect().drop(ORDER).to_arrow().to_pylist())


# ---- PostgreSQL (the warehouse form) -------------------------------------------------

_PG_TYPE = {Kind.INT: "BIGINT", Kind.NUMBER: "DOUBLE PRECISION", Kind.BOOL: "BOOLEAN", Kind.STRING: "TEXT",
            Kind.ENUM: "TEXT", Kind.DATE: "DATE", Kind.DATETIME: "TIMESTAMP"}
_PG: dict = {}


def use_postgres(connect: Callable) -> None:
    """The connection factory of a running server (tests/backends/conftest.py's `postgres` fixture)."""
    if _PG.get("connect") is not connect:
        if _PG.get("conn") is not None:
            _PG["conn"].close()
        _PG.update(connect=connect, conn=connect())


def postgres(rs: ir.Ruleset, population: list[Customer], params: dict) -> Result:
    """The compiled postgres SQL over typed tables in the data's own shape, rolled back after."""
    from psycopg import sql as pg
    if _PG.get("conn") is None:
        raise RuntimeError("no PostgreSQL server: call use_postgres(connect) first")
    tables = _data_tables(rs, population)
    names = {n: f"t_{i}" for i, n in enumerate(tables)}
    keyless = rs.customer is not None and not rs.customer.key
    query = to_sql(rs, params, "postgres", tables=names, labels=True, attributes=True, prepared=False,
                   row_column=_DATA_ROW if keyless else None, pretty=False)
    schemas = {s.name: s for s in ([rs.customer] if rs.customer else []) + list(rs.related)}
    conn = _PG["conn"]
    with conn.transaction(force_rollback=True), conn.cursor() as cur:
        for n, table in tables.items():
            types = {f.column: _PG_TYPE[f.type.kind] for f in schemas[n].fields} | {_DATA_ROW: "BIGINT"}
            cur.execute(pg.SQL("CREATE TEMP TABLE {} ({})").format(pg.Identifier(names[n]), pg.SQL(", ").join(
                pg.SQL("{} {}").format(pg.Identifier(c), pg.SQL(types[c])) for c in table.column_names)))
            with cur.copy(pg.SQL("COPY {} FROM STDIN").format(pg.Identifier(names[n]))) as copy:
                for row in table.to_pylist():
                    copy.write_row(tuple(row.values()))
        cur.execute(query)
        columns = [d.name for d in cur.description]
        rows = [dict(zip(columns, r)) for r in cur.fetchall()]
    return sql_result(rs, rows)


# ---- any registered engine, through its contract ------------------------------------

_UNIQUE_CONFLICT = re.compile(r"in `unique` dimension `(?P<dimension>.+)` \(at most one may match\)$")


def _contract_tables(rs: ir.Ruleset, population: list[Customer]) -> dict[str, pa.Table]:
    """The population as an analyst's tables: data column names, enum data values, input order."""
    tables = {}
    if rs.customer is not None:
        tables[rs.customer.name] = _data_table(rs.customer, [c.record for c in population])
    for r in rs.related:
        tables[r.name] = _data_table(r, [row for c in population for row in c.rows.get(r.name, [])])
    return tables


def through_contract(name: str) -> Runner:
    """A runner for registered engine `name` that uses nothing but Engine.run_tables.

    Through the contract a customer with a `unique` conflict is a bad row: it is
    quarantined with the first conflicting dimension (in declaration order) as its
    reason, and so reported here (see `first_conflict_only`)."""
    def run(rs: ir.Ruleset, population: list[Customer], params: dict) -> Result:
        engine = registry.get(name)
        with tempfile.TemporaryDirectory(prefix="segdsl-contract-") as tmp:
            rejected_file = Path(tmp) / "rejected.parquet"
            options = ApplyOptions(inputs={}, params=params, on_error="quarantine", quarantine=rejected_file,
                                   labels=True, attributes=True)
            table, _ = engine.run_tables(build_plan(rs), _contract_tables(rs, population), options)
            import pyarrow.parquet as pq
            rejected = pq.read_table(rejected_file).to_pylist() if rejected_file.exists() else []
        layout = Layout(rs, labels=True, attributes=True, keep=[])
        out: Result = {}
        for row in table.to_pylist():
            norm = _normalise(rs, row)
            want = layout.row(row[rs.key], tuple(norm[d.name] for d in rs.dimensions))
            assert {c: row[c] for c in want} == want, ("columns differ from the shared layout", row, want)
            out[row[rs.key]] = norm
        for bad in rejected:
            found = _UNIQUE_CONFLICT.search(bad["_reason"])
            assert found, f"{name} rejected a row of good data: {bad}"
            out[_rejected_key(rs, population, bad)] = {found["dimension"]: CONFLICT}
        return out
    return run


def polars_lazy(rs: ir.Ruleset, population: list[Customer], params: dict) -> Result:
    """The analyst's tables as polars LazyFrames, segmented lazily (engines/polars_lazy.py):
    the result and the rejected rows collected and reported as `through_contract` reports
    them (a conflict: its first conflicting dimension)."""
    import polars as pl
    from segdsl.service import app as service
    frames = {n: pl.from_arrow(t).lazy() for n, t in _contract_tables(rs, population).items()}
    options = ApplyOptions(inputs={}, params=params, on_error="quarantine", labels=True, attributes=True)
    result, rejected = service.apply_frames(rs, frames, options, {n: n for n in frames}, "polars")
    layout = Layout(rs, labels=True, attributes=True, keep=[])
    out: Result = {}
    for row in result.collect().to_arrow().to_pylist():
        norm = _normalise(rs, row)
        want = layout.row(row[rs.key], tuple(norm[d.name] for d in rs.dimensions))
        assert {c: row[c] for c in want} == want, ("columns differ from the shared layout", row, want)
        out[row[rs.key]] = norm
    for bad in rejected.collect().to_dicts():
        found = _UNIQUE_CONFLICT.search(bad["_reason"])
        assert found, f"polars_lazy rejected a row of good data: {bad}"
        out[_rejected_key(rs, population, bad)] = {found["dimension"]: CONFLICT}
    return out


def _rejected_key(rs: ir.Ruleset, population: list[Customer], bad: dict):
    if rs.customer is not None:
        return customer_key(rs, population[bad["_row"] - 1])
    column = next(f.column for f in rs.related[0].fields if f.name == rs.related[0].key)
    return next(c.key for c in population if str(c.key) == bad[column])


def first_conflict_only(rs: ir.Ruleset, expected: dict) -> dict:
    """Expected segments as an engine reports them through its contract: a conflicting
    customer is one bad row, named by its first conflicting dimension in declaration order."""
    out = {}
    for key, dims in expected.items():
        if CONFLICT in dims.values():
            first = next(d.name for d in rs.dimensions if dims.get(d.name) == CONFLICT)
            dims = {first: CONFLICT}
        out[key] = dims
    return out


_TEST_ONLY: dict[str, Runner] = {"interp": interp, "duckdb_sql": duckdb_sql, "postgres": postgres, "vector": vector}
_OWN_RUNNERS: dict[str, Runner] = {"python": python, "duckdb": duckdb, "spark": spark, "polars": polars}


class _Engines(Mapping):
    """Runner by name: the test-only runners, then every engine the registry has now
    (read at each use, so an engine registered by a test is in)."""

    def _names(self) -> list[str]:
        return ["interp", *registry.names(), *(n for n in _TEST_ONLY if n != "interp")]

    def __getitem__(self, name: str) -> Runner:
        if name in _TEST_ONLY:
            return _TEST_ONLY[name]
        if name not in registry.names():
            raise KeyError(name)
        return _OWN_RUNNERS.get(name) or through_contract(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


def through_contract_only(name: str) -> bool:
    """Whether `name` runs through Engine.run_tables here (and so reports first conflicts only)."""
    return name not in _TEST_ONLY and name not in _OWN_RUNNERS


ENGINES: Mapping[str, Runner] = _Engines()
