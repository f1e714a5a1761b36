"""The DuckDB engine's own CSV path gives exactly what the Python engine gives.

DuckDB reads a CSV file itself only while every cell is one both readers read
alike; any other cell sends the run back to the shared reader. Random files
full of such cells check that the answer never depends on which reader read
it; clean files check that DuckDB's path is the one taken."""
from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from segdsl.cli import app
from segdsl.engines import duckdb as duckdb_engine
from segdsl.engines import duckdb_text

RULES = '''
ruleset shop
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
dimension value first {
  segment vip  when spend >= 1000 or vip { channel: "call" }
  segment good when spend >= 100 and visits > 1
  otherwise rest
}
dimension tags all {
  segment gold     when tier = gold
  segment frequent when visits >= 5
  segment idle     when since < 2026-01-01 or seen < 2026-01-01T00:00:00
  segment noted    when note != "none"
}
dimension pick unique {
  segment a when visits between 1 and 3
  segment b when visits = 3
  otherwise c
}
'''
HEADER = ["客户编号", "spend", "tier", "visits", "vip", "since", "seen", "note"]
CLEAN = [["c1", "1500.5", "Gold", "7", "true", "2026-01-05", "", ""],
         ["c2", "150", "", "", "No", "", "2025-05-01 08:30:00", "n"],
         ["c3", "", "普通 会员", "0", "1", "2027-02-28", "2026-11-01", "x"]]


@pytest.fixture
def rules(tmp_path):
    p = tmp_path / "shop.seg"
    p.write_text(RULES, encoding="utf-8")
    return p


def write_csv(path, rows, header=HEADER):
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")


def run_both(tmp_path, rules, data, *args):
    return run_engines(tmp_path, rules, data, ("duckdb", "python"), ".parquet", *args)


def run_engines(tmp_path, rules, data, engines, suffix, *args) -> dict:
    """Each engine's exit code, output bytes, quarantine bytes and words (the engine's name blanked)."""
    outs = {}
    for engine in engines:
        out = tmp_path / f"out_{engine}{suffix}"
        q = tmp_path / f"rejected_{engine}.csv"
        for p in (out, q):
            p.unlink(missing_ok=True)
        r = CliRunner().invoke(app, ["apply", str(rules), "--input", str(data), "-o", str(out), "--engine", engine,
                                     "--quarantine", str(q), "--labels", "--attributes", *args])
        assert "Traceback" not in r.output
        outs[engine] = (r.exit_code, out.read_bytes() if out.exists() else None,
                        q.read_bytes() if q.exists() else None, r.output.replace(engine, "ENGINE"))
    return outs


def spied(monkeypatch, cls, method: str) -> list:
    """Records what each call of `cls.method(layout, out)` returned: whether a run finished on
    an engine's own fast path."""
    seen: list = []
    original = getattr(cls, method)

    def spy(self, layout, out):
        done = original(self, layout, out)
        seen.append(done)
        return done
    monkeypatch.setattr(cls, method, spy)
    return seen


def taken(monkeypatch) -> list:
    """Records whether each DuckDB run finished on DuckDB's own CSV path."""
    return spied(monkeypatch, duckdb_engine._DuckDBRun, "text_pass")


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_clean_files_are_read_by_duckdb(tmp_path, rules, monkeypatch, suffix):
    seen = taken(monkeypatch)
    data = tmp_path / f"in{suffix}"
    if suffix == ".csv":
        write_csv(data, CLEAN)
    else:
        write_jsonl(data, CLEAN_JSON)
    outs = run_both(tmp_path, rules, data, "--on-error", "quarantine")
    assert outs["duckdb"] == outs["python"]
    assert seen == [True]


