"""`${...}` in rule-file text stays text in the SQL compiled for Spark, Databricks and Hive.

Those dialects' sessions replace `${...}` anywhere in a statement's text
(variables, `${env:HOME}`, `${system:user.home}`) before parsing it, on by
default (`spark.sql.variable.substitute`). The compiled SQL is run here on a
Spark session with substitution on, where a variable is set to a marker: a
label, an attribute and a condition's text come back exactly as written. A
data column or table name holding `${` cannot be split, so it is SEG501,
never SQL that means something else.
"""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from segdsl.backends.dialects import render
from segdsl.cli import app

runner = CliRunner()

HIVE_FAMILY = ("spark", "databricks", "hive", "spark2")
MARKER = "INJECTED"
VARIABLE = "segdsl.hostile.var"

TEXTS = ("${env:HOME}", "${system:user.home}", "${hivevar:x}", "${hiveconf:x}", "${" + VARIABLE + "}",
         "$${" + VARIABLE + "}", "${${" + VARIABLE + "}}", "a${", "}${" + VARIABLE + "}{", "${}", "$", "US$ {5}",
         "价格${" + VARIABLE + "}元", "'${" + VARIABLE + "}'", "\\${" + VARIABLE + "}")


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _rules(text: str) -> str:
    q = _quoted(text)
    return f"""ruleset s {q}
input customer key id {{
  id: string
  city: string?
}}
dimension x {q} first {{
  segment s {q} when city = {q} {{ a: {q} }}
  otherwise o {q} {{ a: "plain" }}
}}
"""


def _compiled(tmp_path, text: str, dialect: str, *extra: str):
    f = tmp_path / "rules.seg"
    f.write_text(_rules(text), encoding="utf-8")
    return runner.invoke(app, ["compile", str(f), "--target", "sql", "--dialect", dialect,
                               "--labels", "--attributes", *extra])


@pytest.mark.parametrize("dialect", HIVE_FAMILY)
@pytest.mark.parametrize("text", TEXTS)
def test_no_dollar_brace_in_compiled_hive_family_sql(tmp_path, dialect, text):
    r = _compiled(tmp_path, text, dialect)
    assert r.exit_code == 0, r.output
    assert "${" not in r.stdout


@pytest.mark.parametrize("text", TEXTS[:3])
def test_other_dialects_keep_the_literal_as_it_is(tmp_path, text):
    r = _compiled(tmp_path, text, "duckdb")
    assert r.exit_code == 0, r.output
    assert text.replace("'", "''") in r.stdout


@pytest.mark.parametrize("dialect", HIVE_FAMILY)
@pytest.mark.parametrize("where", ["column", "table", "view"])
def test_a_name_holding_dollar_brace_is_refused_for_hive_family(tmp_path, dialect, where):
    f = tmp_path / "rules.seg"
    text = _rules("plain")
    extra: list[str] = []
    if where == "column":
        text = text.replace("city: string?", 'city: string? from "c${env:HOME}"')
    elif where == "table":
        extra = ["--table", "customer=t${env:HOME}"]
    else:
        extra = ["--as", "view", "--name", "v${env:HOME}"]
    f.write_text(text, encoding="utf-8")
    r = runner.invoke(app, ["compile", str(f), "--target", "sql", "--dialect", dialect, *extra])
    assert r.exit_code == 1, r.output
    assert "SEG501" in r.output and "${env:HOME}" in r.output and "Traceback" not in r.output
    if where == "column":
        assert f"{f}:4:3" in r.output       # at the field that names the column


@pytest.fixture(scope="module")
def substituting_session():
    """A session of the Spark engine's JVM with Spark's default: `${...}` substituted."""
    pytest.importorskip("pyspark")
    from segdsl.engines import spark_session as spark_engine
    session = spark_engine.session().newSession()
    session.conf.set("spark.sql.variable.substitute", "true")
    session.conf.set(VARIABLE, MARKER)
    return session


def test_the_spark_session_used_here_substitutes(substituting_session):
    """Without the escaping, the texts below would change: the session does substitute."""
    got = substituting_session.sql("SELECT '${" + VARIABLE + "}' AS v").collect()[0]["v"]
    assert got == MARKER


@pytest.mark.parametrize("dialect", ("spark", "databricks"))
@pytest.mark.parametrize("text", TEXTS)
def test_compiled_spark_sql_on_a_substituting_session_keeps_the_text(tmp_path, substituting_session,
                                                                     dialect, text):
    r = _compiled(tmp_path, text, dialect, "--table", "customer=hostile_customers")
    assert r.exit_code == 0, r.output
    session = substituting_session
    session.createDataFrame([("1", text), ("2", "other"), ("3", None)], "id string, city string") \
        .createOrReplaceTempView("hostile_customers")
    rows = {row["id"]: row.asDict() for row in session.sql(r.stdout.strip().rstrip(";")).collect()}
    assert rows["1"] == {"id": "1", "x": "s", "x_label": text, "x_a": text}, json.dumps(rows, ensure_ascii=False)
    assert rows["2"] == {"id": "2", "x": "o", "x_label": text, "x_a": "plain"}
    assert rows["3"]["x"] == "o"


def test_render_splits_every_dollar_brace():
    from sqlglot import exp
    text = "${a}${b}$${c}"
    sql = render(exp.select(exp.Literal.string(text)), "spark")
    assert "${" not in sql and sql.count("CONCAT") == 1
