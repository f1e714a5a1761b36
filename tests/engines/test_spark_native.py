"""The Spark engine reading Parquet, directories, patterns and catalog tables itself, and
writing directories and tables with Spark's writer: the same segments, bad rows, row numbers
and reasons as the DuckDB and Python engines, nothing half-written, nothing collected.

Parquet inputs are written with the fields' own column types (tests/engines/spark_data.py),
which is what the engines read natively. A directory output is compared with the other
engines' file as a table sorted by the key.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

pytest.importorskip("pyspark")

from segdsl.check.frontend import check_file
from segdsl.cli import app
from segdsl.engines import registry, spark_scan
from segdsl.engines import spark_session
from segdsl.engines.options import ApplyOptions, DataError
from segdsl.passes import build_plan
from segdsl.service.params import resolve_params
from tests.engines.spark_data import ARROW, write_typed

ROOT = Path(__file__).resolve().parents[2]
TELCO = ROOT / "rulesets" / "telco_churn.seg"
TELCO_SAMPLE = ROOT / "segdsl" / "samples" / "telco_customers.csv"

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")


@pytest.fixture(scope="module")
def spark():
    return spark_session.session()


def load(path: Path, text: str | None = None):
    r = check_file(path, text=text)
    assert r.ok, [(d.code, d.message) for d in r.diagnostics]
    return r.ruleset


def run(engine: str, rs, folder: Path, inputs: dict, out_name: str = "out.parquet", **kw):
    """(output bytes, or a sorted table for a directory, or the DataError text; quarantine bytes; summary)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / out_name
    opts = ApplyOptions(inputs={k: Path(v) for k, v in inputs.items()}, output=out,
                        params=kw.pop("params", None) or resolve_params(rs), **kw)
    try:
        summary = registry.get(engine).apply(build_plan(rs), opts)
    except DataError as exc:
        return str(exc), None, None
    rejected = opts.quarantine_path()
    facts = summary.as_dict() | {"output": None, "quarantine": None}
    got = sorted_table(out, rs.key) if opts.output_dir else out.read_bytes()
    return got, rejected.read_bytes() if rejected and rejected.is_file() else None, facts


def sorted_table(path: Path, key: str) -> pa.Table:
    """A directory's part files as one table sorted by the key, its columns as the shared writer types
    them (Spark marks a column that holds no null `required`, and names list items `element`)."""
    table = pq.read_table(path).sort_by([(key, "ascending")])
    return table.cast(pa.schema([pa.field(f.name, pa.list_(pa.field("element", pa.string())) if pa.types.is_list(f.type) else f.type)
                                 for f in table.schema]))


def as_table(content: bytes, key: str) -> pa.Table:
    return pq.read_table(pa.BufferReader(content)).sort_by([(key, "ascending")])


def test_native_path_is_taken_for_typed_parquet(tmp_path):
    rs = load(TELCO)
    write_typed(rs.customer, TELCO_SAMPLE, tmp_path / "parts", parts=3)
    assert spark_scan.native(rs, ApplyOptions(inputs={"customer": tmp_path / "parts"}))
    assert spark_scan.native(rs, ApplyOptions(inputs={"customer": tmp_path / "parts" / "*.parquet"}))
    assert not spark_scan.native(rs, ApplyOptions(inputs={"customer": TELCO_SAMPLE}))


@pytest.mark.parametrize("given", ["glob", "directory", "file"])
def test_telco_same_bytes_as_duckdb(tmp_path, spark, given):
    rs = load(TELCO)
    parts = write_typed(rs.customer, TELCO_SAMPLE, tmp_path / "parts", parts=3)
    pattern = str(tmp_path / "parts" / "*.parquet")
    source = {"glob": pattern, "directory": str(tmp_path / "parts"), "file": str(parts[0])}[given]
    reference = pattern if given != "file" else source
    spark_got = run("spark", rs, tmp_path / "spark", {"customer": source}, labels=True, attributes=True)
    duck = run("duckdb", rs, tmp_path / "duckdb", {"customer": reference}, labels=True, attributes=True)
    assert isinstance(spark_got[0], bytes), spark_got[0]
    assert spark_got == duck


