"""Writers: every format round-trips, lists, and nothing half-written is left."""
from __future__ import annotations

import csv
import datetime as dt
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from segdsl.io import OutputColumn, RawRow, open_output, open_quarantine, output_format, read_rows

COLUMNS = [
    OutputColumn("customer_id", "string"),
    OutputColumn("age", "int"),
    OutputColumn("arpu", "number"),
    OutputColumn("active", "bool"),
    OutputColumn("joined", "date"),
    OutputColumn("seen_at", "datetime"),
    OutputColumn("tags", "list"),
]

ROWS = [
    {"customer_id": "C1", "age": 30, "arpu": 88.5, "active": True, "joined": dt.date(2024, 1, 31),
     "seen_at": dt.datetime(2024, 2, 1, 9, 30), "tags": ("senior", "高价值")},
    {"customer_id": "C2, \"quoted\"\nline", "age": None, "arpu": 3, "active": False, "joined": None,
     "seen_at": None, "tags": []},
    {"customer_id": "C3", "tags": None, "ignored": "x"},
]


def leftovers(directory) -> list[str]:
    return sorted(n for n in os.listdir(directory) if n.startswith("."))


def test_parquet_round_trip(tmp_path):
    p = tmp_path / "out.parquet"
    with open_output(p, COLUMNS) as w:
        w.write(ROWS[:2])
        w.write(ROWS[2:])
    t = pq.read_table(p)
    assert t.schema.field("tags").type == pa.list_(pa.string())
    assert t.schema.field("arpu").type == pa.float64()
    assert t.schema.field("seen_at").type == pa.timestamp("us")
    assert t.to_pylist() == [
        {"customer_id": "C1", "age": 30, "arpu": 88.5, "active": True, "joined": dt.date(2024, 1, 31),
         "seen_at": dt.datetime(2024, 2, 1, 9, 30), "tags": ["senior", "高价值"]},
        {"customer_id": "C2, \"quoted\"\nline", "age": None, "arpu": 3.0, "active": False, "joined": None,
         "seen_at": None, "tags": []},
        {"customer_id": "C3", "age": None, "arpu": None, "active": None, "joined": None, "seen_at": None,
         "tags": None},
    ]
    assert w.rows_written == 3 and w.state == "committed"
    assert leftovers(tmp_path) == []


def test_csv_round_trip(tmp_path):
    p = tmp_path / "out.csv"
    with open_output(p, COLUMNS) as w:
        w.write(ROWS)
    with open(p, encoding="utf-8", newline="") as f:
        got = list(csv.reader(f))
    assert got == [
        [c.name for c in COLUMNS],
        ["C1", "30", "88.5", "true", "2024-01-31", "2024-02-01 09:30:00", "senior|高价值"],
        ["C2, \"quoted\"\nline", "", "3.0", "false", "", "", ""],
        ["C3", "", "", "", "", "", ""],
    ]
    # and our own reader reads it back, line numbers included
    back = list(read_rows(p))
    assert [(r.row, r.line) for r in back] == [(1, 2), (2, 3), (3, 5)]
    assert back[1].values["customer_id"] == "C2, \"quoted\"\nline"


def test_jsonl_round_trip(tmp_path):
    p = tmp_path / "out.jsonl"
    with open_output(p, COLUMNS) as w:
        w.write(ROWS)
    lines = p.read_text(encoding="utf-8").splitlines()
    assert "高价值" in lines[0]                     # not \u escaped
    assert [json.loads(x) for x in lines] == [
        {"customer_id": "C1", "age": 30, "arpu": 88.5, "active": True, "joined": "2024-01-31",
         "seen_at": "2024-02-01T09:30:00", "tags": ["senior", "高价值"]},
        {"customer_id": "C2, \"quoted\"\nline", "age": None, "arpu": 3.0, "active": False, "joined": None,
         "seen_at": None, "tags": []},
        {"customer_id": "C3", "age": None, "arpu": None, "active": None, "joined": None, "seen_at": None,
         "tags": None},
    ]


@pytest.mark.parametrize("name", ["out.parquet", "out.csv", "out.jsonl"])
def test_arrow_table_input(tmp_path, name):
    p = tmp_path / name
    table = pa.table({"customer_id": ["A", "B"], "age": pa.array([1, None], pa.int32()),
                      "tags": pa.array([["x", "y"], []], pa.list_(pa.string()))})
    cols = [OutputColumn("customer_id"), OutputColumn("age", "int"), OutputColumn("tags", "list"),
            OutputColumn("arpu", "number")]
    with open_output(p, cols) as w:
        w.write(table)
    got = list(read_rows(p))
    assert [r.values["customer_id"] for r in got] == ["A", "B"]
    tags = [r.values["tags"] for r in got]
    assert tags == (["x|y", ""] if name.endswith(".csv") else [["x", "y"], []])


@pytest.mark.parametrize("name", ["out.parquet", "out.csv", "out.jsonl"])
def test_no_rows_still_gives_a_valid_file(tmp_path, name):
    p = tmp_path / name
    with open_output(p, COLUMNS):
        pass
    assert list(read_rows(p)) == []
    if name.endswith(".parquet"):
        assert pq.read_schema(p).names == [c.name for c in COLUMNS]


@pytest.mark.parametrize("name", ["out.parquet", "out.csv", "out.jsonl"])
def test_exception_leaves_no_file(tmp_path, name):
    p = tmp_path / name
    with pytest.raises(RuntimeError):
        with open_output(p, COLUMNS) as w:
            w.write(ROWS)
            assert os.path.exists(w.temp_path)
            temp = os.path.basename(w.temp_path)
            assert temp.startswith(".") and name in temp
            raise RuntimeError("engine failed")
    assert not p.exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("name", ["out.parquet", "out.csv", "out.jsonl"])
