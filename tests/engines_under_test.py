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

Engines:
  interp      the reference interpreter (the oracle)
  python      the generated Python code
  duckdb      the compiled SQL on in-memory DuckDB over prepared tables
              (field names, enum member names), as `apply --engine duckdb`
              feeds it
  duckdb_sql  the compiled SQL on in-memory DuckDB over tables in the data's
              own shape (`from "..."` column names, enum data values), as a
              warehouse runs the output of `segdsl compile --target sql`
"""
from __future__ import annotations

from typing import Any, Callable

import duckdb as _duckdb
import pyarrow as pa

from segdsl import ir
from segdsl.backends.interp import Interpreter
from segdsl.backends.python import evaluate_with_generated
from segdsl.backends.sql import CONFLICT as _CONFLICT_COLUMN
from segdsl.backends.sql import ROW, to_sql
from segdsl.customers import Customer, UniqueConflict
from segdsl.engines.duckdb import arrow_schema
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


# ---- SQL on DuckDB ---------------------------------------------------------------

def _prepared_tables(rs: ir.Ruleset, population: list[Customer]) -> dict[str, pa.Table]:
    """Validated records by field name, enum member names: what the engines feed the SQL."""
    tables = {}
    if rs.customer is not None:
        keyed = bool(rs.customer.key)
        cols = {f.name: [c.record[f.name] for c in population] for f in rs.customer.fields}
        if not keyed:
            cols[ROW] = [c.row for c in population]
        tables[rs.customer.name] = pa.Table.from_pydict(cols, schema=arrow_schema(rs.customer, not keyed, []))
    for r in rs.related:
        rows = [row for c in population for row in c.rows.get(r.name, [])]
        cols = {f.name: [row[f.name] for row in rows] for f in r.fields}
        tables[r.name] = pa.Table.from_pydict(cols, schema=arrow_schema(r, False, []))
    return tables


_ARROW = {Kind.INT: pa.int64(), Kind.NUMBER: pa.float64(), Kind.BOOL: pa.bool_(), Kind.STRING: pa.string(),
          Kind.ENUM: pa.string(), Kind.DATE: pa.date32(), Kind.DATETIME: pa.timestamp("us")}


def _data_value(f: ir.FieldSchema, v):
    if v is None or f.type.kind is not Kind.ENUM:
        return v
    return f.type.enum.member(v).value


def _data_table(schema: ir.InputSchema, records: list[dict]) -> pa.Table:
    """Records in the data's own shape: column names from `from "..."`, enum data values."""
    fields = [pa.field(f.column, _ARROW[f.type.kind]) for f in schema.fields]
    cols = {f.column: [_data_value(f, r[f.name]) for r in records] for f in schema.fields}
    return pa.Table.from_pydict(cols, schema=pa.schema(fields))


_DATA_ROW = "__segdsl_test_row"


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


def _expected_extras(rs: ir.Ruleset, values: dict) -> dict:
    """The label and attribute columns the SQL must give for these segments (from the IR)."""
    from segdsl.engines.output import attribute_keys
    out = {}
    for d in rs.dimensions:
        v = values[d.name]
        segs = [d.segment(n) for n in v] if d.policy == "all" else [d.segment(v)] if v is not None else []
        labels = [s.label if s.label is not None else s.name for s in segs]
        out[f"{d.name}_label"] = tuple(labels) if d.policy == "all" else (labels[0] if labels else None)
        for k in attribute_keys(d):
            attrs = [dict(s.attributes).get(k) for s in segs]
            if d.policy == "all":
                out[f"{d.name}_{k}"] = tuple(None if a is None else str(a) for a in attrs if a is not None)
            else:
                out[f"{d.name}_{k}"] = attrs[0] if attrs else None
    return out


_CON: list = []


def _connection():
    """One in-memory DuckDB per process: connecting costs more than a small query."""
    if not _CON:
        _CON.append(_duckdb.connect())
    return _CON[0]


def _run_sql(rs: ir.Ruleset, params: dict, tables: dict[str, pa.Table], prepared: bool) -> Result:
    keyless = rs.customer is not None and not rs.customer.key
    row_column = _DATA_ROW if keyless and not prepared else None
    sql = to_sql(rs, params, "duckdb", tables={n: f"t_{i}" for i, n in enumerate(tables)}, labels=True,
                 attributes=True, prepared=prepared, row_column=row_column, pretty=False)
    con = _connection()
    for i, table in enumerate(tables.values()):
        con.register(f"t_{i}", table)
    try:
        result = con.sql(sql).to_arrow_table().to_pylist()
    finally:
        for i in range(len(tables)):
            con.unregister(f"t_{i}")
    out = {}
    for row in result:
        values = dict(row)
        for d in rs.dimensions:
            if d.policy == "unique" and row[f"{_CONFLICT_COLUMN}_{d.name}"] is not None:
                values[d.name] = CONFLICT
        norm = _normalise(rs, values)
        if CONFLICT not in norm.values():
            expected = _expected_extras(rs, norm)
            got = {k: tuple(row[k]) if isinstance(row[k], list) else row[k] for k in expected}
            assert got == expected, ("labels/attributes differ from the rule file", got, expected)
        out[row[rs.key]] = norm
    return out


def duckdb(rs: ir.Ruleset, population: list[Customer], params: dict) -> Result:
    return _run_sql(rs, params, _prepared_tables(rs, population), prepared=True)


def duckdb_sql(rs: ir.Ruleset, population: list[Customer], params: dict) -> Result:
    return _run_sql(rs, params, _data_tables(rs, population), prepared=False)


ENGINES: dict[str, Runner] = {
    "interp": interp,
    "python": python,
    "duckdb": duckdb,
    "duckdb_sql": duckdb_sql,
}
