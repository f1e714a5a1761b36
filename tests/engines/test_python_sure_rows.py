"""The Python engine's Parquet path: Arrow compute proves rows clean a record batch at a
time (engines/sure_rows.py) and only the other rows go through the shared validator. The
split must never show: every file here gives the same output, the same quarantine file and
the same messages as reading every row with the validator (the path before the split, forced
here by making every batch unsure), and clean batches never reach the validator."""
from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from segdsl.check.frontend import check_file
from segdsl.cli import app
from segdsl.engines import sure_rows
from segdsl.io.validate import RowValidator

RULES = """ruleset mix
input customer key id {
  id:     string
  spend:  number? missing -1 in 0..1000
  visits: int missing 999 in 0..100 = 0
  tier:   enum { gold = "Gold", silver = "Silver", other }? missing "?"
  note:   string? missing "n/a"
  name:   string
  vip:    bool?
  since:  date?
  seen:   datetime?
}
dimension value first {
  segment big  when spend >= 500
  segment some when spend >= 0
  otherwise none
}
dimension tags all {
  segment gold     when tier = gold
  segment frequent when visits >= 5
  segment noted    when note is not null
  segment old      when since < 2026-01-01 or seen < 2026-01-01T00:00:00
  segment vip      when vip
}
dimension pick unique {
  segment a when visits between 1 and 3
  segment b when visits = 3
  otherwise c
}
"""

SCHEMA = pa.schema([("id", pa.string()), ("spend", pa.float64()), ("visits", pa.int32()), ("tier", pa.string()),
                    ("note", pa.string()), ("name", pa.string()), ("vip", pa.bool_()), ("since", pa.date32()),
                    ("seen", pa.timestamp("us")), ("comment", pa.string())])

D, T = dt.date(2025, 3, 1), dt.datetime(2026, 2, 1, 8, 30)
CLEAN = [
    ("c1", 700.0, 7, "Gold", "hi", "Ann", True, D, T, "x"),
    ("c2", 10.0, None, None, None, "Bo", None, None, None, None),
    ("c3", None, 2, "other", "", "Cy", False, dt.date(2026, 5, 1), None, "NA"),
]
DOUBTFUL = [
    (None, 1.0, 1, None, None, "n", None, None, None, None),          # a required key is null
    ("", 1.0, 1, None, None, "n", None, None, None, None),            # ... or empty
    ("d3", float("nan"), 1, None, None, "n", None, None, None, None),  # not a finite number
    ("d4", float("inf"), 1, None, None, "n", None, None, None, None),
    ("d5", -5.0, 1, None, None, "n", None, None, None, None),         # out of range
    ("d6", 1000.5, 1, None, None, "n", None, None, None, None),
    ("d7", -1.0, 999, "?", "n/a", "n", None, None, None, None),       # `missing` values: null, defaults
    ("d8", 1.0, 101, None, None, "n", None, None, None, None),        # an int out of range
    ("d9", 1.0, -1, " Gold", None, "n", None, None, None, None),      # an enum value with spaces
    ("d10", 1.0, 1, "gold", None, "n", None, None, None, None),       # case-sensitive enum values
    ("d11", 1.0, 1, "Bronze", None, "n", None, None, None, None),
    ("d12", 1.0, 1, "", " NA ", "n", None, None, None, " NA"),       # an empty enum; a null spelling
    ("d13", 1.0, 1, "NA", "xNAy", "n", None, None, None, None),       # a null spelling as enum; inside a text
    ("d14", 1.0, 1, None, None, "", None, None, None, None),          # a required text is empty
    ("d15", 1.0, 1, None, None, None, None, None, None, None),        # ... or null
    ("c1", 2.0, 1, None, None, "n", None, None, None, None),          # a clean row repeating a key
    ("d9", 3.0, 1, None, None, "n", None, None, None, None),          # repeating a bad row's key: kept
    ("d17", 3.0, 3, None, None, "n", None, None, None, None),         # a unique conflict
    ("d18", 0.0, 0, "Silver", "ok", "n", False, dt.date(2020, 1, 1), dt.datetime(2030, 1, 1), "y"),
]


