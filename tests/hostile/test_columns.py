"""Output columns never share a name, on any engine or in compiled SQL.

Label and attribute columns are named by joining names with `_`, and DuckDB
and Spark read `X` and `x` as one column. Every way two columns of the output
could meet is SEG119 when the file is checked, whatever the options;
segdsl's own column names are taken; carried-through input columns are
renamed until they meet nothing.
"""
from __future__ import annotations

import csv
import json

import pytest
import sqlglot
from typer.testing import CliRunner

from segdsl.cli import app
from segdsl.engines import registry

runner = CliRunner()

ENGINES = registry.names()
DIALECTS = ("duckdb", "postgres", "spark", "databricks", "snowflake", "bigquery", "mysql", "tsql")

CUSTOMER = "input customer key id {\n  id: string\n  v: number?\n}\n"


def dim(name: str, attrs: str = "", cond: str = "v > 1") -> str:
    return f"dimension {name} first {{\n  segment s when {cond}{attrs}\n  otherwise o\n}}\n"


# (name, rule text, line:col of the SEG119 expected)
COLLISIONS = [
    ("label column vs dimension", "ruleset t\n" + CUSTOMER + dim("x") + dim("x_label"), "10:11"),
    ("dimension before the label column", "ruleset t\n" + CUSTOMER + dim("x_label") + dim("x"), "10:11"),
    ("attribute vs dimension", "ruleset t\n" + CUSTOMER + dim("x", " { a: 1 }") + dim("x_a"), "10:11"),
    ("attribute named label", "ruleset t\n" + CUSTOMER + dim("x", ' { label: "L" }'), "7:26"),
    ("attribute vs attribute", "ruleset t\n" + CUSTOMER + dim("a", " { b_c: 1 }") + dim("a_b", " { c: 2 }"),
     "11:26"),
    ("label vs attribute of another", "ruleset t\n" + CUSTOMER + dim("a", " { b_label: 1 }") + dim("a_b"),
     "10:11"),
    ("dimensions differing in case", "ruleset t\n" + CUSTOMER + dim("x") + dim("X"), "10:11"),
    ("label columns differing in case", "ruleset t\n" + CUSTOMER + dim("x") + dim("X_LABEL"), "10:11"),
    ("key and dimension differing in case", "ruleset t\n" + CUSTOMER + dim("ID"), "6:11"),
    ("related key vs dimension", "ruleset t\nrelated orders of customer by cid {\n  cid: string\n  amount: number\n}\n"
     + dim("cid", cond="sum(orders.amount) > 1"), "6:11"),
    ("keyless row column", "ruleset t\ninput customer {\n  v: number?\n}\n" + dim("_row"), "5:11"),
    ("own column: dimension", "ruleset t\n" + CUSTOMER + dim("__segdsl_conflict_0"), "6:11"),
    ("own column: let", "ruleset t\n" + CUSTOMER + "let __pop_0 = v\n" + dim("x", cond="__pop_0 > 1"), "6:5"),
    ("own column: field", "ruleset t\ninput customer key id {\n  id: string\n  __segdsl_order: int?\n}\n"
     + dim("x", cond="__segdsl_order > 1"), "4:3"),
    ("own column: field _row", "ruleset t\ninput customer {\n  _row: int?\n}\n" + dim("x", cond="_row > 1"),
     "3:3"),
    ("own column: attribute", "ruleset t\n" + CUSTOMER + dim("_", " { pop_0: 1 }"), "7:26"),
]


@pytest.mark.parametrize("text,place", [c[1:] for c in COLLISIONS], ids=[c[0] for c in COLLISIONS])
def test_a_column_name_taken_twice_is_seg119_at_check(tmp_path, text, place):
    f = tmp_path / "rules.seg"
    f.write_text(text, encoding="utf-8")
    r = runner.invoke(app, ["check", str(f), "--format", "json"])
    assert r.exit_code == 1, r.output
    found = [f"{d['line']}:{d['column']}" for d in json.loads(r.stdout) if d["code"] == "SEG119"]
    assert place in found, (found, r.stdout)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("text", [c[1] for c in COLLISIONS[:8]], ids=[c[0] for c in COLLISIONS[:8]])
