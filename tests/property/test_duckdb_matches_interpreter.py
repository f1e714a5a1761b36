"""The SQL backend on a real DuckDB against the reference interpreter, on
random populations for every example and shipped ruleset the SQL backend
can express (population statistics come later)."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segdsl.backends.interp import Interpreter
from segdsl.backends.sql import ROW, conflict_column, to_sql
from segdsl.customers import UniqueConflict
from segdsl.engines.duckdb import arrow_schema
from segdsl.frontend import check_file
from segdsl.params import resolve_params
from tests.strategies import customers

ROOT = Path(__file__).resolve().parents[2]
FILES = [p for p in sorted((ROOT.parent / "shared" / "design" / "examples").glob("*.seg"))
         + sorted((ROOT / "rulesets").glob("*.seg"))]


def sql_rulesets():
    out = []
    for p in FILES:
        r = check_file(p)
        if r.ok and not r.ruleset.population:
            out.append(pytest.param(r.ruleset, id=p.name))
    return out


def run_duckdb(rs, population, params):
    con = duckdb.connect()
    tables = {}
    if rs.customer is not None:
        keyed = bool(rs.customer.key)
        cols = {f.name: [c.record[f.name] for c in population] for f in rs.customer.fields}
        if not keyed:
            cols[ROW] = [c.row for c in population]
        con.register("customer_rows", pa.Table.from_pydict(cols, schema=arrow_schema(rs.customer, not keyed, [])))
        tables[rs.customer.name] = "customer_rows"
    for r in rs.related:
        rows = [row for c in population for row in c.rows.get(r.name, [])]
        cols = {f.name: [row[f.name] for row in rows] for f in r.fields}
        con.register(f"{r.name}_rows", pa.Table.from_pydict(cols, schema=arrow_schema(r, False, [])))
        tables[r.name] = f"{r.name}_rows"
    sql = to_sql(rs, params, "duckdb", tables=tables, prepared=True)
    result = con.sql(sql).to_arrow_table().to_pylist()
    return {row[rs.key]: row for row in result}


@pytest.mark.parametrize("rs", sql_rulesets())
def test_duckdb_equals_interpreter(rs):
    params = resolve_params(rs)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def check(data):
        population = data.draw(customers(rs))
        envs = Interpreter(rs, params).run(population)
        got = run_duckdb(rs, population, params)
        for c, env in zip(population, envs):
            key = c.key if rs.customer is None or rs.customer.key else c.row
            row = got[key]
            for d in rs.dimensions:
                expected = env[d.name]
                if isinstance(expected, UniqueConflict):
                    assert row[conflict_column(rs, d)] is not None
                    continue
                value = row[d.name]
                assert (tuple(value) if d.policy == "all" else value) == expected, (d.name, c)

    check()