def test_directory_output_is_the_same_table(tmp_path, spark):
    rs = load(TELCO)
    write_typed(rs.customer, TELCO_SAMPLE, tmp_path / "parts", parts=2)
    duck = run("duckdb", rs, tmp_path / "duckdb", {"customer": tmp_path / "parts" / "*.parquet"}, labels=True,
               attributes=True)
    got = run("spark", rs, tmp_path / "spark", {"customer": tmp_path / "parts"}, "out", labels=True,
              attributes=True, output_dir=True)
    assert got[0].equals(as_table(duck[0], rs.key))
    assert got[2] == duck[2]                  # counts from Spark's aggregates: the same summary
    assert not [p for p in (tmp_path / "spark").iterdir() if p.name.startswith(".")]   # no sibling left


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_directory_output_in_text_formats(tmp_path, spark, fmt):
    rs = load(TELCO)
    write_typed(rs.customer, TELCO_SAMPLE, tmp_path / "in.parquet")
    duck = run("duckdb", rs, tmp_path / "duckdb", {"customer": tmp_path / "in.parquet"}, f"out.{fmt}")
    folder = tmp_path / "spark"
    folder.mkdir()
    opts = ApplyOptions(inputs={"customer": tmp_path / "in.parquet"}, output=folder / "out", output_dir=True,
                        output_format=fmt, params=resolve_params(rs))
    registry.get("spark").apply(build_plan(rs), opts)
    parts = sorted((folder / "out").glob("part-*"))
    assert parts
    body = [line for p in parts for line in p.read_text(encoding="utf-8").splitlines()]
    expected = duck[0].decode().splitlines()
    if fmt == "jsonl":                       # Spark's JSON writer leaves out the spaces
        body = [json.loads(line) for line in body]
        expected = [json.loads(line) for line in expected]
        key = rs.key
        body, expected = sorted(body, key=lambda r: r[key]), sorted(expected, key=lambda r: r[key])
    if fmt == "csv":
        header = expected[0]
        assert [line for line in body if line == header]
        body = [line for line in body if line != header]
        expected = expected[1:]
    assert (body if fmt == "jsonl" else sorted(body)) == (expected if fmt == "jsonl" else sorted(expected))


# ---- bad rows ------------------------------------------------------------------------

SHOP = '''
ruleset shop "商店" version "1"
input customer key id {
  id:     string from "客户编号"
  spend:  number? in 0..100000
  tier:   enum { gold = "Gold" "金卡", silver = "Silver" }?
  visits: int = 0
  born:   date?
}
dimension value "价值" first {
  segment vip  "贵宾" when spend >= 1000 { channel: "call", priority: 1 }
  segment good "优质" when spend >= 100
  otherwise rest "其他"
}
dimension tags "标签" all {
  segment gold     "金卡" when tier = gold
  segment frequent "常客" when visits >= 5
}
dimension promo unique {
  segment rich  when spend >= 2000
  segment loyal when visits >= 8
}
'''


def shop_parquet(path: Path) -> None:
    """Row 2 out of range, 3 not a member, 4 a padded member (rescued), 5 NaN, 6 a second a1,
    7 both `promo` segments, 8 a null key, 10 infinite, 11 a5 again (its first row was bad)."""
    nan, inf = float("nan"), float("inf")
    pq.write_table(pa.table({
        "客户编号": ["a1", "a2", "a3", "a4", "a5", "a1", "a6", None, "a8", "a9", "a5"],
        "spend": [1500.0, -5.0, None, 20.0, nan, 3.0, 5000.0, 1.0, 2500.0, inf, 7.0],
        "tier": ["Gold", None, "Bronze", " Silver ", None, None, "Gold", None, None, "gold", None],
        "visits": [7, None, 1, 2, 3, 0, 9, 1, 1, 2, 1],
        "born": pa.array([None] * 11, pa.date32()),
    }), path)