def write(path, rows, schema=SCHEMA, **options):
    cols = list(zip(*rows)) if rows else [[] for _ in schema]
    pq.write_table(pa.table({f.name: pa.array(c, f.type) for f, c in zip(schema, cols)}, schema=schema), path,
                   **options)


@pytest.fixture
def rules(tmp_path):
    p = tmp_path / "mix.seg"
    p.write_text(RULES, encoding="utf-8")
    return p


def run(tmp_path, rules, data, tag, *args):
    """(exit code, output bytes, quarantine bytes, messages) of one run, its files in a folder `tag`."""
    folder = tmp_path / tag
    folder.mkdir()
    out, q = folder / "out.parquet", folder / "rejected.csv"
    r = CliRunner().invoke(app, ["apply", str(rules), "--input", str(data), "-o", str(out), "--engine", "python",
                                 "--quarantine", str(q), "--labels", "--attributes", *args])
    assert "Traceback" not in r.output, r.output
    return (r.exit_code, out.read_bytes() if out.exists() else None, q.read_bytes() if q.exists() else None,
            r.output.replace(str(folder), "FOLDER"))


def both(tmp_path, rules, data, monkeypatch, *args):
    """The run as it is, and the run with every row read by the validator."""
    fast = run(tmp_path, rules, data, "fast", *args)
    with monkeypatch.context() as m:
        m.setattr(sure_rows.BatchChecks, "check", lambda self, rb: None)
        slow = run(tmp_path, rules, data, "slow", *args)
    return fast, slow


OPTIONS = [[], ["--null-values", "NA"], ["--keep", "*"], ["--batch-size", "1"], ["--batch-size", "4"],
           ["--on-error", "fail"], ["--on-error", "skip", "--batch-size", "5", "--keep", "comment,note"]]


@pytest.mark.parametrize("args", OPTIONS, ids=lambda a: " ".join(a) or "default")
@pytest.mark.parametrize("order", ["clean_first", "mixed"])
def test_doubtful_values_give_the_same_bad_rows_as_the_validator(tmp_path, rules, monkeypatch, args, order):
    rows = CLEAN + DOUBTFUL if order == "clean_first" else [r for pair in zip(DOUBTFUL, CLEAN * 7) for r in pair]
    data = tmp_path / "in.parquet"
    write(data, rows)
    fast, slow = both(tmp_path, rules, data, monkeypatch, "--on-error", "quarantine", *args)
    assert fast == slow
    if "fail" not in args and "skip" not in args:
        assert fast[2].count(b"\n") > 14            # the quarantine file has the bad rows


OTHER_TYPES = {
    "ids as integers": (("id", pa.int64()), [1, 2, 3]),                    # a string field from integers
    "numbers as integers": (("spend", pa.int64()), [5, 600, -3]),
    "numbers as float32": (("spend", pa.float32()), [0.1, 600.5, float("nan")]),
    "ints as uint16": (("visits", pa.uint16()), [1, 3, 200]),
    "ints as int8": (("visits", pa.int8()), [-1, 100, 101]),
    "ints as text": (("visits", pa.string()), ["1", " 7 ", "x"]),
    "enum as dictionary": (("tier", pa.dictionary(pa.int32(), pa.string())), ["Gold", " Gold", None]),
    "enum as large text": (("tier", pa.large_string()), ["Silver", "Silver ", None]),
    "datetimes in nanoseconds": (("seen", pa.timestamp("ns")), [1_700_000_000_123_456_789, None, 5]),
    "datetimes with a zone": (("seen", pa.timestamp("us", "Asia/Shanghai")), [1_700_000_000_000_000, None, 0]),
    "a date beyond 9999": (("since", pa.date32()), [0, 3_000_000, None]),
    "dates as timestamps": (("since", pa.timestamp("ms")), [0, None, 86_400_000]),
}


@pytest.mark.parametrize("case", list(OTHER_TYPES))
@pytest.mark.parametrize("args", [[], ["--date-format", "%d/%m/%Y"], ["--batch-size", "2"]],
                         ids=["default", "date format", "batches of 2"])
