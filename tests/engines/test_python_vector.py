"""The Python engine's vector form on real Parquet files: a clean batch is segmented by
Arrow compute over its typed columns (backends/vector.py). It must never show: the output,
the quarantine file and the messages are those of the generated code over the same batches
(the vector form switched off) and of the validator reading every row (Arrow's checks
switched off), whatever the columns' Arrow types; a batch with a value the vector form
cannot compute exactly goes to the generated code alone."""
from __future__ import annotations

import datetime as dt
import importlib

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from segdsl.backends import vector
from segdsl.engines import sure_rows
from tests.engines.test_python_sure_rows import run, write

python_engine = importlib.import_module("segdsl.engines.python")

RULES = """ruleset mix
param floor: number = 100
input customer key id {
  id:     string
  spend:  number? missing -1 in 0..1000
  visits: int missing 999 = 0
  tier:   enum { gold = "Gold", silver = "Silver", other }? missing "?"
  note:   string? missing "n/a"
  vip:    bool?
  since:  date?
  seen:   datetime?
}
let per_visit = spend / visits
dimension value first {
  segment big  when spend >= 500 or per_visit > floor
  segment some when spend >= 0
}
dimension tags all {
  segment gold     when tier = gold
  segment frequent when visits >= 5
  segment noted    when note is not null
  segment old      when since < 2026-01-01 or seen < 2026-01-01T00:00:00
  segment vip      when vip
  segment huge     when visits > 9007199254740993.0
}
dimension pick first {
  segment spender when value = big and gold in tags
  segment unknown when value is null
  otherwise rest
}
"""

SCHEMA = pa.schema([("id", pa.string()), ("spend", pa.float64()), ("visits", pa.int64()), ("tier", pa.string()),
                    ("note", pa.string()), ("vip", pa.bool_()), ("since", pa.date32()),
                    ("seen", pa.timestamp("us")), ("comment", pa.string())])

D, T = dt.date(2025, 3, 1), dt.datetime(2026, 2, 1, 8, 30)
SURE = [            # rows Arrow's checks prove clean
    ("c1", 700.0, 7, "Gold", "hi", True, D, T, "x"),
    ("c2", 10.0, None, None, None, None, None, None, None),
    ("c3", None, 2, "other", "", False, dt.date(2026, 5, 1), None, "NA"),
    ("c4", 900.0, 0, "Gold", None, None, None, dt.datetime(2025, 1, 1), "y"),
    ("c5", 300.0, 2, "Silver", "ok", True, D, None, None),
    ("c6", 0.0, 1, "Gold", "n", False, dt.date(2027, 1, 1), dt.datetime(2027, 1, 1), ""),
]
DOUBT = [           # rows the validator reads: `missing` values, a value out of range
    ("d1", 900.0, 0, "Gold", "n/a", None, None, None, "y"),
    ("d2", -1.0, 999, "?", None, None, None, None, None),
    ("d3", 5000.0, 1, None, None, None, None, None, None),
]
BIG = ("c8", 1.0, 2 ** 53 + 1, "Gold", None, None, None, None, None)  # beyond 2**53 against a double


def three_ways(tmp_path, data, monkeypatch, *args, text=RULES):
    """(the run as it is, the sizes of the batches the vector form segmented, the run without
    the vector form, the run with every row read by the validator)."""
    rules = tmp_path / "mix.seg"
    rules.write_text(text, encoding="utf-8")
    segmented = []
    evaluate = vector.VectorProgram.evaluate

    def counted(self, columns, n, params):
        got = evaluate(self, columns, n, params)
        segmented.append(n)
        return got
    with monkeypatch.context() as m:
        m.setattr(vector.VectorProgram, "evaluate", counted)
        fast = run(tmp_path, rules, data, "vector", "--keep", "*", *args)
    with monkeypatch.context() as m:
        m.setattr(python_engine, "compile_vector", lambda plan: None)
        loop = run(tmp_path, rules, data, "loop", "--keep", "*", *args)
    with monkeypatch.context() as m:
        m.setattr(sure_rows.BatchChecks, "check", lambda self, rb: None)
        slow = run(tmp_path, rules, data, "validator", "--keep", "*", *args)
    return fast, segmented, loop, slow


def test_the_rules_have_a_vector_form():
    from segdsl.check.frontend import check_file
    from segdsl.passes import build_plan
    assert vector.unsupported(build_plan(check_file("mix.seg", text=RULES).ruleset)) is None


@pytest.mark.parametrize("args", [["--batch-size", "6"], ["--batch-size", "2"],
                                  ["--batch-size", "6", "--null-values", "NA"]],
                         ids=["batches of 6", "batches of 2", "null spelling"])
