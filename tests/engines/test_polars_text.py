"""The polars engine's own CSV path gives exactly what the Python engine gives.

polars reads a CSV file itself only while every line and cell is one both
readers read alike; anything else sends the run back to the shared reader.
Clean files check that polars' path is the one taken (the careful path is
made to fail); files with one doubtful cell check that the run starts again
and that the output, the rejected rows and the messages are the Python
engine's, byte for byte."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from segdsl.check.frontend import check_file
from segdsl.cli import app
from segdsl.engines import polars as polars_engine
from segdsl.engines import polars_text
from segdsl.engines.options import ApplyOptions
from tests.engines.test_duckdb_text import _CELLS, CLEAN, HEADER, RULES, run_engines, spied, write_csv

POLICIES = ["fail", "skip", "quarantine"]


@pytest.fixture
def rules(tmp_path):
    p = tmp_path / "shop.seg"
    p.write_text(RULES, encoding="utf-8")
    return p


def same_as_python(tmp_path, rules, data, *args):
    outs = run_engines(tmp_path, rules, data, ("polars", "python"), ".csv", *args)
    assert outs["polars"] == outs["python"]
    return outs["polars"]


def taken(monkeypatch) -> list:
    """Records whether each polars run finished on its clean path."""
    return spied(monkeypatch, polars_engine._PolarsRun, "clean_pass_or_not")


def no_careful_path(monkeypatch):
    def refuse(self, layout):
        raise AssertionError("the careful path was taken")
    monkeypatch.setattr(polars_engine._PolarsRun, "careful_pass", refuse)


def polars_only(tmp_path, rules, data, *args):
    out = tmp_path / "out_polars.csv"
    r = CliRunner().invoke(app, ["apply", str(rules), "--input", str(data), "-o", str(out), "--engine", "polars",
                                 "--labels", "--attributes", *args])
    assert r.exit_code == 0, r.output
    return out.read_bytes()


def test_clean_csv_is_read_by_polars(tmp_path, rules, monkeypatch):
    data = tmp_path / "in.csv"
    write_csv(data, CLEAN)
    expected = same_as_python(tmp_path, rules, data, "--on-error", "quarantine")[1]
    no_careful_path(monkeypatch)
    assert polars_only(tmp_path, rules, data, "--on-error", "quarantine") == expected


def test_clean_tsv_with_a_byte_order_mark_and_crlf_lines_is_read_by_polars(tmp_path, rules, monkeypatch):
    seen = taken(monkeypatch)
    data = tmp_path / "in.tsv"
    lines = ["\t".join(HEADER)] + ["\t".join(r) for r in CLEAN]
    data.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8") + b"\r\n")
    same_as_python(tmp_path, rules, data)
    assert seen == [True]


def test_files_of_a_pattern_are_numbered_on(tmp_path, rules, monkeypatch):
    """The second file's rows follow the first's: a `unique` conflict there is found by the
    query and read back by the shared reader with its own file and row number."""
    seen = taken(monkeypatch)
    (tmp_path / "in").mkdir()
    write_csv(tmp_path / "in" / "a.csv", CLEAN)
    write_csv(tmp_path / "in" / "b.csv", [["c4", "5", "", "2", "", "", "", ""], ["c5", "5", "", "3", "", "", "", ""]])
    for policy in POLICIES:
        same_as_python(tmp_path, rules, tmp_path / "in" / "*.csv", "--on-error", policy)
    assert seen == [True, True, True]


@pytest.mark.parametrize("policy", POLICIES)
def test_a_unique_conflict_is_a_bad_row_on_the_clean_path(tmp_path, rules, monkeypatch, policy):
    seen = taken(monkeypatch)
    data = tmp_path / "in.csv"
    write_csv(data, CLEAN + [["c4", "5", "", "3", "", "", "", ""]])
    code, _, quarantine, _ = same_as_python(tmp_path, rules, data, "--on-error", policy)
    assert seen == [True] and (code == 1) == (policy == "fail")
    assert (quarantine is not None) == (policy == "quarantine")


UNSURE = {
    "padded": ["c4", " 150", "", "", "", "", "", ""],
    "int_exponent": ["c4", "5", "", "1e3", "", "", "", ""],
    "trailing_space": ["c4", "5 ", "", "", "", "", "", ""],
    "plus": ["c4", "+5", "", "", "", "", "", ""],
    "underscore": ["c4", "1_000", "", "", "", "", "", ""],
    "overflow": ["c4", "1e999", "", "", "", "", "", ""],
    "nan": ["c4", "nan", "", "", "", "", "", ""],
    "spaces": ["c4", "5", "", " ", "", "", "", ""],
    "alias": ["c4", "5", "金卡", "", "", "", "", ""],
    "enum_case": ["c4", "5", "gold", "", "", "", "", ""],
    "int_float": ["c4", "5", "", "3.0", "", "", "", ""],
    "int_fraction": ["c4", "5", "", "12.5", "", "", "", ""],
    "range": ["c4", "-5", "", "", "", "", "", ""],
    "int_range": ["c4", "5", "", "1001", "", "", "", ""],
    "enum": ["c4", "5", "Bronze", "", "", "", "", ""],
    "repeat": ["c1", "5", "", "", "", "", "", ""],
    "no_key": ["", "5", "", "", "", "", "", ""],
    "bool": ["c4", "5", "", "", "maybe", "", "", ""],
    "bool_t": ["c4", "5", "", "", "t", "", "", ""],
    "date": ["c4", "5", "", "", "", "2026-02-30", "", ""],
    "date_form": ["c4", "5", "", "", "", "2026-1-5", "", ""],
    "date_slash": ["c4", "5", "", "", "", "2026/01/05", "", ""],
    "year_0": ["c4", "5", "", "", "", "0000-01-01", "", ""],
    "datetime_t": ["c4", "5", "", "", "", "", "2026-01-01T10:00", ""],
    "second_60": ["c4", "5", "", "", "", "", "2025-05-01 08:30:60", ""],
    "hour_24": ["c4", "5", "", "", "", "", "2025-05-01 24:00:00", ""],
    "ragged": ["c4", "5"],
    "long_row": ["c4", "5", "", "", "", "", "", "", ""],
}


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("row", list(UNSURE.values()), ids=list(UNSURE))
def test_one_unsure_cell_sends_the_run_to_the_shared_reader(tmp_path, rules, monkeypatch, row, policy):
    seen = taken(monkeypatch)
    data = tmp_path / "in.csv"
    write_csv(data, CLEAN + [row])
    same_as_python(tmp_path, rules, data, "--on-error", policy)
    assert seen == [False]


@pytest.mark.parametrize("text", [
    "\n\n",                     # a blank line (not a row to the shared reader)
    "c5,5,,,,,,\rc6,5,,,,,,\n",  # a carriage return alone (a line break to it)
    "c5,5,,,,,,x\x00y\n",        # a NUL
], ids=["blank_line", "lone_cr", "nul"])
def test_lines_the_shared_reader_reads_otherwise_send_the_run_back(tmp_path, rules, monkeypatch, text):
    seen = taken(monkeypatch)
    data = tmp_path / "in.csv"
    write_csv(data, CLEAN)
    data.write_bytes(data.read_bytes() + text.encode("utf-8") + b"c9,1,,,,,,\n")
    same_as_python(tmp_path, rules, data, "--on-error", "quarantine")
    assert seen == [False]


@pytest.mark.parametrize("text", ['c4,"5",,,,,,\n', 'c4,5,,,,,,"a,b"\n', 'c4,5,,,,,,a"b\n', 'c4,5,,,,,,"a"b\n'],
                         ids=["quoted", "quoted_comma", "inner_quote", "bad_quote"])
def test_a_file_with_quotes_is_left_to_the_shared_reader(tmp_path, rules, monkeypatch, text):
    seen = taken(monkeypatch)
    data = tmp_path / "in.csv"
    write_csv(data, CLEAN)
    data.write_bytes(data.read_bytes() + text.encode("utf-8"))
    for policy in POLICIES:
        same_as_python(tmp_path, rules, data, "--on-error", policy)
    assert seen == []


def test_bytes_that_are_not_utf8_send_the_run_back(tmp_path, rules, monkeypatch):
    """Far enough from the header for the header to be read: polars refuses the file, and the
    run starts again on the shared reader, which says where the bytes are."""
    seen = taken(monkeypatch)
    data = tmp_path / "in.csv"
    write_csv(data, CLEAN + [[f"k{i}", "5", "", "", "", "", "", ""] for i in range(5000)])
    data.write_bytes(data.read_bytes() + b"c9,1,,,,,,\xff\n")
    same_as_python(tmp_path, rules, data)
    assert seen == [False]


@pytest.mark.parametrize("spend", ["1e3", "1.5E-2", "-0", "007", "100000.0", "0.1000", "12345678901234567890e-15",
                                   "99999.99999999999999999", "0.1", "2.2250738585072011e-308"])
def test_plain_decimals_are_read_by_polars_as_python_reads_them(tmp_path, monkeypatch, spend):
    seen = taken(monkeypatch)
    rules = tmp_path / "n.seg"
    rules.write_text("ruleset n\ninput customer key id { id: string  x: number? }\n"
                     "dimension s first { segment big when x > 1  otherwise small }\n"
                     "dimension e first { segment same when x = 0.1  otherwise other }\n")
    data = tmp_path / "in.csv"
    write_csv(data, [["a", spend]], header=["id", "x"])
    out = same_as_python(tmp_path, rules, data, "--on-error", "quarantine")
    assert seen == [True] and out[2].count(b"\n") == 1      # the quarantine file: its header only


@pytest.mark.parametrize("keys", [["1.5", "1.50"], ["0", "-0"], ["0", "-0.0"]], ids=["trailing_zero", "zero", "zero_f"])
def test_number_keys_that_are_one_key_to_python(tmp_path, monkeypatch, keys):
    rules = tmp_path / "k.seg"
    rules.write_text("ruleset k\ninput customer key id { id: number  x: int? }\n"
                     "dimension s first { segment big when x > 1  otherwise small }\n")
    data = tmp_path / "in.csv"
    write_csv(data, [[k, "2"] for k in keys], header=["id", "x"])
    out = same_as_python(tmp_path, rules, data, "--on-error", "quarantine")
    assert out[2].count(b"\n") == 2      # the repeat is quarantined


def test_a_keyless_input_numbers_its_customers_by_row(tmp_path, monkeypatch):
    seen = taken(monkeypatch)
    rules = tmp_path / "r.seg"
    rules.write_text("ruleset r\ninput customer { x: int?  t: enum { a, b }? }\n"
                     "dimension s first { segment big when x > 1  otherwise small }\n"
                     "dimension u unique { segment p when t = a  segment q when x = 3  otherwise o }\n")
    data = tmp_path / "in.csv"
    write_csv(data, [["2", "a"], ["", ""], ["3", "a"], ["5", "b"]], header=["x", "t"])
    for policy in POLICIES:
        same_as_python(tmp_path, rules, data, "--on-error", policy)
    assert seen == [True, True, True]


def test_a_single_column_file_with_a_blank_line(tmp_path, monkeypatch):
    """A blank line is no row to the shared reader, and an empty cell to a line splitter."""
    seen = taken(monkeypatch)
    rules = tmp_path / "r.seg"
    rules.write_text("ruleset r\ninput customer { x: int? }\n"
                     "dimension s first { segment big when x > 1  otherwise small }\n")
    data = tmp_path / "in.csv"
    data.write_text("x\n2\n\n3\n", encoding="utf-8")
    same_as_python(tmp_path, rules, data)
    assert seen == [False]


def test_a_bad_date_in_a_field_with_a_default_is_still_bad(tmp_path, monkeypatch):
    seen = taken(monkeypatch)
    rules = tmp_path / "d.seg"
    rules.write_text("ruleset d\ninput customer key id { id: string  since: date = 2026-01-01 }\n"
                     "dimension v first { segment old when since < 2025-01-01  otherwise new }\n")
    data = tmp_path / "in.csv"
    write_csv(data, [["a", "2026-02-30"], ["b", ""]], header=["id", "since"])
    out = same_as_python(tmp_path, rules, data, "--on-error", "quarantine")
    assert b"2026-02-30" in out[2] and seen == [False]


@pytest.mark.parametrize("cell", ["inf", "-inf", "nan", "10000-01-01", "0001-01-01 (BC)", "2026-01-05 08:30:00.123456",
                                  "2026-01-05 08:30:00.5", "2026-01-05 08:30"],
                         ids=["inf", "minus_inf", "nan", "year_10000", "bc", "micro", "fraction", "minutes"])
def test_values_the_validator_reads_otherwise(tmp_path, monkeypatch, cell):
    rules = tmp_path / "v.seg"
    rules.write_text("ruleset v\ninput customer key id { id: string  x: number?  d: date?  t: datetime? }\n"
                     "dimension s first { segment big when x > 1 or d > 2026-01-01 or t > 2026-01-05T08:30:00"
                     "  otherwise small }\n")
    data = tmp_path / "in.csv"
    date_like = cell[0].isdigit()
    write_csv(data, [["a", "1", "", ""], ["b", "" if date_like else cell, cell if date_like else "",
                                          cell if date_like else ""]], header=["id", "x", "d", "t"])
    same_as_python(tmp_path, rules, data, "--on-error", "quarantine")


def test_not_taken_with_options_only_the_shared_reader_knows(tmp_path, rules):
    checked = check_file(rules)
    assert checked.ok, checked.diagnostics
    rs = checked.ruleset
    data = tmp_path / "in.csv"
    write_csv(data, CLEAN)
    assert polars_text.eligible(rs, ApplyOptions(inputs={"customer": data}))
    for extra in ({"null_values": ("NA",)}, {"date_format": "%d/%m/%Y"}, {"encoding": "gbk"}, {"keep": ("note",)}):
        assert not polars_text.eligible(rs, ApplyOptions(inputs={"customer": data}, **extra))
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text('{"客户编号": "c1"}\n', encoding="utf-8")
    assert polars_text.eligible(rs, ApplyOptions(inputs={"customer": jsonl}))      # read by polars too
    starts_blank = tmp_path / "blank.csv"
    starts_blank.write_text("\n" + data.read_text(encoding="utf-8"), encoding="utf-8")
    assert not polars_text.eligible(rs, ApplyOptions(inputs={"customer": starts_blank}))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(*_CELLS.values()), max_size=8), clean_share=st.booleans(),
       policy=st.sampled_from(POLICIES))
def test_random_csv_files_identical_to_python(tmp_path, rules, rows, clean_share, policy):
    data = tmp_path / "in.csv"
    write_csv(data, (CLEAN if clean_share else []) + [list(r) for r in rows])
    same_as_python(tmp_path, rules, data, "--on-error", policy)