def test_columns_of_other_types_give_the_same_rows(tmp_path, rules, monkeypatch, case, args):
    (name, type_), values = OTHER_TYPES[case]
    schema = pa.schema([pa.field(name, type_) if f.name == name else f for f in SCHEMA])
    i = SCHEMA.get_field_index(name)
    rows = [r[:i] + (values[n % len(values)],) + r[i + 1:] for n, r in enumerate(CLEAN * 2 + DOUBTFUL[:6])]
    rows = [(f"k{n}",) + r[1:] if name != "id" else r for n, r in enumerate(rows)]
    data = tmp_path / "in.parquet"
    write(data, rows, schema)
    fast, slow = both(tmp_path, rules, data, monkeypatch, "--on-error", "quarantine", *args)
    assert fast == slow and fast[0] == 0, fast[3]


RANKED = RULES + """
let rank = percent_rank(spend)
dimension ranked first {
  segment top when rank >= 0.5
  otherwise rest
}
"""


@pytest.mark.parametrize("args", [[], ["--keep", "*"], ["--batch-size", "4", "--null-values", "NA"]],
                         ids=["default", "keep", "batches of 4"])
def test_population_values_two_passes_give_the_same_rows(tmp_path, monkeypatch, args):
    rules = tmp_path / "ranked.seg"
    rules.write_text(RANKED, encoding="utf-8")
    data = tmp_path / "in.parquet"
    write(data, CLEAN + DOUBTFUL + CLEAN[:1])
    fast, slow = both(tmp_path, rules, data, monkeypatch, "--on-error", "quarantine", *args)
    assert fast == slow and fast[0] == 0, fast[3]


def test_several_files_repeat_keys_across_them(tmp_path, rules, monkeypatch):
    write(tmp_path / "in_1.parquet", CLEAN + DOUBTFUL[:4])
    write(tmp_path / "in_2.parquet", [])
    write(tmp_path / "in_3.parquet", DOUBTFUL[10:] + CLEAN)
    fast, slow = both(tmp_path, rules, tmp_path / "in_*.parquet", monkeypatch, "--on-error", "quarantine",
                      "--batch-size", "3")
    assert fast == slow
    assert b"first at row 1 of" in fast[2]


def test_clean_batches_never_reach_the_validator(tmp_path, rules, monkeypatch):
    data = tmp_path / "in.parquet"
    write(data, CLEAN * 2 + [("z" + r[0],) + r[1:] for r in CLEAN] + [DOUBTFUL[4]],
          row_group_size=3)
    converted = []
    convert = RowValidator.convert

    def counted(self, raw):
        converted.append(raw.row)
        return convert(self, raw)

    monkeypatch.setattr(RowValidator, "convert", counted)
    code, out, rejected, _ = run(tmp_path, rules, data, "fast", "--on-error", "quarantine")
    # rows 4 to 6 repeat keys: their batch is taken row by row, but each is typed by Arrow;
    # only the out-of-range spend (row 10) is the validator's
    assert code == 0 and converted == [10]
    assert rejected.count(b"appears twice") == 3 and b"spend = -5.0 is out of range" in rejected


def test_checks_name_the_unsure_rows(rules):
    schema = check_file(rules).ruleset.customer
    data = tmp_table(CLEAN + DOUBTFUL[:15])
    checks = sure_rows.BatchChecks(schema, ("id", "spend", "tier"), frozenset({"NA"}))
    checked = checks.check(data)
    assert checked.unsure == list(range(3, 18))
    assert checked.columns[0][:3] == ["c1", "c2", "c3"]
    assert checked.columns[2][:3] == ["gold", None, "other"]             # enum members by name
    assert sure_rows.BatchChecks(schema, ("id",), frozenset()).check(data.cast(pa.schema(
        [pa.field("id", pa.large_string()) if f.name == "id" else f for f in SCHEMA]))) is not None
    ints = pa.schema([pa.field("id", pa.int64()) if f.name == "id" else f for f in SCHEMA])
    assert checks.check(tmp_table([(1,) + r[1:] for r in CLEAN], ints)) is None    # every row is the validator's


def tmp_table(rows, schema=SCHEMA) -> pa.RecordBatch:
    cols = list(zip(*rows))
    return pa.record_batch([pa.array(c, f.type) for f, c in zip(schema, cols)], schema=schema)
