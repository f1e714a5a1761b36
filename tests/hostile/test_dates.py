"""Dates outside years 1 to 9999: one behaviour on every engine.

Every engine holds years 1 to 9999 (Python's dates, which the shared validator
and the Python engine use, stop there). A date or datetime in the data beyond
them is a bad row naming the row, the column and the reason, whether it comes
from CSV text or a Parquet date or timestamp; a Parquet column the rules do not
declare is never converted, so it cannot stop a run. Date arithmetic whose
result leaves those years is null (tests/conformance/cases/date_out_of_range_is_null.toml).
"""
from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from segdsl.cli import app
from segdsl.engines import registry

runner = CliRunner()
ENGINES = registry.names()

RULES = """ruleset d
input customer key id {
  id: string
  d: date?
  t: datetime?
}
dimension x first {
  segment recent when d > 2000-01-01 or t > 2000-01-01T00:00:00
  otherwise o
}
"""
REASON = "is outside years 1 to 9999, the dates every engine holds"
DAY = 86_400_000_000          # microseconds


def _parquet(path: Path, days: list, micros: list, extra: list | None = None) -> Path:
    columns = {"id": [str(i) for i in range(1, len(days) + 1)], "d": pa.array(days, pa.date32()),
               "t": pa.array(micros, pa.timestamp("us"))}
    if extra is not None:
        columns["extra"] = pa.array(extra, pa.timestamp("us"))
    pq.write_table(pa.table(columns), path)
    return path


def _apply(tmp_path: Path, data: Path, engine: str, *extra: str):
    rules = tmp_path / "d.seg"
    rules.write_text(RULES, encoding="utf-8")
    out = tmp_path / f"out_{engine}.csv"
    r = runner.invoke(app, ["apply", str(rules), "--input", f"customer={data}", "--output", str(out),
                            "--engine", engine, *extra])
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        import traceback
        raise AssertionError("".join(traceback.format_exception(*r.exc_info)))      # the crash, not a mismatch
    return r, out


CASES = {
    # (days of d, microseconds of t): the bad row is row 2 every time
    "date after 9999": ([18000, 2932897, 18000], [0, 0, 0], "d = '10000-01-01'"),
    "date before year 1": ([18000, -719163, 18000], [0, 0, 0], "d = '0000-12-31'"),
    "timestamp after 9999": ([18000, 18000, 18000], [0, 2932897 * DAY, 0], "t = '10000-01-01 00:00:00.000000'"),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", CASES)
def test_a_parquet_date_beyond_the_years_is_a_bad_row_on_every_engine(tmp_path, case, engine):
    days, micros, shown = CASES[case]
    data = _parquet(tmp_path / "far.parquet", days, micros)
    r, out = _apply(tmp_path, data, engine)
    assert r.exit_code == 1, r.output
    assert f"far.parquet row 2: {shown} {REASON}" in r.output
    assert "Traceback" not in r.output and not out.exists()
    r, out = _apply(tmp_path, data, engine, "--on-error", "skip")
    assert r.exit_code == 0, r.output
    assert [row["id"] for row in csv.DictReader(out.open(encoding="utf-8"))] == ["1", "3"]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_csv_year_beyond_the_years_is_a_bad_row_on_every_engine(tmp_path, engine):
    data = tmp_path / "far.csv"
    data.write_text("id,d,t\n1,2020-01-01,\n2,10000-01-01,\n3,,0000-06-01T10:00\n4,2020-01-01,\n", encoding="utf-8")
    r, _ = _apply(tmp_path, data, engine)
    assert r.exit_code == 1 and f"far.csv row 2 (line 3): d = '10000-01-01' {REASON}" in r.output, r.output
    r, out = _apply(tmp_path, data, engine, "--on-error", "quarantine")
    assert r.exit_code == 0, r.output
    assert [row["id"] for row in csv.DictReader(out.open(encoding="utf-8"))] == ["1", "4"]


@pytest.mark.parametrize("engine", ENGINES)
def test_an_undeclared_parquet_column_beyond_the_years_never_stops_a_run(tmp_path, engine):
    data = _parquet(tmp_path / "extra.parquet", [1000, 1001], [0, 0], extra=[0, 2932897 * DAY])
    r, out = _apply(tmp_path, data, engine)
    assert r.exit_code == 0, r.output
    assert [row["x"] for row in csv.DictReader(out.open(encoding="utf-8"))] == ["o", "o"]


DEEP = """ruleset d
input customer key id {
  id: string
  t: datetime
}
let later = t""" + " + 1 days" * 5 + """
dimension x first {
  segment s when later > t
  otherwise o
}
"""


def test_datetime_arithmetic_nested_past_the_sql_limit_is_seg501(tmp_path):
    """Each checked datetime move writes its datetime three times in SQL, so more than four
    nested in one expression is SEG501 at it, never a query that triples per level."""
    rules = tmp_path / "deep.seg"
    rules.write_text(DEEP, encoding="utf-8")
    r = runner.invoke(app, ["compile", str(rules), "--target", "sql"])
    assert r.exit_code == 1 and "SEG501" in r.output and "datetime ± days" in r.output, r.output
    rules.write_text(DEEP.replace(" + 1 days" * 5, " + 1 days" * 4), encoding="utf-8")
    r = runner.invoke(app, ["compile", str(rules), "--target", "sql"])
    assert r.exit_code == 0 and len(r.output) < 60_000, r.output
