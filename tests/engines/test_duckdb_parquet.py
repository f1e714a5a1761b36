"""The DuckDB engine's own Parquet path gives exactly what the Python engine gives:
the same segments, the same bad rows with the same reasons, the same bytes."""
from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from segdsl.cli import app
from segdsl.engines import duckdb_scan
from segdsl.engines.options import ApplyOptions
from segdsl.check.frontend import check_file

RULES = '''
ruleset shop "商店" version "1"
param as_of: date = 2026-11-01
input customer key id {
  id:     string from "客户编号"
  spend:  number? in 0..100000
  tier:   enum { gold = "Gold" "金卡", silver = "Silver", 普通 = "普通 会员" }?
  visits: int in 0..1000 = 0
  vip:    bool?
  since:  date?
  seen:   datetime?
  note:   string = "none"
}
let idle = days_between(since, as_of)
let share = spend / visits
dimension value "价值" first {
  segment vip  "贵宾" when spend >= 1000 or vip { channel: "call", priority: 1 }
  segment good "优质" when spend >= 100 and share > 1
  otherwise rest "其他"
}
dimension tags "标签" all {
  segment gold     "金卡" when tier = gold
  segment frequent "常客" when visits >= 5
  segment idle     "沉睡" when idle > 90 or seen < 2026-01-01T00:00:00
  segment noted    "备注" when note != "none"
}
dimension pick unique {
  segment a when visits between 1 and 3
  segment b when visits = 3
  otherwise c
}
'''

SCHEMA = pa.schema([("客户编号", pa.string()), ("spend", pa.float64()), ("tier", pa.string()),
                    ("visits", pa.int32()), ("vip", pa.bool_()), ("since", pa.date32()),
                    ("seen", pa.timestamp("us")), ("note", pa.string())])

ROWS = [
    ("a1", 1500.0, "Gold", 7, None, dt.date(2026, 1, 5), None, None),
    ("a2", 150.5, None, None, False, None, dt.datetime(2025, 5, 1, 8, 30), ""),
    ("a3", None, " Silver ", 1, None, None, None, "x"),          # padded enum: Python trims it, SQL asks Python
    ("a4", -5.0, "Silver", 2, None, None, None, None),           # out of range
    ("a5", float("nan"), None, 2, None, None, None, None),       # NaN is a bad number
    ("", 20.0, "Bronze", 3, None, None, None, None),             # empty key, unknown enum, unique conflict
    ("a1", 1.0, None, 1, None, None, None, None),                # repeated key
    ("a8", 50.0, "普通 会员", 3, True, dt.date(2026, 10, 1), None, "n"),   # unique conflict: a and b
    ("a9", 0.0, "gold", 0, None, None, None, None),              # enum values are case-sensitive
    (None, 10.0, None, 2000, None, None, None, None),            # missing key and out-of-range visits
]


def write(path, rows, **options):
    cols = list(zip(*rows)) if rows else [[] for _ in SCHEMA]
    pq.write_table(pa.table({f.name: pa.array(c, f.type) for f, c in zip(SCHEMA, cols)}, schema=SCHEMA), path,
                   **options)


@pytest.fixture
def rules(tmp_path):
    p = tmp_path / "shop.seg"
    p.write_text(RULES, encoding="utf-8")
    return p


def run_both(tmp_path, rules, data, *args, suffix=".csv"):
    outs = {}
    for engine in ("duckdb", "python"):
        out = tmp_path / f"out_{engine}{suffix}"
        q = tmp_path / f"rejected_{engine}.csv"
        r = CliRunner().invoke(app, ["apply", str(rules), "--input", str(data), "-o", str(out), "--engine", engine,
                                     "--quarantine", str(q), "--labels", "--attributes", *args])
        assert "Traceback" not in r.output
        outs[engine] = (r.exit_code, out.read_bytes() if out.exists() else None,
                        q.read_bytes() if q.exists() else None, r.output.replace(engine, "ENGINE"))
    return outs


def test_the_native_path_is_taken(tmp_path, rules):
    data = tmp_path / "in.parquet"
    write(data, ROWS)
    checked = check_file(rules)
    assert checked.ok, checked.diagnostics
    rs = checked.ruleset
    assert duckdb_scan.eligible(rs, ApplyOptions(inputs={"customer": data}))
    assert not duckdb_scan.eligible(rs, ApplyOptions(inputs={"customer": data}, null_values=("NA",)))


