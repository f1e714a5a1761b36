"""`compile --target sql --reasons`: the `_reason` column says, in the warehouse, why the
engines would call a customer row bad (the shared validator's words), and is NULL for the
rows they take; executed on DuckDB and PostgreSQL against the engines' own quarantine."""
from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from segdsl import api
from segdsl.cli import app

RULES = """ruleset shop
input customer key id {
  id:     string from "客户编号"
  visits: int in 0..100
  tier:   enum { gold = "Gold", silver = "Silver" }?
  city:   string
  pdays:  int? missing 999 in 0..998
  age:    int? in 18..120 = 30
}
dimension value first {
  segment vip when tier = gold and visits > 10
  otherwise rest
}
"""

ROWS = {
    "客户编号": ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", None, "a9", "a9"],
    "visits": [5, 101, 3, None, 7, 2, 9, 1, 4, 1, 2],
    "tier": ["Gold", "Silver", " gold", "Bronze", None, "Gold", " Silver", None, "Gold", None, None],
    "city": ["x", "y", "z", "w", "", "v", "u", "t", "s", "r", "q"],
    "pdays": [999, 5, 1000, None, 3, 999, 2, 1, 1, 1, 1],
    "age": [40, None, 17, 30, 30, 121, 50, 60, 70, 20, 21],
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reasons")
    rules = folder / "shop.seg"
    rules.write_text(RULES, encoding="utf-8")
    data = folder / "customers.parquet"
    pq.write_table(pa.table(ROWS), data)
    quarantine = folder / "rejected.parquet"
    api.load(rules).apply(data, output=folder / "out.parquet", on_error="quarantine", quarantine=quarantine)
    engines = {r["客户编号"]: r["_reason"] for r in pq.read_table(quarantine).to_pylist()}

    def sql(dialect: str) -> str:
        r = CliRunner().invoke(app, ["compile", str(rules), "--target", "sql", "--dialect", dialect,
                                     "--table", "customer=customers", "--reasons"])
        assert r.exit_code == 0, r.output
        return r.stdout
    return sql, engines


def check(rows: list[tuple], engines: dict) -> None:
    engines = dict(engines)
    reasons = {}
    for key, reason in rows:
        reasons.setdefault(key, []).append(reason)
    assert reasons.pop("a9") == ["key id = 'a9' appears more than once"] * 2
    # a7's " Silver" the engines read as Silver; the compiled SQL reads data values exactly
    assert reasons.pop("a7") == ["tier = ' Silver' is not one of Gold, Silver (values are case-sensitive: Silver?)"]
    assert "a7" not in engines
    assert {k: r for k, (r,) in reasons.items()} == {k: engines.get(k) for k in reasons}, reasons
    assert {k for k, (r,) in reasons.items() if r is None} == {"a1", "a8"}


def test_duckdb_rows_have_the_engines_reasons(compiled):
    sql, engines = compiled
    con = duckdb.connect()
    con.register("customers", pa.table(ROWS))
    check(con.execute(f'SELECT id, "_reason" FROM ({sql("duckdb").rstrip().rstrip(";")})').fetchall(), engines)


def test_postgres_rows_have_the_engines_reasons(compiled, postgres):
    sql, engines = compiled
    with postgres() as conn, conn.cursor() as cur:
        cur.execute('CREATE TEMP TABLE customers ("客户编号" text, visits bigint, tier text, city text, '
                    'pdays bigint, age bigint)')
        cur.executemany("INSERT INTO customers VALUES (%s, %s, %s, %s, %s, %s)",
                        list(zip(*ROWS.values())))
        cur.execute(f'SELECT id, "_reason" FROM ({sql("postgres").rstrip().rstrip(";")}) AS q')
        check(cur.fetchall(), engines)


def test_reasons_are_for_sql_only(tmp_path):
    rules = tmp_path / "shop.seg"
    rules.write_text(RULES, encoding="utf-8")
    r = CliRunner().invoke(app, ["compile", str(rules), "--reasons"])
    assert r.exit_code == 2 and "--reasons: a reason column is for --target sql" in r.output
