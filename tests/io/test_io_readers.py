"""Readers: every format, line numbers, encodings, bounded batches, errors."""
from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from segdsl.io import InputError, RawRow, columns, detect_format, expand, iter_files, read_batches, read_rows


def rows(path, **kw) -> list[RawRow]:
    return list(read_rows(path, **kw))


# ---- CSV -------------------------------------------------------------------------

def test_csv_values_are_text_as_in_the_file(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text('id,age,name\nC1,30, Ann \nC2,,"Smith, J"\n', encoding="utf-8")
    got = rows(p)
    assert [r.values for r in got] == [
        {"id": "C1", "age": "30", "name": " Ann "},
        {"id": "C2", "age": "", "name": "Smith, J"},
    ]
    assert [(r.row, r.line) for r in got] == [(1, 2), (2, 3)]
    assert all(r.path == str(p) and r.problem is None for r in got)
    assert columns(p) == ["id", "age", "name"]


def test_csv_quoted_multiline_cells_keep_line_numbers_right(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text('id,note\n'
                 'A,"first\nsecond\nthird"\n'
                 'B,plain\n'
                 'C,"say ""hi""\r\nthere"\n'
                 'D,end\n', encoding="utf-8", newline="")
    got = rows(p)
    assert [(r.values["id"], r.row, r.line) for r in got] == [("A", 1, 2), ("B", 2, 5), ("C", 3, 6), ("D", 4, 8)]
    assert got[0].values["note"] == "first\nsecond\nthird"
    assert got[2].values["note"] == 'say "hi"\r\nthere'


def test_csv_crlf_line_endings_and_blank_lines(tmp_path):
    p = tmp_path / "c.csv"
    p.write_bytes(b"id,x\r\nA,1\r\n\r\nB,2\r\n\r\n")
    got = rows(p)
    assert [(r.values, r.row, r.line) for r in got] == [({"id": "A", "x": "1"}, 1, 2), ({"id": "B", "x": "2"}, 2, 4)]


def test_csv_row_of_empty_cells_is_a_row(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("a,b\n,\n1,2\n")
    assert [r.values for r in rows(p)] == [{"a": "", "b": ""}, {"a": "1", "b": "2"}]


def test_csv_utf8_bom_is_not_part_of_the_first_column(tmp_path):
    p = tmp_path / "c.csv"
    p.write_bytes("\ufeff客户编号,年龄\nC1,3\n".encode("utf-8"))
    assert columns(p) == ["客户编号", "年龄"]
    assert rows(p)[0].values == {"客户编号": "C1", "年龄": "3"}


def test_csv_gbk_encoding(tmp_path):
    p = tmp_path / "gbk.csv"
    p.write_bytes("客户编号,城市\nC1,北京\nC2,上海\n".encode("gbk"))
    assert columns(p, encoding="gbk") == ["客户编号", "城市"]
    assert [r.values["城市"] for r in rows(p, encoding="gbk")] == ["北京", "上海"]


def test_csv_in_the_wrong_encoding_names_the_line(tmp_path):
    p = tmp_path / "gbk.csv"
    p.write_bytes("id,city\nC1,x\nC2,y\nC3,北京\n".encode("gbk"))
    with pytest.raises(InputError) as e:
        rows(p)
    assert e.value.line == 4
    assert "utf-8" in e.value.message and "line 4" in e.value.message
    assert e.value.path == str(p)


def test_unknown_encoding(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("a\n1\n")
    with pytest.raises(InputError, match="unknown encoding"):
        rows(p, encoding="no-such-codec")


def test_csv_semicolon_delimiter(tmp_path):
    p = tmp_path / "eu.csv"
    p.write_text('id;amount;note\nA;3,5;"x;y"\n', encoding="utf-8")
    assert columns(p, delimiter=";") == ["id", "amount", "note"]
    assert rows(p, delimiter=";")[0].values == {"id": "A", "amount": "3,5", "note": "x;y"}


def test_tsv_defaults_to_tab(tmp_path):
    p = tmp_path / "t.tsv"
    p.write_text("a\tb\n1\t2\n")
    assert rows(p)[0].values == {"a": "1", "b": "2"}
    assert rows(p, delimiter="\\t")[0].values == {"a": "1", "b": "2"}


def test_csv_null_values_option(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("a,b,c\nNA, NULL ,x\n")
    assert rows(p, null_values=["NA", "NULL"])[0].values == {"a": None, "b": None, "c": "x"}
    assert rows(p)[0].values == {"a": "NA", "b": " NULL ", "c": "x"}


def test_csv_ragged_rows_are_bad_rows_not_errors(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("a,b\n1,2\n1,2,3\n4\n5,6\n")
    got = rows(p)
    assert [r.row for r in got] == [1, 2, 3, 4]
    assert [r.problem for r in got] == [None, "has 3 cells but the header has 2 columns",
                                        "has 1 cell but the header has 2 columns", None]


def test_csv_bad_quoting_is_a_bad_row_and_reading_goes_on(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text('a,b\n1,2\n"x"y,3\n4,5\n')
    got = rows(p)
    assert [(r.row, r.line) for r in got] == [(1, 2), (2, 3), (3, 4)]
    assert got[1].problem and "cannot be read as CSV" in got[1].problem
    assert got[2].values == {"a": "4", "b": "5"}


def test_csv_unclosed_quote_is_an_error(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text('a,b\n1,2\n3,"never closed\n4,5\n')
    with pytest.raises(InputError, match="never closed") as e:
        rows(p)
    assert e.value.row == 2 and e.value.line == 3


def test_csv_header_only_and_empty_file(tmp_path):
    h = tmp_path / "h.csv"
    h.write_text("a,b\n")
    e = tmp_path / "e.csv"
    e.write_text("")
    assert rows(h) == [] and columns(h) == ["a", "b"]
    assert rows(e) == [] and columns(e) == []


def test_large_csv_is_read_in_bounded_batches(tmp_path):
    p = tmp_path / "big.csv"
    n = 200_000
    with open(p, "w", encoding="utf-8") as f:
        f.write("id,amount,city\n")
        for i in range(n):
            f.write(f"C{i},{i % 977}.5,city{i % 13}\n")
    sizes = []
    last = 0
    for batch in read_batches(p, batch_size=5000):
        sizes.append(len(batch))
        assert batch[0].row == last + 1
        last = batch[-1].row
    assert max(sizes) == 5000 and len(sizes) == 40 and sum(sizes) == n
    assert last == n
    # the default batch size is bounded too
    assert max(len(b) for b in read_batches(p)) <= 10_000


# ---- JSON Lines ------------------------------------------------------------------

def test_jsonl_rows_keep_json_types(tmp_path):
    p = tmp_path / "c.jsonl"
    p.write_text('{"id": "A", "n": 1, "x": 2.5, "ok": true, "city": "北京", "gone": null}\n'
                 '\n'
                 '{"id": "B"}\n', encoding="utf-8")
    got = rows(p)
    assert got[0].values == {"id": "A", "n": 1, "x": 2.5, "ok": True, "city": "北京", "gone": None}
    assert [(r.row, r.line) for r in got] == [(1, 1), (2, 3)]
    assert columns(p) == ["id", "n", "x", "ok", "city", "gone"]


def test_jsonl_malformed_line_reports_row_and_line(tmp_path):
    p = tmp_path / "c.ndjson"
    p.write_text('{"id": "A"}\n\n{"id": "B"}\n{"id": "C",}\n{"id": "D"}\n')
    with pytest.raises(InputError) as e:
        rows(p)
    assert e.value.line == 4 and e.value.row == 3
    assert "line 4" in e.value.message and "not valid JSON" in e.value.message
    assert e.value.where() == f"{p} row 3 (line 4)"


def test_jsonl_line_that_is_not_an_object(tmp_path):
    p = tmp_path / "c.jsonl"
    p.write_text('{"id": "A"}\n[1, 2]\n')
    with pytest.raises(InputError, match="not an object") as e:
        rows(p)
    assert e.value.line == 2


def test_json_array_file_gets_a_hint(tmp_path):
    p = tmp_path / "c.json"
    p.write_text('[\n{"id": "A"}\n]\n')
    with pytest.raises(InputError, match="JSON Lines needs one object per line"):
        rows(p)


def test_jsonl_batches_and_gbk(tmp_path):
    p = tmp_path / "c.jsonl"
    p.write_bytes("".join(json.dumps({"i": i, "城市": "北京"}, ensure_ascii=False) + "\n" for i in range(25)).encode("gbk"))
    batches = list(read_batches(p, encoding="gbk", batch_size=10))
    assert [len(b) for b in batches] == [10, 10, 5]
    assert batches[2][-1].values == {"i": 24, "城市": "北京"}
    assert batches[2][-1].line == 25


# ---- Parquet ---------------------------------------------------------------------

def test_parquet_rows_and_batches(tmp_path):
    p = tmp_path / "c.parquet"
    n = 2500
    table = pa.table({
        "id": [f"C{i}" for i in range(n)],
        "age": pa.array([i % 90 if i % 7 else None for i in range(n)], pa.int64()),
        "seen": pa.array([dt.date(2024, 1, 1)] * n, pa.date32()),
        "at": pa.array([dt.datetime(2024, 1, 1, 10, 30, 0, 123456)] * n, pa.timestamp("ns")),
    })
    pq.write_table(table, p, row_group_size=1000)
    batches = list(read_batches(p, batch_size=1000))
    assert [len(b) for b in batches] == [1000, 1000, 500]
    got = [r for b in batches for r in b]
    assert got[0] == RawRow(1, None, {"id": "C0", "age": None, "seen": dt.date(2024, 1, 1),
                                       "at": dt.datetime(2024, 1, 1, 10, 30, 0, 123456)}, str(p))
    assert got[-1].row == n and got[1].values["age"] == 1
    assert columns(p) == ["id", "age", "seen", "at"]


def test_not_a_parquet_file(tmp_path):
    p = tmp_path / "bad.parquet"
    p.write_text("id,age\n")
    with pytest.raises(InputError, match="Parquet"):
        rows(p)


# ---- files -----------------------------------------------------------------------

def test_missing_file(tmp_path):
    for name in ("nope.csv", "nope.jsonl", "nope.parquet"):
        with pytest.raises(InputError, match="not found") as e:
            rows(tmp_path / name)
        assert e.value.path == str(tmp_path / name)


def test_format_from_suffix(tmp_path):
    assert detect_format("a.CSV") == "csv"
    assert detect_format("a.tsv") == "tsv"
    assert detect_format("a.ndjson") == "jsonl"
    assert detect_format("a.jsonl") == "jsonl"
    assert detect_format("a.pq") == "parquet"
    assert detect_format("a.txt", fmt="csv") == "csv"
    with pytest.raises(InputError, match="suffix"):
        detect_format("a.xlsx")


def test_glob_reads_files_in_sorted_order_numbering_rows_per_file(tmp_path):
    (tmp_path / "part-2.csv").write_text("id\nC\nD\nE\n")
    (tmp_path / "part-1.csv").write_text("id\nA\nB\n")
    got = [r for b in iter_files(str(tmp_path / "part-*.csv"), batch_size=2) for r in b]
    assert [(r.values["id"], r.row, r.line, r.path.rsplit("/", 1)[-1]) for r in got] == [
        ("A", 1, 2, "part-1.csv"), ("B", 2, 3, "part-1.csv"),
        ("C", 1, 2, "part-2.csv"), ("D", 2, 3, "part-2.csv"), ("E", 3, 4, "part-2.csv")]
    with pytest.raises(InputError, match="no file matches"):
        expand(str(tmp_path / "none-*.csv"))


def test_input_error_where():
    assert InputError("x", "customers.csv", 4, 5).where() == "customers.csv row 4 (line 5)"
    assert str(InputError("bad", "customers.csv", 4, 5)) == "customers.csv row 4 (line 5): bad"
    assert InputError("x", "c.parquet", 7).where() == "c.parquet row 7"
    assert InputError("x", "c.csv", line=3).where() == "c.csv line 3"
    assert str(InputError("x")) == "x"


# ---- property: whatever the writer quotes, the reader gives back ------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

from segdsl.io import OutputColumn, open_output

_cells = st.text(alphabet=st.sampled_from(list('ab,;"\n 中\t')), max_size=8)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_cells, _cells), min_size=1, max_size=12))
def test_csv_cells_and_lines_survive_a_round_trip(tmp_path_factory, table):
    p = tmp_path_factory.mktemp("rt") / "t.csv"
    with open_output(p, [OutputColumn("a"), OutputColumn("b")]) as w:
        w.write([{"a": a, "b": b} for a, b in table])
    got = list(read_rows(p))
    assert [(r.values["a"], r.values["b"]) for r in got] == table
    line = 2
    for r, (a, b) in zip(got, table):
        assert r.line == line
        line += 1 + a.count("\n") + b.count("\n")