@pytest.mark.parametrize("policy", ["fail", "skip", "quarantine"])
@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_bad_rows_and_output_identical_to_python(tmp_path, rules, policy, suffix):
    data = tmp_path / "in.parquet"
    write(data, ROWS)
    outs = run_both(tmp_path, rules, data, "--on-error", policy, suffix=suffix)
    assert outs["duckdb"] == outs["python"]
    code, out, quarantine, _ = outs["duckdb"]
    if policy == "fail":
        assert code == 1 and out is None
    else:
        assert code == 0 and out is not None
    if policy == "quarantine":
        lines = quarantine.decode().splitlines()
        assert [x.split(",")[0] for x in lines[1:]] == ["4", "5", "6", "7", "8", "9", "10"]


def test_fail_reports_the_first_bad_row(tmp_path, rules):
    data = tmp_path / "in.parquet"
    write(data, ROWS)
    r = CliRunner().invoke(app, ["apply", str(rules), "--input", str(data), "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 1 and "row 4" in r.output and "spend = -5.0 is out of range" in r.output


def _row():
    text = st.sampled_from(["", " ", "Gold", "Silver", " Gold", "普通 会员", "gold", "x\"y", "客户"]) | st.text(max_size=4)
    return st.tuples(
        st.sampled_from(["k1", "k2", "k3", "k4", "", "键"]) | st.none(),
        st.none() | st.sampled_from([0.0, 1.0, 99.5, 100.0, 1000.0, 100000.0, -1.0, float("nan"), float("inf")])
        | st.floats(-10, 200000, allow_nan=False),
        st.none() | text,
        st.none() | st.integers(-2, 1002),
        st.none() | st.booleans(),
        st.none() | st.dates(dt.date(2025, 1, 1), dt.date(2027, 1, 1)),
        st.none() | st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2027, 1, 1)),
        st.none() | text,
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(rows=st.lists(_row(), max_size=12))
def test_random_parquet_files_identical_to_python(tmp_path, rules, rows):
    data = tmp_path / "in.parquet"
    write(data, rows)
    outs = run_both(tmp_path, rules, data, "--on-error", "quarantine")
    assert outs["duckdb"] == outs["python"]


def test_nan_hidden_from_parquet_statistics_is_still_a_bad_number(tmp_path, rules):
    # Parquet writers leave NaN out of min/max, so a file whose other values are all
    # in range has statistics that say "no value is out of range" for a NaN row too
    data = tmp_path / "in.parquet"
    write(data, [("k1", 0.0, None, None, None, None, None, None),
                 ("k2", float("nan"), None, None, None, None, None, None)])
    outs = run_both(tmp_path, rules, data, "--on-error", "quarantine")
    assert outs["duckdb"] == outs["python"]
    assert b"spend = nan is not a finite number" in outs["duckdb"][2]


CLEAN = [("c1", 1500.0, "Gold", 7, None, dt.date(2026, 1, 5), None, None),
         ("c2", 150.5, None, 0, False, None, dt.datetime(2025, 5, 1, 8, 30), "n")]


@pytest.mark.parametrize("extra", [
    [],                                                          # clean: one query is the whole run
    [("c3", 50.0, None, 3, True, None, None, None)],             # only a unique conflict (a and b)
    [("c1", 5.0, None, 0, None, None, None, None)],              # only a repeated key
    [("c3", 5.0, " Gold", 0, None, None, None, None)],           # only a row SQL is unsure about
], ids=["clean", "conflict", "repeated_key", "suspect"])
@pytest.mark.parametrize("policy", ["skip", "fail"])
def test_clean_files_and_one_problem_each(tmp_path, rules, extra, policy):
    data = tmp_path / "in.parquet"
    write(data, CLEAN + extra)
    outs = run_both(tmp_path, rules, data, "--on-error", policy, suffix=".parquet")
    assert outs["duckdb"] == outs["python"]
    code, out, _, text = outs["duckdb"]
    assert code == (1 if extra and policy == "fail" and extra[0][2] != " Gold" else 0)


@pytest.mark.parametrize("options", [{"write_statistics": False}, {"row_group_size": 3}],
                         ids=["no_statistics", "small_row_groups"])
def test_footer_statistics_only_ever_skip_checks_they_prove(tmp_path, rules, options):
    # checks left out because the footers prove them false must not hide a bad row:
    # without statistics every check runs; with small row groups some groups are clean
    data = tmp_path / "in.parquet"
    write(data, ROWS, **options)
    outs = run_both(tmp_path, rules, data, "--on-error", "quarantine")
    assert outs["duckdb"] == outs["python"]
    lines = outs["duckdb"][2].decode().splitlines()
    assert [x.split(",")[0] for x in lines[1:]] == ["4", "5", "6", "7", "8", "9", "10"]
