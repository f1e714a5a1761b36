"""The SQL backend's postgres output on a real PostgreSQL server.

The query is compiled in its warehouse form (`prepared=False`): it reads
typed tables whose columns are the data columns (`from "..."` names) and
whose enum cells hold the data values, exactly as an ETL job's own tables
would. Random populations go in, every customer's output row must equal the
row the Python engine's layout builds from the reference interpreter's
segments, labels and attributes included. The server is the throwaway one
from conftest.py.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from segdsl import ir
from segdsl.backends.interp import Interpreter
from segdsl.backends.sql import CONFLICT, to_sql
from segdsl.customers import Customer, UniqueConflict
from segdsl.engines.output import Layout
from segdsl.params import resolve_params
from segdsl.types import Kind
from tests.helpers import ruleset
from tests.property.test_duckdb_matches_interpreter import sql_rulesets
from tests.strategies import customers

ROOT = Path(__file__).resolve().parents[2]

PG_TYPE = {Kind.INT: "BIGINT", Kind.NUMBER: "DOUBLE PRECISION", Kind.BOOL: "BOOLEAN", Kind.STRING: "TEXT",
           Kind.ENUM: "TEXT", Kind.DATE: "DATE", Kind.DATETIME: "TIMESTAMP"}
ROW_NO = "row no"     # keyless customer input: the column holding the data row number

EXAMPLES = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


# ---- loading a population into typed warehouse tables ----------------------------

def data_value(f: ir.FieldSchema, v):
    """A runtime value as the warehouse holds it: enums by their data value."""
    if v is not None and f.type.kind is Kind.ENUM:
        return f.type.enum.member(v).value
    return v


def create_table(cur, table: str, columns: list[tuple[str, str]], rows: list[tuple]) -> None:
    from psycopg import sql
    cur.execute(sql.SQL("CREATE TEMP TABLE {} ({})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in columns)))
    if rows:
        cur.executemany(sql.SQL("INSERT INTO {} VALUES ({})").format(
            sql.Identifier(table), sql.SQL(", ").join(sql.Placeholder() * len(columns))), rows)


def load(cur, rs: ir.Ruleset, population: list[Customer], tables: dict[str, str]) -> None:
    if rs.customer is not None:
        s = rs.customer
        columns = [(f.column, PG_TYPE[f.type.kind]) for f in s.fields]
        rows = [tuple(data_value(f, c.record[f.name]) for f in s.fields) for c in population]
        if s.key is None:
            columns.append((ROW_NO, "BIGINT"))
            rows = [r + (c.row,) for r, c in zip(rows, population)]
        create_table(cur, tables[s.name], columns, rows)
    for r in rs.related:
        columns = [(f.column, PG_TYPE[f.type.kind]) for f in r.fields]
        rows = [tuple(data_value(f, row[f.name]) for f in r.fields)
                for c in population for row in c.rows.get(r.name, [])]
        create_table(cur, tables[r.name], columns, rows)


def texts(population: list[Customer]):
    for c in population:
        yield from (v for v in c.record.values() if isinstance(v, str))
        for rows in c.rows.values():
            for row in rows:
                yield from (v for v in row.values() if isinstance(v, str))


# ---- running and comparing -------------------------------------------------------

def run_postgres(conn, rs: ir.Ruleset, population: list[Customer], params: dict,
                 tables: dict[str, str] | None = None) -> dict:
    names = ([rs.customer.name] if rs.customer else []) + [r.name for r in rs.related]
    tables = tables or {n: f"{n}_rows" for n in names}
    keyless = rs.customer is not None and rs.customer.key is None
    query = to_sql(rs, params, "postgres", tables=tables, labels=True, attributes=True, prepared=False,
                   row_column=ROW_NO if keyless else None)
    with conn.transaction(force_rollback=True), conn.cursor() as cur:
        load(cur, rs, population, tables)
        cur.execute(query)   # no parameters: psycopg sends the text as is (a `%` is just a `%`)
        columns = [d.name for d in cur.description]
        result = [dict(zip(columns, row)) for row in cur.fetchall()]
    key = rs.key
    got = {row[key]: row for row in result}
    assert len(got) == len(result), "one output row per customer"
    return got


def expected_rows(rs: ir.Ruleset, population: list[Customer], params: dict) -> dict:
    """What the Python engine writes for each customer; a conflict marks a bad row."""
    layout = Layout(rs, labels=True, attributes=True, keep=[])
    keyless = rs.customer is not None and rs.customer.key is None
    out = {}
    for c, env in zip(population, Interpreter(rs, params).run(population)):
        key = c.row if keyless else c.key
        values = tuple(env[d.name] for d in rs.dimensions)
        conflicts = [v for v in values if isinstance(v, UniqueConflict)]
        out[key] = conflicts[0] if conflicts else layout.row(key, values)
    return out


def assert_same(rs: ir.Ruleset, got: dict, expected: dict) -> None:
    assert set(got) == set(expected)
    for key, want in expected.items():
        row = got[key]
        if isinstance(want, UniqueConflict):
            reasons = [row[f"{CONFLICT}_{d.name}"] for d in rs.dimensions if d.policy == "unique"]
            assert want.reason() in reasons, (key, reasons)
            continue
        for d in rs.dimensions:
            if d.policy == "unique":
                assert row[f"{CONFLICT}_{d.name}"] is None, key
        have = {c: row[c] for c in want}
        assert have == want, key


def check_random_populations(postgres, rs: ir.Ruleset) -> None:
    params = resolve_params(rs)
    with postgres() as conn:
        @EXAMPLES
        @given(st.data())
        def check(data):
            population = data.draw(customers(rs))
            assume(not any("\x00" in t for t in texts(population)))   # TEXT cannot hold NUL
            assert_same(rs, run_postgres(conn, rs, population, params), expected_rows(rs, population, params))

        check()


# ---- the shipped and design-example rulesets -----------------------------------------

@pytest.mark.parametrize("rs", sql_rulesets())
def test_postgres_equals_interpreter(postgres, rs):
    check_random_populations(postgres, rs)