@pytest.mark.parametrize("row", [
    ["c4", " 150", "", "", "", "", "", ""],          # padded number: the shared reader trims it
    ["c4", "5", "", "1e3", "", "", "", ""],          # an int with an exponent
    ["c4", "5 ", "", "", "", "", "", ""],            # a number with a space after it
    ["c4", "+5", "", "", "", "", "", ""],            # a number with a plus sign
    ["c4", "1_000", "", "", "", "", "", ""],         # a number with an underscore (float() reads it)
    ["c4", "1e999", "", "", "", "", "", ""],         # a number beyond a double
    ["c4", "5", "", " ", "", "", "", ""],            # a cell of spaces (null to the shared reader)
    ["c4", "5", "金卡", "", "", "", "", ""],         # the enum's second data value
    ["c4", "5", "", "3.0", "", "", "", ""],          # an int written as 3.0
    ["c4", "-5", "", "", "", "", "", ""],            # out of range
    ["c4", "5", "Bronze", "", "", "", "", ""],       # unknown enum value
    ["c1", "5", "", "", "", "", "", ""],             # repeated key
    ["c4", "5", "", "3", "", "", "", ""],            # unique conflict
    ["", "5", "", "", "", "", "", ""],               # missing key
    ["c4", "5", "", "", "maybe", "", "", ""],        # not a bool
    ["c4", "5", "", "", "", "2026-02-30", "", ""],   # not a date
    ["c4", "5", "", "", "", "", "2026-01-01T10:00", ""],   # a datetime form DuckDB is not asked to read
    ["c4", "5"],                                     # ragged row
], ids=["padded", "int_exponent", "trailing_space", "plus", "underscore", "overflow", "spaces", "alias", "int_float", "range", "enum", "repeat", "conflict", "no_key", "bool",
        "date", "datetime_t", "ragged"])
def test_one_unsure_cell_sends_the_run_to_the_shared_reader(tmp_path, rules, monkeypatch, row):
    seen = taken(monkeypatch)
    data = tmp_path / "in.csv"
    write_csv(data, CLEAN + [row])
    outs = run_both(tmp_path, rules, data, "--on-error", "quarantine")
    assert outs["duckdb"] == outs["python"]
    assert seen == [False]


@pytest.mark.parametrize("spend", ["1e3", "1.5E-2", "-0", "007", "100000.0", "0.1000", "12345678901234567890e-15",
                                   "99999.99999999999999999"])
def test_plain_decimals_are_read_by_duckdb_as_python_reads_them(tmp_path, rules, monkeypatch, spend):
    """A number's cell need not be the double's shortest form: both readers round a plain
    decimal to the same double."""
    seen = taken(monkeypatch)
    data = tmp_path / "in.csv"
    write_csv(data, CLEAN + [["c4", spend, "", "", "", "", "", ""]])
    outs = run_both(tmp_path, rules, data, "--on-error", "quarantine")
    assert outs["duckdb"] == outs["python"]
    assert seen == [True]


def test_a_number_key_is_read_by_duckdb_only_in_its_shortest_form(tmp_path, monkeypatch):
    """`1.5` and `1.50` are one key: the key check counts distinct texts, so a key's text must be
    its value's own."""
    seen = taken(monkeypatch)
    rules = tmp_path / "k.seg"
    rules.write_text("ruleset k\ninput customer key id { id: number  x: int? }\n"
                     "dimension s first { segment big when x > 1  otherwise small }\n")
    data = tmp_path / "in.csv"
    write_csv(data, [["1.5", "2"], ["1.50", "3"]], header=["id", "x"])
    outs = run_both(tmp_path, rules, data, "--on-error", "quarantine")
    assert outs["duckdb"] == outs["python"] and outs["duckdb"][2] is not None     # the repeat is quarantined
    assert seen == [False]


@pytest.mark.full          # 300,000 rows: the result must run past its first batch
def test_an_unsure_cell_after_the_first_batch_still_sends_the_run_to_the_shared_reader(tmp_path, rules,
                                                                                      monkeypatch):
    """DuckDB stops its query at the unsure row wherever it is; past the first batch of the
    result the stop reaches Python through Arrow's stream (as an OSError, not a duckdb.Error),
    and the run must start again on the shared reader all the same."""
    seen = taken(monkeypatch)
    data = tmp_path / "in.csv"
    many = [[f"k{i}", str(i % 3000), "Gold", "1", "true", "", "", ""] for i in range(300_000)]
    write_csv(data, many + [["k-late", " 150", "", "", "", "", "", ""]])
    outs = run_both(tmp_path, rules, data, "--on-error", "quarantine")
    assert outs["duckdb"] == outs["python"] and outs["duckdb"][0] == 0
    assert seen == [False]