@pytest.mark.parametrize("on_error", ["fail", "skip", "quarantine"])
@pytest.mark.parametrize("parts", [1, 2])
def test_bad_rows_as_duckdb(tmp_path, spark, on_error, parts):
    rs = load(tmp_path / "shop.seg", SHOP)
    whole = tmp_path / "shop.parquet"
    shop_parquet(whole)
    if parts == 1:
        source = reference = whole
    else:
        table = pq.read_table(whole)
        (tmp_path / "parts").mkdir()
        pq.write_table(table.slice(0, 6), tmp_path / "parts" / "a.parquet")
        pq.write_table(table.slice(6), tmp_path / "parts" / "b.parquet")
        source, reference = tmp_path / "parts", tmp_path / "parts" / "*.parquet"
    kw = dict(labels=True, attributes=True, on_error=on_error)
    got = run("spark", rs, tmp_path / "spark", {"customer": source}, "out.csv", **kw)
    duck = run("duckdb", rs, tmp_path / "duckdb", {"customer": reference}, "out.csv", **kw)
    python = run("python", rs, tmp_path / "python", {"customer": reference}, "out.csv", **kw)
    rejected = got[1]
    if parts == 2 and on_error == "quarantine":
        # the quarantine file names each row's file as the input names it: same rows, same reasons
        assert got[1].decode().replace(str(source) + "/", "") == duck[1].decode().replace(str(source) + "/", "")
        got, duck = (got[0], None, got[2]), (duck[0], None, duck[2])
        python = (python[0], None, python[2])
    if on_error == "fail" and parts == 2:
        assert got[0].replace(str(source) + "/", "") == duck[0].replace(str(source) + "/", "")
        return
    assert got == duck == python
    if on_error == "fail":
        assert "row 2" in got[0] and "spend = -5.0 is out of range" in got[0]
        assert list((tmp_path / "spark").iterdir()) == []
        return
    lines = got[0].decode().splitlines()
    # a5's first row is bad (NaN), so its second row is no repeat
    assert [line.split(",")[0] for line in lines[1:]] == ["a1", "a4", "a8", "a5"]
    if on_error == "quarantine":
        rejected = rejected.decode().splitlines()
        if parts == 2:
            rejected = [line.split(",", 1)[1] for line in rejected]       # `_file` comes first
        assert [line.split(",")[0] for line in rejected[1:]] == (
            ["2", "3", "5", "6", "7", "8", "10"] if parts == 1 else ["2", "3", "5", "6", "1", "2", "4"])
        assert "appears twice" in rejected[4] and "`unique` dimension `promo`" in rejected[5]


def test_bad_rows_with_a_directory_output(tmp_path, spark):
    rs = load(tmp_path / "shop.seg", SHOP)
    shop_parquet(tmp_path / "shop.parquet")
    got = run("spark", rs, tmp_path / "spark", {"customer": tmp_path / "shop.parquet"}, "out", output_dir=True,
              on_error="quarantine", quarantine=tmp_path / "spark" / "rejected.csv")
    duck = run("duckdb", rs, tmp_path / "duckdb", {"customer": tmp_path / "shop.parquet"}, on_error="quarantine",
               quarantine=tmp_path / "duckdb" / "rejected.csv")
    assert got[0].equals(as_table(duck[0], "id"))
    assert got[1] == duck[1] and got[2] == duck[2]


