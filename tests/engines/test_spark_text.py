"""CSV, TSV and JSON Lines read by Spark's executors (engines/spark_text.py): a directory of part
files gives the segments, bad rows, row numbers, lines and reasons the DuckDB and Python engines
give for the same files as a pattern read by the shared reader."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

pytest.importorskip("pyspark")

from segdsl.check.frontend import check_file
from segdsl.engines import registry, spark_session
from segdsl.engines.options import ApplyOptions, DataError
from segdsl.io.errors import InputError
from segdsl.passes import build_plan
from segdsl.service.params import resolve_params
from tests.engines.test_spark_native import SHOP

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")


# part a: a good row, a number out of range, a ragged row, a quoted line break, a blank line,
# an enum's data text, NA as null; part b: a key repeated from part a, a bad date, a conflict
PART_A = ('客户编号,spend,tier,visits,born\n'
          'a1,1500,Gold,7,2001-02-03\n'
          'a2,-5,,1,\n'
          'a3,1,2\n'
          '"a\n4",20,金卡,2,\n'
          '\n'
          'a5,NA,Silver,,1999-12-31\n')
PART_B = ('客户编号,spend,tier,visits,born\n'
          'a1,3,,0,\n'
          'a6,5000,Gold,9,\n'
          'a7,7,,1,2001-13-01\n'
          'a8,2500,,1,\n')


@pytest.fixture(scope="module")
def spark():
    return spark_session.session()


def rules():
    r = check_file(Path("shop.seg"), text=SHOP)
    assert r.ok, [(d.code, d.message) for d in r.diagnostics]
    return r.ruleset


def parts(folder: Path, fmt: str = "csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("a", PART_A), ("b", PART_B)):
        if fmt == "csv":
            (folder / f"{name}.csv").write_text(text, encoding="utf-8")
        else:
            (folder / f"{name}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                                                          for r in as_records(text)), encoding="utf-8")
    return folder


def as_records(text: str) -> list[dict]:
    """A part's rows as JSON objects: numbers as numbers where they are, others as text."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    out = []
    for cells in reader:
        if len(cells) != len(header):
            continue
        rec = dict(zip(header, cells))
        for k, v in rec.items():
            try:
                rec[k] = int(v) if k == "visits" else float(v) if k == "spend" else v
            except ValueError:
                pass
        out.append(rec)
    return out


def run(engine: str, rs, source, folder: Path, **kw):
    """(output bytes or the error text, quarantine bytes, summary)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "out.csv"
    opts = ApplyOptions(inputs={"customer": Path(source)}, output=out, params=resolve_params(rs), **kw)
    try:
        summary = registry.get(engine).apply(build_plan(rs), opts)
    except (DataError, InputError) as exc:
        return str(exc), None, None
    rejected = opts.quarantine_path()
    facts = summary.as_dict() | {"output": None, "quarantine": None}
    return out.read_bytes(), rejected.read_bytes() if rejected and rejected.is_file() else None, facts


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("on_error", ["fail", "skip", "quarantine"])
def test_a_directory_of_text_parts_as_the_shared_reader_reads_it(tmp_path, spark, fmt, on_error):
    rs = rules()
    folder = parts(tmp_path / "parts", fmt)
    kw = dict(on_error=on_error, null_values=("NA",), labels=True)
    got = run("spark", rs, folder, tmp_path / "spark", **kw)
    duck = run("duckdb", rs, folder / f"*.{fmt}", tmp_path / "duckdb", **kw)
    python = run("python", rs, folder / f"*.{fmt}", tmp_path / "python", **kw)
    assert got == duck == python
    if on_error == "fail":
        assert "a.%s row 2" % fmt in got[0]
    if on_error == "quarantine":
        text = got[1].decode()
        assert "appears twice (first at row 1 of" in text and "`unique` dimension `promo`" in text
        if fmt == "csv":
            assert "has 3 cells but the header has 5 columns" in text and "a3,1,2" in text     # `_raw`


def test_text_rows_quarantined_by_spark(tmp_path, spark):
    rs = rules()
    folder = parts(tmp_path / "parts")
    got = run("spark", rs, folder, tmp_path / "spark", on_error="quarantine", quarantine=tmp_path / "bad",
              quarantine_dir=True)
    duck = run("duckdb", rs, folder / "*.csv", tmp_path / "duckdb", on_error="quarantine",
               quarantine=tmp_path / "duck.csv")
    assert got[0] == duck[0] and got[2] == duck[2]
    table = pq.read_table(tmp_path / "bad")
    expected = pacsv.read_csv(tmp_path / "duck.csv", convert_options=pacsv.ConvertOptions(
        column_types={c: "string" for c in ("_file", "_row", "_reason", "_raw", "客户编号", "spend", "tier",
                                            "visits", "born")}, strings_can_be_null=True))

    def rows(t):
        return sorted((str(r["_file"]).rsplit("/", 1)[-1], str(r["_row"]), r["_reason"], r["_raw"] or "")
                      for r in t.to_pylist())
    assert rows(table) == rows(expected) and len(rows(table)) == 7


def test_an_unreadable_part_is_named_with_its_row_and_line(tmp_path, spark):
    rs = rules()
    folder = parts(tmp_path / "parts")
    (folder / "c.csv").write_text('客户编号,spend,tier,visits,born\nc1,1,,1,\n"c2,2,,1,\n', encoding="utf-8")
    got = run("spark", rs, folder, tmp_path / "spark")
    duck = run("duckdb", rs, folder / "*.csv", tmp_path / "duckdb")
    assert got[0] == duck[0] and "c.csv row 2 (line 3)" in got[0] and "never closed" in got[0]
    assert not (tmp_path / "spark" / "out.csv").exists()


def test_a_part_without_a_required_column_is_refused(tmp_path, spark):
    rs = rules()
    folder = parts(tmp_path / "parts")
    (folder / "c.csv").write_text("spend,tier\n1,Gold\n", encoding="utf-8")
    got = run("spark", rs, folder, tmp_path / "spark")
    assert got[0].startswith(str(folder / "c.csv")) and "客户编号" in got[0]


def test_a_directory_of_mixed_formats_is_refused(tmp_path, spark):
    rs = rules()
    folder = parts(tmp_path / "parts")
    (folder / "c.txt").write_text("x\n", encoding="utf-8")
    got = run("spark", rs, folder, tmp_path / "spark")
    assert "holds files of one format" in got[0]