def test_a_file_starting_with_a_blank_line_is_left_to_the_shared_reader(tmp_path, rules, monkeypatch):
    seen = taken(monkeypatch)
    data = tmp_path / "in.csv"
    write_csv(data, CLEAN)
    data.write_text("\n" + data.read_text(encoding="utf-8"), encoding="utf-8")
    outs = run_both(tmp_path, rules, data)
    assert outs["duckdb"] == outs["python"]
    assert seen == [False] or seen == []


def test_not_taken_with_options_only_the_shared_reader_knows(tmp_path, rules):
    from segdsl.engines.options import ApplyOptions
    from segdsl.check.frontend import check_file
    checked = check_file(rules)
    assert checked.ok, checked.diagnostics
    rs = checked.ruleset
    data = tmp_path / "in.csv"
    write_csv(data, CLEAN)
    assert duckdb_text.eligible(rs, ApplyOptions(inputs={"customer": data}))
    for extra in ({"null_values": ("NA",)}, {"date_format": "%d/%m/%Y"}, {"encoding": "gbk"}, {"keep": ("note",)}):
        assert not duckdb_text.eligible(rs, ApplyOptions(inputs={"customer": data}, **extra))


_CELLS = {
    "id": st.sampled_from(["k1", "k2", "k3", "k4", "", " k1", "键", "a,b", 'q"q', "x\ny"]),
    "spend": st.sampled_from(["", " ", "0", "1", "99.5", "100", "1000", "100000", "100000.5", "-0", "-0.0", "-1",
                              "0.1", "1e3", " 7", "007", "1_0", "nan", "inf", "12345678901234567890"])
    | st.floats(0, 200000, allow_nan=False).map(lambda x: f"{x:.{x.__hash__() % 6}f}"),
    "tier": st.sampled_from(["", "Gold", "Silver", "普通 会员", "金卡", " Gold", "gold", "Bronze"]),
    "visits": st.sampled_from(["", "0", "1", "3", "5", "1000", "1001", "-1", "+2", "2.0", "2.5", " 4"]),
    "vip": st.sampled_from(["", "true", "False", "YES", "no", "1", "0", "2", " true", "t"]),
    "since": st.sampled_from(["", "2026-01-05", "2025-12-31", "2026-02-30", "0000-01-01", "2026-1-5",
                              " 2026-01-05", "2026-01-05 00:00:00"]),
    "seen": st.sampled_from(["", "2025-05-01 08:30:00", "2026-01-01", "2025-05-01T08:30:00", "2025-05-01 24:00:00",
                             "2025-05-01 08:30", "2025-05-01 08:30:00.5", "2025-05-01 08:30:60"]),
    "note": st.sampled_from(["", "none", "n", " ", "多 字", "x" * 3]),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(*_CELLS.values()), max_size=8), clean_share=st.booleans())
def test_random_csv_files_identical_to_python(tmp_path, rules, rows, clean_share):
    data = tmp_path / "in.csv"
    write_csv(data, (CLEAN if clean_share else []) + [list(r) for r in rows])
    outs = run_both(tmp_path, rules, data, "--on-error", "quarantine")
    assert outs["duckdb"] == outs["python"]


def test_a_bad_date_in_a_field_with_a_default_is_still_bad(tmp_path, monkeypatch):
    seen = taken(monkeypatch)
    rules = tmp_path / "d.seg"
    rules.write_text("ruleset d\ninput customer key id { id: string  since: date = 2026-01-01 }\n"
                     "dimension v first { segment old when since < 2025-01-01  otherwise new }\n")
    data = tmp_path / "in.csv"
    write_csv(data, [["a", "2026-02-30"], ["b", ""]], header=["id", "since"])
    outs = run_both(tmp_path, rules, data, "--on-error", "quarantine")
    assert outs["duckdb"] == outs["python"]
    assert b"2026-02-30" in outs["duckdb"][2] and seen == [False]


# ---- JSON Lines ------------------------------------------------------------------

CLEAN_JSON = [
    {"客户编号": "c1", "spend": 1500.5, "tier": "Gold", "visits": 7, "vip": True, "since": "2026-01-05"},
    {"客户编号": "c2", "spend": 150, "tier": None, "vip": False, "seen": "2025-05-01 08:30:00", "note": "n"},
    {"客户编号": 3, "spend": None, "tier": "普通 会员", "visits": 0, "since": "2027-02-28", "seen": "2026-11-01",
     "note": "x", "extra": [1, 2]},
]


def write_jsonl(path, rows):
    import json
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