def _quarantined(path: Path) -> list[tuple]:
    """A quarantine file or directory as sorted rows of text, whatever wrote it."""
    import pyarrow.csv as pacsv
    if path.is_dir():
        parts = sorted(p for p in path.iterdir() if not p.name.startswith(("_", ".")))
        if parts and parts[0].suffix == ".csv":
            tables = [pacsv.read_csv(p, convert_options=pacsv.ConvertOptions(
                column_types={}, strings_can_be_null=False)) for p in parts if p.stat().st_size]
            table = pa.concat_tables(tables) if tables else None
        else:
            table = pq.read_table(path)
    else:
        table = pacsv.read_csv(path)
    cols = [c for c in ("_row", "_reason", "_file", "客户编号") if table is not None and c in table.column_names]
    return sorted(tuple(str(v) if v is not None else "" for v in row.values())
                  for row in table.select(cols).to_pylist()) if table is not None else []


@pytest.mark.parametrize("name", ["rejected/", "rejected.csv/"])
@pytest.mark.parametrize("parts", [1, 2])
def test_quarantine_directory_written_by_spark(tmp_path, spark, name, parts):
    """`--quarantine DIR/`: Spark writes the bad rows (the input's, and `unique` conflicts found
    in the driver) as part files; the same rows, row numbers, files and reasons as DuckDB's file."""
    rs = load(tmp_path / "shop.seg", SHOP)
    whole = tmp_path / "shop.parquet"
    shop_parquet(whole)
    source = reference = whole
    if parts == 2:
        table = pq.read_table(whole)
        (tmp_path / "parts").mkdir()
        pq.write_table(table.slice(0, 6), tmp_path / "parts" / "a.parquet")
        pq.write_table(table.slice(6), tmp_path / "parts" / "b.parquet")
        source, reference = tmp_path / "parts", tmp_path / "parts" / "*.parquet"
    target = tmp_path / "spark" / name
    got = run("spark", rs, tmp_path / "spark", {"customer": source}, "out", output_dir=True,
              on_error="quarantine", quarantine=target, quarantine_dir=True)
    duck = run("duckdb", rs, tmp_path / "duckdb", {"customer": reference}, on_error="quarantine",
               quarantine=tmp_path / "duckdb" / "rejected.csv")
    assert got[0].equals(as_table(duck[0], "id"))
    assert got[2] == duck[2] and got[2]["quarantined"] == 7
    spark_rows = _quarantined(target)
    duck_rows = _quarantined(tmp_path / "duckdb" / "rejected.csv")
    assert spark_rows == duck_rows and len(spark_rows) == 7
    assert not [p for p in (tmp_path / "spark").iterdir() if p.name.startswith(".")]    # nothing left beside it


def test_quarantine_directory_is_for_spark_inputs(tmp_path, spark):
    rs = load(TELCO)
    got = run("spark", rs, tmp_path / "spark", {"customer": TELCO_SAMPLE}, on_error="quarantine",
              quarantine=tmp_path / "rejected", quarantine_dir=True)
    assert "a quarantine directory is written by Spark" in got[0]


def test_quarantine_directory_on_the_command_line(tmp_path, spark):
    rs_path = tmp_path / "shop.seg"
    rs_path.write_text(SHOP, encoding="utf-8")
    shop_parquet(tmp_path / "shop.parquet")
    result = CliRunner().invoke(app, ["apply", str(rs_path), "--engine", "spark", "-i",
                                      f"customer={tmp_path / 'shop.parquet'}", "-o", str(tmp_path / "out.csv"),
                                      "--on-error", "quarantine", "--quarantine", f"{tmp_path / 'bad'}/"])
    assert result.exit_code == 0, result.output
    assert "7 bad rows quarantined to" in result.output and (tmp_path / "bad").is_dir()
    assert len(_quarantined(tmp_path / "bad")) == 7
    other = CliRunner().invoke(app, ["apply", str(rs_path), "--engine", "duckdb", "-i",
                                     f"customer={tmp_path / 'shop.parquet'}", "-o", str(tmp_path / "out2.csv"),
                                     "--on-error", "quarantine", "--quarantine", f"{tmp_path / 'bad2'}/"])
    assert other.exit_code == 2 and "names a directory" in other.output
    assert not (tmp_path / "out2.csv").exists()