def test_exception_leaves_previous_output_untouched(tmp_path, name):
    p = tmp_path / name
    p.write_bytes(b"previous run")
    with pytest.raises(KeyError):
        with open_output(p, COLUMNS) as w:
            w.write(ROWS)
            raise KeyError("boom")
    assert p.read_bytes() == b"previous run"
    assert leftovers(tmp_path) == []


def test_clean_exit_replaces_previous_output(tmp_path):
    p = tmp_path / "out.csv"
    p.write_text("old\n")
    with open_output(p, [OutputColumn("a")]) as w:
        w.write([{"a": "new"}])
    assert p.read_text() == "a\nnew\n"
    assert leftovers(tmp_path) == []


def test_abort(tmp_path):
    p = tmp_path / "out.parquet"
    with open_output(p, COLUMNS) as w:
        w.write(ROWS)
        w.abort()
    assert not p.exists() and w.state == "aborted"
    assert leftovers(tmp_path) == []
    with pytest.raises(ValueError):
        w.write(ROWS)


def test_bad_value_for_a_parquet_column_aborts_cleanly(tmp_path):
    p = tmp_path / "out.parquet"
    with pytest.raises(ValueError, match="'age'"):
        with open_output(p, COLUMNS) as w:
            w.write([{"age": "thirty"}])
    assert not p.exists() and leftovers(tmp_path) == []


def test_output_file_gets_normal_permissions(tmp_path):
    p = tmp_path / "out.csv"
    with open_output(p, [OutputColumn("a")]) as w:
        w.write([{"a": "x"}])
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(p).st_mode & 0o777 == 0o666 & ~umask


def test_output_format_from_suffix():
    assert output_format("x.parquet") == "parquet"
    assert output_format("x.CSV") == "csv"
    assert output_format("x.ndjson") == "jsonl"
    assert output_format("x.dat", "csv") == "csv"
    with pytest.raises(ValueError, match="suffix"):
        output_format("x.xlsx")
    with pytest.raises(ValueError, match="kind"):
        OutputColumn("a", "float")


# ---- quarantine ---------------------------------------------------------------------

def test_quarantine_csv(tmp_path):
    p = tmp_path / "out.rejected.csv"
    rejected = [
        (RawRow(4, 5, {"id": "C4", "age": "130"}), "age = 130 is out of range 0..120"),
        (RawRow(9, 12, {"id": "C9", "age": "x\ny"}), "age = 'x\\ny' is not an integer"),
    ]
    with open_quarantine(p, ["id", "age"]) as q:
        q.write(rejected[:1])
        q.add(*rejected[1])
    with open(p, encoding="utf-8", newline="") as f:
        assert list(csv.reader(f)) == [
            ["_row", "_reason", "id", "age"],
            ["4", "age = 130 is out of range 0..120", "C4", "130"],
            ["9", "age = 'x\\ny' is not an integer", "C9", "x\ny"],
        ]
    assert q.rows_written == 2 and leftovers(tmp_path) == []


def test_quarantine_typed_values_become_text_and_jsonl_by_suffix(tmp_path):
    p = tmp_path / "bad.jsonl"
    raw = RawRow(2, None, {"id": 7, "ok": True, "when": dt.date(2024, 1, 1), "x": None, "_row": "clash"})
    with open_quarantine(p, ["id", "ok", "when", "x", "_row"]) as q:
        q.add(raw, "why")
    assert json.loads(p.read_text()) == {"_row": 2, "_reason": "why", "id": "7", "ok": "true",
                                         "when": "2024-01-01", "x": None, "_row_input": "clash"}


def test_quarantine_is_atomic_too(tmp_path):
    p = tmp_path / "rejected.csv"
    with pytest.raises(RuntimeError):
        with open_quarantine(p, ["id"]) as q:
            q.add(RawRow(1, 2, {"id": "C1"}), "bad")
            raise RuntimeError
    assert not p.exists() and leftovers(tmp_path) == []


def _big_table(n):
    return pa.table({"id": pa.array([f"c{i}" for i in range(n)]),
                     "seg": pa.array([None if i % 7 == 0 else ("a", "b", "c")[i % 3] for i in range(n)]),
                     "x": pa.array([i / 3 for i in range(n)], pa.float64()),
                     "tags": pa.array([["t1", "t2"][: i % 3] for i in range(n)], pa.list_(pa.string()))})


_BIG_COLUMNS = [OutputColumn("id", "string"), OutputColumn("seg", "string"), OutputColumn("x", "number"),
                OutputColumn("tags", "list")]


def test_parquet_bytes_do_not_depend_on_batches(tmp_path):
    """Row groups of a fixed size: the same rows give the same file however an
    engine batched them."""
    n = 300_000                                     # more than two row groups
    table = _big_table(n)
    files = []
    for size in (1_000, 70_000, n):
        p = tmp_path / f"batches_{size}.parquet"
        with open_output(p, _BIG_COLUMNS) as out:
            for batch in table.to_batches(max_chunksize=size):
                out.write(pa.Table.from_batches([batch]))
        files.append(p)
    p = tmp_path / "rows.parquet"
    with open_output(p, _BIG_COLUMNS) as out:
        out.write(table.slice(0, 5).to_pylist())
        out.write(table.slice(5).to_pylist())
    files.append(p)
    assert len({f.read_bytes() for f in files}) == 1
    meta = pq.read_metadata(files[0])
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [131072, 131072, n - 2 * 131072]
    assert pq.read_table(files[0]).equals(table)
    assert not list(tmp_path.glob(".*"))
