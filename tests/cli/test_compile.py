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


def test_population_sums_of_numbers_are_refused_as_warehouse_sql_pointing_to_frozen_stats():
    r = invoke("compile", ROOT / "rulesets" / "ecommerce_rfm.seg", "--target", "sql")
    assert r.exit_code == 1 and "SEG501" in r.output and "adds them exactly" in r.output
    assert "--stats" in r.output


def test_memory_limit(tmp_path):
    out = tmp_path / "o.csv"
    assert invoke("apply", TELCO, "--input", SAMPLE, "-o", out, "--memory-limit", "300MB").exit_code == 0
    r = invoke("apply", TELCO, "--input", SAMPLE, "-o", out, "--memory-limit", "lots")
    assert r.exit_code == 1 and "--memory-limit lots" in r.output
    r = invoke("apply", TELCO, "--input", SAMPLE, "--engine", "python", "--memory-limit", "1GB")
    assert r.exit_code == 2


def test_qualified_table_and_view_names_run_on_duckdb(tmp_path):
    r = invoke("compile", TELCO, "--target", "sql", "--table", 'customer=stg."telco.v1"',
               "--as", "view", "--name", "mart.segments")
    assert r.exit_code == 0, r.output
    con = duckdb.connect()
    typed_sample(con)
    con.execute('CREATE SCHEMA stg; CREATE SCHEMA mart; CREATE TABLE stg."telco.v1" AS SELECT * FROM telco')
    con.execute(r.output)
    assert con.execute("SELECT count(*) FROM mart.segments").fetchone() == con.execute(
        "SELECT count(*) FROM telco").fetchone()
    assert 'FROM "stg"."telco.v1"' in r.output


@pytest.mark.parametrize("value", ["a..b", ".t", "a.b.c.d", '"open', ""])
def test_a_table_name_that_is_no_name_is_a_usage_error(value):
    r = invoke("compile", TELCO, "--target", "sql", "--table", f"customer={value}")
    assert r.exit_code == 2
    assert f"--table customer: `{value}` is not a table name" in r.output


def test_the_sql_says_what_it_was_compiled_from_and_values_cannot_leave_the_comment(tmp_path):
    rules = tmp_path / "r.seg"
    rules.write_text('ruleset r version "2 ${x}"\nparam tag: string = "x"\n'
                     'input customer key id {\n  id: string\n  v: int?\n}\n'
                     'dimension d first {\n  segment hi when v >= 5 and tag != "y"\n  otherwise lo\n}\n',
                     encoding="utf-8")
    r = invoke("compile", rules, "--target", "sql", "--dialect", "spark", "--table", "customer=dw.c",
               "--param", "tag=${env:HOME}\u2028DROP\nSELECT 1;")
    assert r.exit_code == 0, r.output
    header = [line for line in r.output.splitlines() if line.startswith("--")]
    assert header[0].startswith("-- segdsl ") and header[0].endswith('ruleset r version "2 $ {x}"')
    assert header[1] == '-- params: tag = "$ {env:HOME}\\u2028DROP\\nSELECT 1;"'
    assert header[2] == '-- inputs: customer = "dw.c"'
    assert r.output.splitlines()[3].startswith("WITH")
    con = duckdb.connect()
    con.execute("CREATE TABLE c AS SELECT 'a' AS id, 7 AS v")
    sql = invoke("compile", rules, "--target", "sql", "--table", "customer=c").output
    assert con.execute(sql).fetchall() == [("a", "hi")]


RANKED = '''ruleset ranked
input customer key id {
  id: string
  spend: number?
  city: string?
}
let pct = percent_rank(spend by city)
let tile = ntile(spend, 4, desc)
dimension tier first {
  segment top when pct >= 50% and tile = 1
  segment mid when tile <= 3
  otherwise rest
}
'''


def test_compile_with_stats_bakes_frozen_values_and_gives_applys_segments(tmp_path):
    rules = tmp_path / "ranked.seg"
    rules.write_text(RANKED, encoding="utf-8")
    month = tmp_path / "month.csv"
    month.write_text("id,spend,city\na,10,x\nb,20,x\nc,30,y\nd,,y\ne,50,x\nf,5.5,y\n", encoding="utf-8")
    today = tmp_path / "today.csv"
    today.write_text("id,spend,city\ng,25,x\nh,1,y\ni,60,z\nj,,x\n", encoding="utf-8")
    stats, out = tmp_path / "stats.json", tmp_path / "out.csv"
    assert invoke("stats", rules, "--input", f"customer={month}", "-o", stats).exit_code == 0
    r = invoke("compile", rules, "--target", "sql", "--stats", stats, "--table", "customer=today")
    assert r.exit_code == 0, r.output
    assert invoke("apply", rules, "--input", f"customer={today}", "-o", out, "--stats", stats).exit_code == 0
    con = duckdb.connect()
    con.execute(f"CREATE VIEW today AS SELECT * FROM read_csv('{today}', all_varchar=false, "
                f"types={{'spend': 'DOUBLE', 'id': 'VARCHAR', 'city': 'VARCHAR'}})")
    sql_rows = sorted(con.sql(r.output.rstrip().rstrip(";")).fetchall())
    applied = sorted(tuple(line.split(",")) for line in out.read_text(encoding="utf-8").splitlines()[1:])
    assert sql_rows == [(k, v or "") for k, v in applied] or sql_rows == applied


def test_compile_refuses_a_stats_file_frozen_from_other_rules(tmp_path):
    rules = tmp_path / "ranked.seg"
    rules.write_text(RANKED, encoding="utf-8")
    month = tmp_path / "month.csv"
    month.write_text("id,spend,city\na,10,x\nb,20,x\n", encoding="utf-8")
    stats = tmp_path / "stats.json"
    assert invoke("stats", rules, "--input", f"customer={month}", "-o", stats).exit_code == 0
    rules.write_text(RANKED.replace("ntile(spend, 4, desc)", "ntile(spend, 5, desc)"), encoding="utf-8")
    r = invoke("compile", rules, "--target", "sql", "--stats", stats)
    assert r.exit_code == 1 and "frozen from other rules" in r.output and "SELECT" not in r.output
    r = invoke("compile", rules, "--target", "python", "--stats", stats)
    assert r.exit_code == 2