# ---- catalog tables ------------------------------------------------------------------

def test_table_in_and_table_out(tmp_path, spark):
    rs = load(TELCO)
    write_typed(rs.customer, TELCO_SAMPLE, tmp_path / "in.parquet")
    db = f"segdsl_test_{os.getpid()}"
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {db} LOCATION '{(tmp_path / 'warehouse').as_uri()}'")
    try:
        spark.read.parquet(str(tmp_path / "in.parquet")).write.format("parquet").saveAsTable(f"{db}.customers")
        got = run("spark", rs, tmp_path / "spark", {"customer": f"table:{db}.customers"}, labels=True)
        duck = run("duckdb", rs, tmp_path / "duckdb", {"customer": tmp_path / "in.parquet"}, labels=True)
        assert got[0] == duck[0]
        opts = ApplyOptions(inputs={"customer": Path(f"table:{db}.customers")}, output=Path(f"table:{db}.segments"),
                            params=resolve_params(rs), labels=True)
        for _ in range(2):                       # the second run replaces the first's table
            summary = registry.get("spark").apply(build_plan(rs), opts)
            assert summary.written == 1000
        table = spark_session.run_query(spark, f"SELECT * FROM {db}.segments").sort_by([(rs.key, "ascending")])
        assert table.equals(as_table(duck[0], rs.key))
        assert [r.name for r in spark.catalog.listTables(db) if r.name.startswith("__segdsl") and not r.isTemporary] == []
    finally:
        spark.sql(f"DROP DATABASE IF EXISTS {db} CASCADE")


# ---- nothing half-written -----------------------------------------------------------------

def test_a_failed_run_leaves_the_old_directory(tmp_path, spark):
    # a `unique` conflict is found while Spark writes (the counts it observes); under
    # on_error="fail" the run then fails, after Spark has written the hidden sibling
    rs = load(tmp_path / "r.seg", 'ruleset r\ninput c key id { id: string  n: int }\n'
                                  'dimension d unique { segment pos when n > 0  segment big when n > 2 }\n')
    pq.write_table(pa.table({"id": ["a", "b"], "n": [0, 4]}), tmp_path / "in.parquet")
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("the previous output", encoding="utf-8")
    got = run("spark", rs, tmp_path, {"c": tmp_path / "in.parquet"}, "out", output_dir=True)
    assert isinstance(got[0], str) and "row 2: matches pos, big in `unique` dimension `d`" in got[0], got[0]
    assert [p.name for p in out.iterdir()] == ["old.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet", "out"]


INTERRUPTED = """
import os, signal, sys, threading, time
from pathlib import Path
from segdsl.cli import app
os.environ.setdefault("COLUMNS", "120")
target = Path(sys.argv[2])
def interrupt():
    deadline = time.time() + 300
    while time.time() < deadline:
        if any(p.name.startswith(".out.") for p in target.iterdir()):
            os.kill(os.getpid(), signal.SIGINT)
            return
        time.sleep(0.05)
threading.Thread(target=interrupt, daemon=True).start()
sys.argv = ["segdsl", "apply", sys.argv[1], "--input", "customer=" + sys.argv[3], "--output",
            sys.argv[2] + "/out/", "--engine", "spark"]
app()
"""


