"""Names that differ only in case: DuckDB matches quoted names without regard to case, so a
query naming both `Spend` and `spend` would read one for the other. Engines that tell them
apart run such rules; DuckDB and its compiled SQL refuse them at the later name (SEG501)."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from segdsl.cli import app

runner = CliRunner()

CLASHES = {
    "two fields": ("input c key id { id: string  Spend: number  spend: number }\n"
                   "dimension d first { segment big when Spend > spend otherwise small }\n", "2:45"),
    "a field and a let": ("input c key id { id: string  spend: number }\n"
                          "let Spend = spend * 2\n"
                          "dimension d first { segment big when Spend > 3 otherwise small }\n", "3:5"),
    "a let and a dimension": ("input c key id { id: string  spend: number }\n"
                              "let Tier = spend * 2\n"
                              "dimension tier first { segment big when Tier > 3 otherwise small }\n", "4:11"),
}
DATA = "id,Spend,spend\na,10,1\nb,1,10\n"


@pytest.fixture(params=sorted(CLASHES))
def clash(request, tmp_path):
    text, where = CLASHES[request.param]
    rules = tmp_path / "r.seg"
    rules.write_text("ruleset r\n" + text, encoding="utf-8")
    data = tmp_path / "in.csv"
    data.write_text(DATA, encoding="utf-8")
    return rules, data, where


def test_duckdb_refuses_names_it_cannot_tell_apart_at_the_later_name(clash, tmp_path):
    rules, data, where = clash
    out = tmp_path / "out.csv"
    r = runner.invoke(app, ["apply", str(rules), "--input", f"c={data}", "--engine", "duckdb", "-o", str(out)])
    assert r.exit_code == 1 and "SEG501" in r.output and f"{rules}:{where}" in r.output
    assert "Traceback" not in r.output and not out.exists()
    compiled = runner.invoke(app, ["compile", str(rules), "--target", "sql", "--dialect", "duckdb"])
    assert compiled.exit_code == 1 and "SEG501" in compiled.output


@pytest.mark.parametrize("dialect", ["bigquery", "mysql", "sqlite", "tsql"])
def test_compiled_sql_for_other_case_blind_dialects_refuses_them_too(clash, dialect):
    """BigQuery, MySQL and SQLite match column names without regard to case, and so does SQL
    Server under its default collation: SEG501 at the later name, nothing printed as SQL."""
    rules, _, where = clash
    r = runner.invoke(app, ["compile", str(rules), "--target", "sql", "--dialect", dialect])
    assert r.exit_code == 1 and "SEG501" in r.output and f"{rules}:{where}" in r.output
    assert "SELECT" not in r.output and f"{dialect} does not tell names apart by case" in r.output


def test_the_python_engine_and_case_sensitive_sql_run_them(clash, tmp_path):
    rules, data, _ = clash
    out = tmp_path / "out.csv"
    r = runner.invoke(app, ["apply", str(rules), "--input", f"c={data}", "--engine", "python", "-o", str(out)])
    assert r.exit_code == 0, r.output
    for dialect in ("postgres", "snowflake", "spark"):
        assert runner.invoke(app, ["compile", str(rules), "--target", "sql", "--dialect", dialect]).exit_code == 0