def test_no_engine_runs_rules_whose_columns_collide(tmp_path, engine, text):
    f, data, out = tmp_path / "rules.seg", tmp_path / "c.csv", tmp_path / "out.csv"
    f.write_text(text, encoding="utf-8")
    data.write_text("id,v\n1,5\n", encoding="utf-8")
    r = runner.invoke(app, ["apply", str(f), "--input", f"customer={data}", "--output", str(out),
                            "--engine", engine])
    assert r.exit_code == 1 and "SEG119" in r.output and "Traceback" not in r.output, r.output
    assert not out.exists()


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("text", [c[1] for c in COLLISIONS[:8]], ids=[c[0] for c in COLLISIONS[:8]])
def test_compiled_sql_of_colliding_rules_is_refused(tmp_path, dialect, text):
    f = tmp_path / "rules.seg"
    f.write_text(text, encoding="utf-8")
    r = runner.invoke(app, ["compile", str(f), "--target", "sql", "--dialect", dialect, "--labels",
                            "--attributes"])
    assert r.exit_code == 1 and "SEG119" in r.output and "Traceback" not in r.output, r.output


# Near misses: names that look alike but never meet.
NEAR = "ruleset t\n" + CUSTOMER + dim("x", ' { labels: "L", a: 1 }') + dim("xlabel", ' { a: "t" }', "v > 2") \
    + dim("x_lab", "", "v > 3") + dim("label", ' { x: 2 }', "v > 4")
NEAR_DATA = "id,v,x_label,X,ID,input_x,Label_X\n1,5,a,b,c,d,e\n2,0,f,g,h,i,j\n"


def _unique_ignoring_case(names: list[str]) -> bool:
    return len({n.casefold() for n in names}) == len(names)


@pytest.mark.parametrize("engine", ENGINES)
def test_kept_columns_are_renamed_until_they_meet_nothing(tmp_path, engine):
    f, data, out = tmp_path / "near.seg", tmp_path / "near.csv", tmp_path / "out.csv"
    f.write_text(NEAR, encoding="utf-8")
    data.write_text(NEAR_DATA, encoding="utf-8")
    r = runner.invoke(app, ["apply", str(f), "--input", f"customer={data}", "--output", str(out),
                            "--engine", engine, "--labels", "--attributes", "--keep", "all"])
    assert r.exit_code == 0, r.output
    with out.open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames)
        rows = list(reader)
    assert _unique_ignoring_case(header), header
    assert header == ["id", "x", "xlabel", "x_lab", "label", "x_label", "xlabel_label", "x_lab_label",
                      "label_label", "x_labels", "x_a", "xlabel_a", "label_x", "v", "input_x_label", "input_X",
                      "input_ID", "input_input_x", "input_Label_X"]
    first = rows[0]
    assert [first[c] for c in ("x_label", "x_labels", "input_x_label", "input_X", "input_ID", "input_input_x",
                               "input_Label_X")] == ["s", "L", "a", "b", "c", "d", "e"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_compiled_sql_never_names_a_column_twice(tmp_path, dialect):
    f = tmp_path / "near.seg"
    f.write_text(NEAR, encoding="utf-8")
    r = runner.invoke(app, ["compile", str(f), "--target", "sql", "--dialect", dialect, "--labels",
                            "--attributes"])
    assert r.exit_code == 0, r.output
    tree = sqlglot.parse_one(r.stdout.strip().rstrip(";"), read=dialect)
    names = [e.alias_or_name for e in tree.expressions]
    assert _unique_ignoring_case(names), names
    assert {"x_label", "xlabel_label", "x_labels", "label_x"} <= set(names)