@pytest.mark.full
def test_ctrl_c_while_spark_writes_leaves_nothing(tmp_path):
    rs = load(TELCO)
    big = tmp_path / "big.parquet"
    table = write_typed(rs.customer, TELCO_SAMPLE, tmp_path / "one.parquet") and pq.read_table(tmp_path / "one.parquet")
    ids = pa.array([f"c{i}" for i in range(200 * table.num_rows)])
    many = pa.concat_tables([table] * 200).set_column(table.schema.get_field_index("customerID"), "customerID", ids)
    pq.write_table(many, big)
    out = tmp_path / "target"
    out.mkdir()
    r = subprocess.run([sys.executable, "-c", INTERRUPTED, str(TELCO), str(out), str(big)], capture_output=True,
                       text=True, timeout=600, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode != 0, r.stdout + r.stderr
    assert list(out.iterdir()) == [], r.stdout + r.stderr


# ---- nothing collected ---------------------------------------------------------------------

@pytest.mark.full
def test_a_million_rows_to_a_directory_under_a_2m_result_limit(tmp_path):
    """spark.driver.maxResultSize=2m fails any job that brings more than 2 MB to the driver."""
    rs = load(TELCO)
    one = write_typed(rs.customer, TELCO_SAMPLE, tmp_path / "one.parquet") and pq.read_table(tmp_path / "one.parquet")
    n = 1000
    many = pa.concat_tables([one] * n)
    ids = pa.array([f"c{i:07d}" for i in range(many.num_rows)])
    many = many.set_column(one.schema.get_field_index("customerID"), "customerID", ids)
    (tmp_path / "in").mkdir()
    for i in range(4):
        pq.write_table(many.slice(i * 250_000, 250_000), tmp_path / "in" / f"part-{i}.parquet")
    env = {**os.environ, "PYTHONPATH": str(ROOT),
           "PYSPARK_SUBMIT_ARGS": "--conf spark.driver.maxResultSize=2m pyspark-shell"}
    r = subprocess.run([sys.executable, "-m", "segdsl.cli", "apply", str(TELCO), "--input",
                        f"customer={tmp_path / 'in'}", "--output", f"{tmp_path / 'out'}/", "--engine", "spark",
                        "--labels"], capture_output=True, text=True, timeout=1200, cwd=ROOT, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1,000,000 customers written" in r.stdout
    written = pq.read_table(tmp_path / "out")
    assert written.num_rows == 1_000_000
    # and the limit is real: collecting the result to the driver fails under it
    probe = ("from segdsl.engines.spark_session import session\nimport sys\n"
             "s = session()\ntry:\n    s.read.parquet(sys.argv[1]).toArrow()\nexcept Exception as e:\n"
             "    print('refused', 'maxResultSize' in str(e))\n")
    r = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "out")], capture_output=True, text=True,
                       timeout=600, cwd=ROOT, env=env)
    assert "refused True" in r.stdout, r.stdout + r.stderr


# ---- the CLI -------------------------------------------------------------------------------

def test_cli_directory_in_and_out(tmp_path, spark):
    rs = load(TELCO)
    write_typed(rs.customer, TELCO_SAMPLE, tmp_path / "parts", parts=2)
    r = CliRunner().invoke(app, ["apply", str(TELCO), "--input", f"customer={tmp_path / 'parts'}", "-o",
                                 f"{tmp_path / 'out'}/", "--engine", "spark", "--format", "parquet"])
    assert r.exit_code == 0, r.output
    assert "1,000 customers written" in r.output
    assert pq.read_table(tmp_path / "out").num_rows == 1000


def test_cli_other_engines_refuse_directories(tmp_path):
    rs = load(TELCO)
    write_typed(rs.customer, TELCO_SAMPLE, tmp_path / "parts", parts=2)
    r = CliRunner().invoke(app, ["apply", str(TELCO), "--input", f"customer={tmp_path / 'parts'}", "-o",
                                 str(tmp_path / "o.parquet"), "--engine", "duckdb"])
    assert r.exit_code == 2 and "is a directory" in r.output, r.output
    assert "the spark engine reads a directory of part files" in r.output
    r = CliRunner().invoke(app, ["apply", str(TELCO), "--input", f"customer={TELCO_SAMPLE}", "-o",
                                 f"{tmp_path / 'out'}/", "--engine", "python"])
    assert r.exit_code == 2 and "names a directory (it ends in /)" in r.output, r.output
    assert "the spark engine writes a directory of part files" in r.output
    r = CliRunner().invoke(app, ["apply", str(TELCO), "--input", f"customer={TELCO_SAMPLE}", "-o",
                                 "table:db.segments", "--engine", "python"])
    assert r.exit_code == 2 and "tables and remote paths are written by spark" in r.output, r.output