def test_clean_batches_give_the_same_files_as_the_generated_code_and_the_validator(tmp_path, monkeypatch, args):
    data = tmp_path / "in.parquet"
    write(data, [(f"k{i}",) + r[1:] for i, r in enumerate(SURE * 2)] + DOUBT, schema=SCHEMA, row_group_size=6)
    fast, segmented, loop, slow = three_ways(tmp_path, data, monkeypatch, "--on-error", "quarantine", *args)
    assert fast == loop == slow and fast[0] == 0, fast[3]
    assert sum(segmented) >= 12           # the clean row groups went through the vector form
    assert b"spend" in fast[2]            # the bad row is in the quarantine file


OTHER_TYPES = {
    "numbers as integers": (("spend", pa.int64()), [5, 600, None]),
    "numbers as float32": (("spend", pa.float32()), [0.1, 600.5, None]),
    "ints as uint16": (("visits", pa.uint16()), [1, 30, None]),
    "enum as dictionary": (("tier", pa.dictionary(pa.int32(), pa.string())), ["Gold", "other", None]),
    "enum as large text": (("tier", pa.large_string()), ["Silver", "Gold", None]),
    "datetimes in milliseconds": (("seen", pa.timestamp("ms")), [1_700_000_000_123, None, 5]),
    "dates as timestamps": (("since", pa.timestamp("ms")), [0, None, 86_400_000]),
    "texts as large text": (("note", pa.large_string()), ["", "x", None]),
}


@pytest.mark.parametrize("case", list(OTHER_TYPES))
def test_columns_of_other_types_give_the_same_files(tmp_path, monkeypatch, case):
    (name, type_), values = OTHER_TYPES[case]
    schema = pa.schema([pa.field(name, type_) if f.name == name else f for f in SCHEMA])
    i = SCHEMA.get_field_index(name)
    rows = [(f"k{n}",) + r[1:i] + (values[n % len(values)],) + r[i + 1:] for n, r in enumerate(SURE * 2)]
    data = tmp_path / "in.parquet"
    write(data, rows, schema=schema)
    fast, segmented, loop, slow = three_ways(tmp_path, data, monkeypatch, "--on-error", "quarantine")
    assert fast == loop == slow and fast[0] == 0, fast[3]
    # a column that does not fit its field leaves its batch to the validator (engines/sure_rows.py)
    assert segmented == ([] if case == "dates as timestamps" else [12])


def test_a_batch_it_cannot_compute_exactly_goes_to_the_generated_code(tmp_path, monkeypatch):
    """A whole number beyond 2**53 compared with a double: Python compares exactly, Arrow
    would round; that batch alone is segmented by the generated code."""
    data = tmp_path / "in.parquet"
    write(data, [(f"k{i}",) + r[1:] for i, r in enumerate(SURE * 2)] + [BIG] + DOUBT, schema=SCHEMA, row_group_size=6)
    fast, segmented, loop, slow = three_ways(tmp_path, data, monkeypatch, "--on-error", "quarantine",
                                             "--batch-size", "6")
    assert fast == loop == slow and fast[0] == 0, fast[3]
    assert segmented == [6, 6]            # the third row group (the big number) was not
    out = {row["id"]: row for row in pq.read_table(tmp_path / "vector" / "out.parquet").to_pylist()}
    assert out["c8"]["tags"] == ["gold", "frequent", "huge"]   # exactly: Arrow would round it to 2**53


def test_a_batch_with_a_unique_conflict_goes_to_the_generated_code(tmp_path, monkeypatch):
    """A `unique` dimension: batches where no customer is in two of its segments are
    segmented by the vector form; the batch with a conflict by the generated code, which
    makes that customer a bad row with its reason."""
    text = RULES + """
dimension only unique {
  segment rich  when spend >= 800
  segment loyal when visits >= 7
  otherwise plain
}
"""
    data = tmp_path / "in.parquet"
    both_segments = ("x1", 900.0, 8, None, None, None, None, None, None)
    write(data, [(f"k{i}",) + r[1:] for i, r in enumerate(SURE * 2)] + [both_segments] + SURE[1:], schema=SCHEMA,
          row_group_size=6)
    fast, segmented, loop, slow = three_ways(tmp_path, data, monkeypatch, "--on-error", "quarantine",
                                             "--batch-size", "6", text=text)
    assert fast == loop == slow and fast[0] == 0, fast[3]
    assert segmented == [6, 6]
    assert b"x1" in fast[2] and b"rich" in fast[2] and b"loyal" in fast[2]