@pytest.mark.parametrize("change", [
    {"spend": "150"},            # a number as text: the shared reader parses it
    {"visits": 3.0},             # an int written as a float
    {"vip": 1},                  # a bool as 0/1
    {"visits": -1},              # out of range
    {"tier": "Bronze"},          # unknown enum value
    {"客户编号": ""},             # missing key
    {"客户编号": "c1"},           # repeated key
    {"spend": 1e400},            # out of double range
], ids=["text_number", "float_int", "int_bool", "range", "enum", "no_key", "repeat", "huge"])
def test_one_unsure_jsonl_value_sends_the_run_to_the_shared_reader(tmp_path, rules, monkeypatch, change):
    seen = taken(monkeypatch)
    data = tmp_path / "in.jsonl"
    write_jsonl(data, CLEAN_JSON + [{"客户编号": "c9", "spend": 5, **change}])
    outs = run_both(tmp_path, rules, data, "--on-error", "quarantine")
    assert outs["duckdb"] == outs["python"]
    assert seen == [False]


def test_a_line_that_is_not_an_object_is_left_to_the_shared_reader(tmp_path, rules, monkeypatch):
    seen = taken(monkeypatch)
    data = tmp_path / "in.jsonl"
    write_jsonl(data, CLEAN_JSON)
    data.write_text(data.read_text(encoding="utf-8") + "[1, 2]\n", encoding="utf-8")
    outs = run_both(tmp_path, rules, data)
    assert outs["duckdb"] == outs["python"]
    assert outs["duckdb"][0] == 1 and seen in ([], [False])


_JSON_VALUES = {
    "客户编号": st.sampled_from(["k1", "k2", "k3", "", " k1", "键", 7, 7.0, -0, None, True]),
    "spend": st.sampled_from([None, 0, 1, 99.5, 100, 1000, 100000, 100000.5, -1, 0.1, 1e3, "7", " ", "", True])
    | st.floats(0, 200000, allow_nan=False),
    "tier": st.sampled_from([None, "", "Gold", "Silver", "普通 会员", "金卡", " Gold", "gold", 1]),
    "visits": st.sampled_from([None, 0, 1, 3, 5, 1000, 1001, -1, 2.0, 2.5, "4", True]),
    "vip": st.sampled_from([None, True, False, "yes", 1, 0, 2, ""]),
    "since": st.sampled_from([None, "2026-01-05", "2026-02-30", "0000-01-01", " 2026-01-05", 20260105]),
    "seen": st.sampled_from([None, "2025-05-01 08:30:00", "2026-01-01", "2025-05-01T08:30:00", "2025-05-01 08:30"]),
    "note": st.sampled_from([None, "", "none", "n", " ", 5, 5.5, False]),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(rows=st.lists(st.fixed_dictionaries({}, optional=_JSON_VALUES), max_size=8), clean_share=st.booleans())
def test_random_jsonl_files_identical_to_python(tmp_path, rules, rows, clean_share):
    data = tmp_path / "in.jsonl"
    write_jsonl(data, (CLEAN_JSON if clean_share else []) + rows)
    outs = run_both(tmp_path, rules, data, "--on-error", "quarantine")
    assert outs["duckdb"] == outs["python"]


@pytest.mark.parametrize("cell", ["inf", "-inf", "nan", "10000-01-01", "0001-01-01 (BC)"],
                         ids=["inf", "minus_inf", "nan", "year_10000", "bc"])
def test_values_the_validator_refuses_though_sql_reads_them(tmp_path, monkeypatch, cell):
    seen = taken(monkeypatch)
    rules = tmp_path / "v.seg"
    rules.write_text("ruleset v\ninput customer key id { id: string  x: number?  d: date?  t: datetime? }\n"
                     "dimension s first { segment big when x > 1 or d > 2026-01-01 or t > 2026-01-01T00:00:00"
                     "  otherwise small }\n")
    data = tmp_path / "in.csv"
    date_like = cell[0].isdigit()
    write_csv(data, [["a", "1", "", ""], ["b", "" if date_like else cell, cell if date_like else "",
                                          cell if date_like else ""]], header=["id", "x", "d", "t"])
    outs = run_both(tmp_path, rules, data, "--on-error", "quarantine")
    assert outs["duckdb"] == outs["python"]
    assert seen == [False]