# ---- every conformance case and every shipped ruleset through the native path ----------------

def _typed_inputs(rs, data: dict, folder: Path) -> dict:
    """Each input's validated records as a Parquet file with the fields' column types."""
    from tests.conformance.cases import _records  # noqa: PLC2701 - the cases' own validation
    inputs = {}
    for schema in ([rs.customer] if rs.customer else []) + list(rs.related):
        if schema.name not in data and schema is not rs.customer:
            continue
        records = _records(schema, data.get(schema.name, []), "case")
        cols = {}
        for f in schema.fields:
            values = [r[f.name] for r in records]
            if f.type.kind.name == "ENUM":
                by_name = {m.name: m.value for m in f.type.enum.members}
                values = [by_name.get(v) if v is not None else None for v in values]
            cols.setdefault(f.column, pa.array(values, ARROW[f.type.kind]))
        path = folder / f"{schema.name}.parquet"
        pq.write_table(pa.table(cols), path)
        inputs[schema.name] = path
    return inputs


def _cases():
    from tests.conformance.cases import all_cases
    return all_cases()


@pytest.mark.full
@pytest.mark.parametrize("case", _cases(), ids=lambda c: c.name)
def test_conformance_case_through_the_native_path(tmp_path, spark, case):
    from segdsl.backends.sql import NotSupported
    from tests.conformance.cases import build
    built = build(case)
    rs = built.ruleset
    inputs = _typed_inputs(rs, case.data, tmp_path)
    assert spark_scan.native(rs, ApplyOptions(inputs=inputs))
    kw = dict(params=built.params, on_error="quarantine", labels=True, attributes=True)
    try:
        got = run("spark", rs, tmp_path / "spark", inputs, **kw)
    except NotSupported:
        assert not case.must_run("spark")
        got = None
    reference = "duckdb" if "duckdb" not in case.xfail else "python"
    try:
        expected = run(reference, rs, tmp_path / reference, inputs, **kw)
    except NotSupported:
        expected = run("python", rs, tmp_path / "python", inputs, **kw)
    if got is None:
        return
    if "spark" in case.xfail and got != expected:
        pytest.xfail(case.xfail["spark"])
    assert got == expected


@pytest.mark.full
@pytest.mark.parametrize("path", sorted((ROOT / "rulesets").glob("*.seg")) + sorted((ROOT / "rulesets").glob("*/*.seg")),
                         ids=lambda p: p.name)
def test_shipped_ruleset_through_the_native_path(tmp_path, spark, path):
    from tests.engines.test_every_engine_on_every_ruleset import generated_data
    rs = load(path)
    args = generated_data(rs, tmp_path)
    inputs = {}
    for name, file in zip(args[1::2], args[1::2]):
        name, _, csv_path = name.partition("=")
        schema = rs.customer if rs.customer and rs.customer.name == name else rs.related_input(name)
        write_typed(schema, Path(csv_path), tmp_path / f"{name}.parquet")
        inputs[name] = tmp_path / f"{name}.parquet"
    assert spark_scan.native(rs, ApplyOptions(inputs=inputs))
    kw = dict(on_error="quarantine", labels=True, attributes=True)
    got = run("spark", rs, tmp_path / "spark", inputs, **kw)
    duck = run("duckdb", rs, tmp_path / "duckdb", inputs, **kw)
    assert isinstance(got[0], bytes), got[0]
    assert got == duck
    directory = run("spark", rs, tmp_path / "spark_dir", inputs, "out", output_dir=True, **kw)
    assert directory[0].equals(as_table(duck[0], rs.key))
    assert directory[1:] == duck[1:]

