"""A field's own null spellings (`pdays: int? missing 999`): a data value listed after
`missing` is null before any other check (so `999` outside `in 0..998` is not bad, and a
default applies to it), on every engine, from CSV, JSON Lines and Parquet, through the
engines' own readers (DuckDB's and Spark's Parquet scans, polars' scan) and in compiled
SQL; a value that is only close (`999.5`, `" n/a"` for a string) stays a value."""
from __future__ import annotations

import csv
import json

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from segdsl.cli import app
from segdsl.engines import registry

runner = CliRunner()
ENGINES = registry.names()

RULES = """ruleset bank
input customer key id {
  id:    string
  pdays: int? missing 999 in 0..998
  calls: int missing [-1, 99] = 0
  job:   enum { admin, blue = "blue-collar", other }? missing "unknown"
  note:  string missing ["n/a", "-"] = "none"
  score: number? missing -1
  seen:  date? missing 1900-01-01
}
dimension contact first {
  segment recent when pdays < 30
  segment never  when pdays is null
  otherwise old
}
dimension c first {
  segment none when calls = 0
  otherwise some
}
dimension j first {
  segment unknown_job when job is null
  otherwise known
}
dimension n first {
  segment no_note when note = "none"
  otherwise has_note
}
dimension s first {
  segment unscored when score is null
  otherwise scored
}
dimension v first {
  segment unseen when seen is null
  otherwise seen_once
}
"""

ROWS = [
    {"id": "a", "pdays": 999, "calls": -1, "job": "admin", "note": "hi", "score": -1.0, "seen": "1900-01-01"},
    {"id": "b", "pdays": 5, "calls": 99, "job": "unknown", "note": "n/a", "score": 2.5, "seen": "2020-05-01"},
    {"id": "c", "pdays": 100, "calls": 3, "job": "blue-collar", "note": "-", "score": -1.5, "seen": None},
    {"id": "d", "pdays": None, "calls": None, "job": None, "note": " n/a", "score": None, "seen": "1900-01-02"},
]
EXPECTED = {
    "a": "never,none,known,has_note,unscored,unseen",
    "b": "recent,none,unknown_job,no_note,scored,seen_once",
    "c": "old,some,known,no_note,scored,unseen",
    "d": "never,none,unknown_job,has_note,unscored,seen_once",
}


def _write(folder, fmt: str) -> str:
    path = folder / f"bank.{fmt}"
    if fmt == "csv":
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(ROWS[0]))
            w.writeheader()
            w.writerows([{k: "" if v is None else v for k, v in r.items()} for r in ROWS])
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    else:
        import datetime as dt
        pq.write_table(pa.table({
            "id": [r["id"] for r in ROWS], "pdays": pa.array([r["pdays"] for r in ROWS], pa.int64()),
            "calls": pa.array([r["calls"] for r in ROWS], pa.int64()), "job": [r["job"] for r in ROWS],
            "note": [r["note"] for r in ROWS], "score": pa.array([r["score"] for r in ROWS], pa.float64()),
            "seen": pa.array([dt.date.fromisoformat(r["seen"]) if r["seen"] else None for r in ROWS], pa.date32()),
        }), path)
    return str(path)


def _segments(out) -> dict:
    with open(out, encoding="utf-8") as f:
        return {r["id"]: ",".join(v for k, v in r.items() if k != "id") for r in csv.DictReader(f)}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_missing_values_are_null_on_every_engine_and_reader(tmp_path, engine, fmt):
    rules = tmp_path / "bank.seg"
    rules.write_text(RULES, encoding="utf-8")
    data = _write(tmp_path, fmt)
    out = tmp_path / "out.csv"
    r = runner.invoke(app, ["apply", str(rules), "--input", f"customer={data}", "-o", str(out), "--engine", engine])
    assert r.exit_code == 0, r.output
    assert _segments(out) == EXPECTED


@pytest.mark.parametrize("engine", ENGINES)
def test_a_missing_value_of_a_required_field_is_a_missing_value(tmp_path, engine):
    # the Parquet footers say the column has no nulls: the value 0 still makes the row bad
    rules = tmp_path / "r.seg"
    rules.write_text('ruleset r\ninput customer key id { id: string  n: int missing 0 }\n'
                     'dimension d first { segment big when n > 5 otherwise small }\n', encoding="utf-8")
    data = tmp_path / "d.parquet"
    pq.write_table(pa.table({"id": ["a", "b", "c"], "n": [9, 0, 1]}), data)
    r = runner.invoke(app, ["apply", str(rules), "--input", f"customer={data}", "-o", str(tmp_path / "o.csv"),
                            "--engine", engine])
    assert r.exit_code == 1 and "d.parquet row 2: missing required field 'n'" in r.output, r.output


def test_compiled_sql_reads_missing_values_as_null(tmp_path):
    rules = tmp_path / "bank.seg"
    rules.write_text(RULES, encoding="utf-8")
    r = runner.invoke(app, ["compile", str(rules), "--target", "sql", "--dialect", "duckdb",
                            "--table", "customer=bank"])
    assert r.exit_code == 0, r.output
    con = duckdb.connect()
    con.execute(f"CREATE TABLE bank AS SELECT * FROM read_parquet('{_write(tmp_path, 'parquet')}')")
    got = {row[0]: ",".join(row[1:]) for row in con.execute(r.stdout).fetchall()}
    assert got == EXPECTED
