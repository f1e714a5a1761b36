"""`segdsl compile`: Python source and SQL for dialects, run for real where it can be."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from segdsl.cli import app

ROOT = Path(__file__).resolve().parents[2]
TELCO = ROOT / "rulesets" / "telco_churn.seg"
SAMPLE = ROOT / "segdsl" / "samples" / "telco_customers.csv"
runner = CliRunner()


def invoke(*args):
    r = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in r.output
    return r


def typed_sample(con):
    con.execute(f"CREATE TABLE telco AS SELECT * REPLACE (TRY_CAST(NULLIF(TRIM(TotalCharges), '') AS DOUBLE) "
                f"AS TotalCharges, SeniorCitizen = 1 AS SeniorCitizen) FROM read_csv('{SAMPLE}', all_varchar=false)")


@pytest.mark.parametrize("as_", ["view", "table"])
def test_create_view_or_table_runs_on_duckdb_and_matches_apply(tmp_path, as_):
    r = invoke("compile", TELCO, "--target", "sql", "--dialect", "duckdb", "--table", "customer=telco",
               "--as", as_, "--name", "客户 segments")
    assert r.exit_code == 0, r.output
    con = duckdb.connect()
    typed_sample(con)
    con.execute(r.output)
    got = {row[0]: row[1:] for row in con.execute('SELECT * FROM "客户 segments"').fetchall()}
    out = tmp_path / "o.csv"
    assert invoke("apply", TELCO, "--input", SAMPLE, "-o", out).exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(got) == len(lines) - 1 == 1000
    header = lines[0].split(",")
    for line in lines[1:50]:
        cells = line.split(",")
        row = got[cells[0]]
        for name, cell, value in zip(header[1:], cells[1:], row):
            assert cell == ("|".join(value) if isinstance(value, list) else (value or "")), name


@pytest.mark.parametrize("args, message", [
    (["--as", "table"], "--name: needed to create a table"),
    (["--as", "index", "--name", "x"], "choose select, view or table"),
    (["--dialect", "nosql"], "unknown"),
    (["--table", "orders=x"], "no input `orders`"),
])
def test_compile_usage_errors(args, message):
    r = invoke("compile", TELCO, "--target", "sql", *args)
    assert r.exit_code == 2 and message in r.output


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "spark", "snowflake", "bigquery", "tsql"])
def test_sql_is_generated_for_every_listed_dialect(dialect):
    r = invoke("compile", TELCO, "--target", "sql", "--dialect", dialect)
    assert r.exit_code == 0 and "SELECT" in r.output and "Fiber optic" in r.output


def test_python_target_is_the_generated_evaluator():
    r = invoke("compile", TELCO, "--target", "python")
    assert r.exit_code == 0 and "def evaluate(record, rows, params, stats, pins):" in r.output
    compile(r.output, "<generated>", "exec")


def test_population_rulesets_are_refused_as_warehouse_sql():
    r = invoke("compile", ROOT / "rulesets" / "ecommerce_rfm.seg", "--target", "sql")
    assert r.exit_code == 1 and "population function" in r.output


def test_memory_limit(tmp_path):
    out = tmp_path / "o.csv"
    assert invoke("apply", TELCO, "--input", SAMPLE, "-o", out, "--memory-limit", "300MB").exit_code == 0
    r = invoke("apply", TELCO, "--input", SAMPLE, "-o", out, "--memory-limit", "lots")
    assert r.exit_code == 1 and "--memory-limit lots" in r.output
    r = invoke("apply", TELCO, "--input", SAMPLE, "--engine", "python", "--memory-limit", "1GB")
    assert r.exit_code == 2
