"""The polars engine's own JSON Lines path gives exactly what the Python engine gives.

polars reads a JSON Lines file itself only while every line is one JSON object of
JSON's grammar and every field's value one both readers read alike; anything else
sends the run back to the shared reader. Clean files check that polars' path is the
one taken (the careful path is made to fail); files with one doubtful value check
that the run starts again and that the output, the rejected rows and the messages
are the Python engine's, byte for byte, under every `--on-error` policy."""
from __future__ import annotations

import json

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segdsl.check.frontend import check_file
from segdsl.engines import polars_text
from segdsl.engines.options import ApplyOptions
from tests.engines.test_duckdb_text import _JSON_VALUES, CLEAN_JSON, RULES, write_jsonl
from tests.engines.test_polars_text import POLICIES, no_careful_path, polars_only, same_as_python, taken


@pytest.fixture
def rules(tmp_path):
    p = tmp_path / "shop.seg"
    p.write_text(RULES, encoding="utf-8")
    return p


def write_lines(path, lines: list[str], end: str = "\n", head: bytes = b"") -> None:
    path.write_bytes(head + "".join(x + end for x in lines).encode("utf-8"))


def dumped(rows: list[dict]) -> list[str]:
    return [json.dumps(r, ensure_ascii=False) for r in rows]


def all_policies(tmp_path, rules, data) -> None:
    for policy in POLICIES:
        same_as_python(tmp_path, rules, data, "--on-error", policy)


def test_clean_jsonl_is_read_by_polars(tmp_path, rules, monkeypatch):
    data = tmp_path / "in.jsonl"
    write_jsonl(data, CLEAN_JSON)
    expected = same_as_python(tmp_path, rules, data, "--on-error", "quarantine")[1]
    no_careful_path(monkeypatch)
    assert polars_only(tmp_path, rules, data, "--on-error", "quarantine") == expected


@pytest.mark.parametrize("end,head", [("\r\n", b""), ("\n", b"\xef\xbb\xbf"), ("\r\n", b"\xef\xbb\xbf")],
                         ids=["crlf", "bom", "bom_crlf"])
def test_crlf_lines_and_a_byte_order_mark_are_read_by_polars(tmp_path, rules, monkeypatch, end, head):
    seen = taken(monkeypatch)
    data = tmp_path / "in.ndjson"
    write_lines(data, dumped(CLEAN_JSON), end, head)
    all_policies(tmp_path, rules, data)
    assert seen == [True] * 3


@pytest.mark.parametrize("blank", ["", "  ", " \t "], ids=["empty", "spaces", "tab"])
def test_blank_lines_are_no_rows(tmp_path, rules, monkeypatch, blank):
    """Blank lines anywhere are left out and the rows after them numbered as the shared reader
    numbers them: a `unique` conflict after them is read back with its own number."""
    seen = taken(monkeypatch)
    data = tmp_path / "in.jsonl"
    conflict = json.dumps({"客户编号": "c9", "visits": 3}, ensure_ascii=False)
    write_lines(data, [blank, *dumped(CLEAN_JSON[:2]), blank, blank, *dumped(CLEAN_JSON[2:]), conflict, blank])
    all_policies(tmp_path, rules, data)
    assert seen == [True] * 3


def test_files_of_a_pattern_are_numbered_on(tmp_path, rules, monkeypatch):
    seen = taken(monkeypatch)
    (tmp_path / "in").mkdir()
    write_jsonl(tmp_path / "in" / "a.jsonl", CLEAN_JSON)
    write_lines(tmp_path / "in" / "b.jsonl", ['{"客户编号": "c4", "visits": 2}', "",
                                              '{"客户编号": "c5", "visits": 3}'], head=b"\xef\xbb\xbf")
    all_policies(tmp_path, rules, tmp_path / "in" / "*.jsonl")
    assert seen == [True] * 3


@pytest.mark.parametrize("policy", POLICIES)
def test_a_unique_conflict_is_a_bad_row_on_the_clean_path(tmp_path, rules, monkeypatch, policy):
    seen = taken(monkeypatch)
    data = tmp_path / "in.jsonl"
    write_jsonl(data, CLEAN_JSON + [{"客户编号": "c4", "visits": 3}])
    code, _, quarantine, _ = same_as_python(tmp_path, rules, data, "--on-error", policy)
    assert seen == [True] and (code == 1) == (policy == "fail")
    assert (quarantine is not None) == (policy == "quarantine")


def test_a_keyless_input_numbers_its_customers_by_row(tmp_path, monkeypatch):
    seen = taken(monkeypatch)
    rules = tmp_path / "r.seg"
    rules.write_text("ruleset r\ninput customer { x: int?  t: enum { a, b }? }\n"
                     "dimension s first { segment big when x > 1  otherwise small }\n"
                     "dimension u unique { segment p when t = a  segment q when x = 3  otherwise o }\n")
    data = tmp_path / "in.jsonl"
    write_lines(data, ['{"x": 2, "t": "a"}', "", "{}", '{"x": null}', '{"x": 3, "t": "a"}', '{"t": "b", "x": 5}'])
    all_policies(tmp_path, rules, data)
    assert seen == [True] * 3


# Each: a last row's changes to {"客户编号": "c9", "spend": 5}, and whether polars still reads the
# file itself (a value both readers read alike) or sends the run to the shared reader.
CHANGES = {
    # the cases of test_duckdb_text.py
    "text_number": ({"spend": "150"}, True),         # text, read as a CSV cell's
    "float_int": ({"visits": 3.0}, False),
    "int_bool": ({"vip": 1}, True),                  # 0 and 1 are booleans to the validator
    "range": ({"visits": -1}, False),
    "enum": ({"tier": "Bronze"}, False),
    "no_key": ({"客户编号": ""}, False),
    "repeat": ({"客户编号": "c1"}, False),
    "huge": ({"spend": 1e400}, False),               # written as Infinity
    # typed values
    "float_12": ({"visits": 12.0}, False),
    "exponent_int": ({"visits": 1e3}, False),
    "exponent_number": ({"spend": 1.5e3}, True),
    "true_int": ({"visits": True}, False),
    "text_int": ({"visits": "12"}, True),
    "padded_text_int": ({"visits": " 12"}, False),
    "text_of_spaces": ({"visits": "  "}, False),
    "big_int": ({"visits": 123456789012345678901234567890}, False),
    "big_int_number": ({"spend": -123456789012345678901234567890}, False),     # out of range
    "big_int_key": ({"客户编号": 123456789012345678901234567890}, True),
    "int_key": ({"客户编号": 42}, True),
    "float_key": ({"客户编号": 4.5}, False),
    "bool_key": ({"客户编号": False}, False),
    "int_enum": ({"tier": 1}, False),
    "number_date": ({"since": 20260105}, False),
    "bool_text": ({"vip": "No"}, True),
    "bool_2": ({"vip": 2}, False),
    "null_required": ({"visits": None}, True),       # a default
    "null_key": ({"客户编号": None}, False),
    "array": ({"spend": [1, 2]}, False),
    "object": ({"spend": {"a": 1}}, False),
    "nested_neighbours": ({"extra": {"a": [1, "x"], "c": {"b": None}}, "more": [[]]}, True),
    "deeper_neighbours": ({"extra": {"a": [1, {"b": None}], "c": "x"}}, False),
    "deep_neighbours": ({"extra": [[[1]]]}, False),
    "field_name_nested": ({"extra": {"visits": 7}}, False),
    "field_name_nested_and_own": ({"extra": {"visits": 7}, "visits": 2}, False),
    "field_name_in_text": ({"note": "visits", "extra": "\"visits\": 9"}, True),
    "escapes": ({"note": "tab\there \"quoted\" back\\slash é 😀 \u2028"}, True),
    "escaped_key": ({"客户编号": "c\u00e9\u4e2d"}, True),
    "enum_alias": ({"tier": "金卡"}, False),
    "control_character": ({"note": "\x01"}, True),
}


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("change,clean", list(CHANGES.values()), ids=list(CHANGES))
def test_one_value_both_read_alike_or_the_shared_reader(tmp_path, rules, monkeypatch, change, clean, policy):
    seen = taken(monkeypatch)
    data = tmp_path / "in.jsonl"
    row = {"客户编号": "c9", "spend": 5, **change}
    write_lines(data, dumped(CLEAN_JSON) + [json.dumps(row, ensure_ascii=policy == "skip")])
    same_as_python(tmp_path, rules, data, "--on-error", policy)
    assert seen == [clean]


# Lines as written, each after the clean rows: the text itself decides
LINES = {
    "not_an_object": ("[1, 2]", False),
    "a_string": ('"c9"', False),
    "not_json": ("{c9}", False),
    "trailing_comma": ('{"客户编号": "c9",}', False),
    "trailing_comma_nested": ('{"客户编号": "c9", "extra": [1,]}', False),
    "nan": ('{"客户编号": "c9", "spend": NaN}', False),
    "infinity": ('{"客户编号": "c9", "spend": -Infinity}', False),
    "minus_zero_int": ('{"客户编号": "c9", "visits": -0}', False),
    "minus_zero_number": ('{"客户编号": "c9", "spend": -0}', False),
    "minus_zero_key": ('{"客户编号": -0, "spend": 5}', False),
    "minus_zero_enum": ('{"客户编号": "c9", "tier": -0}', False),
    "minus_zero_float": ('{"客户编号": "c9", "spend": -0.0}', True),
    "exponent": ('{"客户编号": "c9", "spend": 1E3}', True),
    "leading_zero": ('{"客户编号": "c9", "spend": 007}', False),
    "plus": ('{"客户编号": "c9", "spend": +7}', False),
    "repeated_name": ('{"客户编号": "c9", "spend": 5, "spend": 5000}', False),
    "repeated_other": ('{"客户编号": "c9", "x": 5, "x": 6}', True),
    "repeated_escaped": ('{"客户编号": "c9", "spend": 5, "sp\\u0065nd": 5000}', False),
    "escaped_name": ('{"\\u5BA2\\u6237\\u7f16\\u53f7": "c9", "sp\\u0065nd": 5000}', True),
    "escaped_other_key": ('{"客户编号": "c9", "caf\\u00e9": 1, "a\\/b": 2}', True),
    "slash_escape_in_text": ('{"客户编号": "c\\/9"}', True),
    "escaped_text": ('{"客户编号": "c\\u00e9\\ud83d\\ude00\\/\\"\\\\\\b\\f\\n\\r\\t", "spend": 5}', True),
    "upper_escape": ('{"客户编号": "c\\u00E9", "spend": 5}', True),
    "lone_surrogate": ('{"客户编号": "c\\ud83d", "spend": 5}', False),
    "lone_low_surrogate": ('{"客户编号": "c\\ude00x", "spend": 5}', False),
    "nul_escape": ('{"客户编号": "c9", "note": "a\\u0000b"}', True),
    "raw_tab_in_text": ('{"客户编号": "c9", "note": "a\tb"}', False),
    "bad_escape": ('{"客户编号": "c9", "note": "a\\xb"}', False),
    "tabs_around": ('\t{ "客户编号" :\t"c9" , "spend" : 5 }\t', True),
    "lone_cr": ('{"客户编号": "c9"}\r{"客户编号": "c8"}', False),
    "cr_in_blanks": ('{"客户编号": "c9",\r"spend": 5}', False),
    "form_feed_line": ("\x0c", False),
    "nbsp_line": ("\xa0", False),
    "bom_inside": ('\ufeff{"客户编号": "c9"}', False),
    "empty_object": ("{}", False),
    "true_key": ('{"客户编号": true}', False),
    "unicode_blank_in_value": ('{"客户编号": "c9", "since": "\u30002026-01-05"}', False),
    "value_with_brace": ('{"客户编号": "c9", "note": "{\\"spend\\": 9000, [", "x": "}"}', True),
}


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("line,clean", list(LINES.values()), ids=list(LINES))
def test_lines_as_written(tmp_path, rules, monkeypatch, line, clean, policy):
    seen = taken(monkeypatch)
    data = tmp_path / "in.jsonl"
    write_lines(data, dumped(CLEAN_JSON) + [line])
    same_as_python(tmp_path, rules, data, "--on-error", policy)
    # a line that is no JSON fails the run before either path, where the columns are read
    assert seen == [True] if clean else seen in ([False], [])


@pytest.mark.parametrize("line", [line for line, clean in LINES.values() if not clean],
                         ids=[name for name, (_, clean) in LINES.items() if not clean])
def test_lines_as_written_past_the_columns_sample(tmp_path, rules, monkeypatch, line):
    """The shared reader reads the columns from the first thousand lines (a broken one there
    fails the run before either path): past them, the run itself meets the line."""
    seen = taken(monkeypatch)
    data = tmp_path / "in.jsonl"
    filler = [f'{{"客户编号": "f{i}", "visits": {i % 7}}}' for i in range(1000)]
    write_lines(data, dumped(CLEAN_JSON) + filler + [line])
    same_as_python(tmp_path, rules, data, "--on-error", "quarantine")
    assert seen == [False]


@pytest.mark.parametrize("keys", [["1.5", "1.50"], ["0", "-0.0"], ["0", "0.0"], ["1", "1.0"], ["1", "1e0"]],
                         ids=["trailing_zero", "zero", "zero_f", "one", "one_e"])
def test_number_keys_that_are_one_key_to_python(tmp_path, keys):
    rules = tmp_path / "k.seg"
    rules.write_text("ruleset k\ninput customer key id { id: number  x: int? }\n"
                     "dimension s first { segment big when x > 1  otherwise small }\n")
    data = tmp_path / "in.jsonl"
    write_lines(data, [f'{{"id": {k}, "x": 2}}' for k in keys])
    out = same_as_python(tmp_path, rules, data, "--on-error", "quarantine")
    assert out[2].count(b"\n") == 2      # the repeat is quarantined


@pytest.mark.parametrize("x", ["1e3", "1.5E-2", "-0.0", "100000.0", "0.1000", "12345678901234567890e-15",
                               "99999.99999999999999999", "0.1", "2.2250738585072011e-308",
                               "123456789012345678901234567890", '"7.5"', '" 7.5"'])
def test_numbers_are_read_by_polars_as_python_reads_them(tmp_path, monkeypatch, x):
    seen = taken(monkeypatch)
    rules = tmp_path / "n.seg"
    rules.write_text("ruleset n\ninput customer key id { id: string  x: number? }\n"
                     "dimension s first { segment big when x > 1  otherwise small }\n"
                     "dimension e first { segment same when x = 0.1  otherwise other }\n")
    data = tmp_path / "in.jsonl"
    write_lines(data, [f'{{"id": "a", "x": {x}}}'])
    same_as_python(tmp_path, rules, data, "--on-error", "quarantine")
    assert seen == [x != '" 7.5"']


def test_empty_files_and_only_blank_lines(tmp_path, rules, monkeypatch):
    for text in ("", "\n\n", "  \n"):
        data = tmp_path / "in.jsonl"
        data.write_text(text, encoding="utf-8")
        same_as_python(tmp_path, rules, data, "--on-error", "quarantine")


def test_bytes_that_are_not_utf8_send_the_run_back(tmp_path, rules, monkeypatch):
    seen = taken(monkeypatch)
    data = tmp_path / "in.jsonl"
    write_jsonl(data, CLEAN_JSON + [{"客户编号": f"k{i}"} for i in range(3000)])
    data.write_bytes(data.read_bytes() + b'{"\xe5\xae\xa2\xe6\x88\xb7\xe7\xbc\x96\xe5\x8f\xb7": "\xff"}\n')
    same_as_python(tmp_path, rules, data)
    assert seen == [False]


def test_when_json_lines_are_read_natively(tmp_path, rules):
    rs = check_file(rules).ruleset
    data = tmp_path / "in.jsonl"
    write_jsonl(data, CLEAN_JSON)
    assert polars_text.eligible(rs, ApplyOptions(inputs={"customer": data}))
    for extra in ({"null_values": ("NA",)}, {"date_format": "%d/%m/%Y"}, {"encoding": "gbk"}, {"keep": ("note",)}):
        assert not polars_text.eligible(rs, ApplyOptions(inputs={"customer": data}, **extra))
    split = tmp_path / "split.jsonl"
    split.write_bytes(data.read_bytes() + b'{"a": 1}\x1f\n')
    assert not polars_text.eligible(rs, ApplyOptions(inputs={"customer": split}))
    mixed = tmp_path / "m"
    mixed.mkdir()
    write_jsonl(mixed / "a.jsonl", CLEAN_JSON)
    (mixed / "b.csv").write_text("客户编号\nc7\n", encoding="utf-8")
    assert not polars_text.eligible(rs, ApplyOptions(inputs={"customer": mixed / "*"}))
    for name in ('a"b', "a\\b", " a", ",a", ":a", "]a", "}a", "a\tb", ""):
        assert not polars_text.plain_name(name), name
    for name in ("客户编号", "a b", "{a", "a,", "a:", "x.y"):
        assert polars_text.plain_name(name), name


def test_a_field_name_hard_to_tell_takes_the_shared_reader(tmp_path, monkeypatch):
    seen = taken(monkeypatch)
    rules = tmp_path / "s.seg"
    rules.write_text('ruleset s\ninput customer key id { id: string  x: int? from ",x" }\n'
                     "dimension s first { segment big when x > 1  otherwise small }\n")
    data = tmp_path / "in.jsonl"
    write_lines(data, ['{"id": "a", ",x": 2}', '{"id": "b", "q": "z,", ",x": 0}'])
    same_as_python(tmp_path, rules, data, "--on-error", "quarantine")
    assert seen == []


def _values(text: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70), text,
                     st.floats(allow_nan=False, allow_infinity=False))


def test_strings_are_decoded_as_python_decodes_them():
    """Every string of JSON's grammar (any escape, written by json.dumps or by hand) gives
    the text json.loads gives."""
    rs = check_file_text("ruleset t\ninput customer key id { id: string }\n"
                         "dimension s first { otherwise x }\n")
    field = rs.customer.fields[0]
    texts = ["", "a", "é", "\u2028", "\x00\x01\x1f", "😀", '"', "\\", "/", "\b\f\n\r\t", "\ud7ff\ue000\uffff"]
    written = [json.dumps(t, ensure_ascii=a) for t in texts for a in (True, False)]
    written += ['"\\u00E9\\uD83D\\uDE00"', '"a\\/b"']
    null, _, value = polars_text.read_json(field, pl.col("v"))
    got = pl.DataFrame({"v": written}).select(null.alias("null"), value.alias("value"))
    assert got["value"].to_list() == [json.loads(w) or None for w in written]
    assert got["null"].to_list() == [json.loads(w) == "" for w in written]


def check_file_text(text: str):
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "r.seg"
        p.write_text(text, encoding="utf-8")
        checked = check_file(p)
    assert checked.ok, checked.diagnostics
    return checked.ruleset


_BLANKS = st.sampled_from(["", " ", "\t", "  "])


@st.composite
def json_lines(draw) -> str:
    """A line as writers write them, or nearly: any spacing, escapes or not, a key twice, a
    neighbour nested in arrays and objects, now and then a broken line."""
    row = draw(st.fixed_dictionaries({}, optional=_JSON_VALUES))
    if draw(st.booleans()):
        row["extra"] = draw(st.recursive(_values(st.text(max_size=4)),
                                         lambda inner: st.lists(inner, max_size=2)
                                         | st.dictionaries(st.sampled_from(["visits", "a", "spend"]), inner,
                                                           max_size=2), max_leaves=4))
    ws = draw(_BLANKS)
    items = [f"{json.dumps(k, ensure_ascii=draw(st.booleans()))}{ws}:{ws}"
             f"{json.dumps(v, ensure_ascii=draw(st.booleans()))}" for k, v in row.items()]
    if items and draw(st.integers(0, 9)) == 0:
        items.append(items[draw(st.integers(0, len(items) - 1))].replace(":", ": ", 1)[:-1] + "1")
    line = "{" + ws + f",{ws}".join(items) + ws + "}"
    broken = draw(st.integers(0, 19))
    if broken == 0:
        line = line[:-1]
    elif broken == 1:
        line = draw(st.sampled_from(["", " ", "[]", "null", '{"客户编号": NaN}']))
    return line


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(lines=st.lists(json_lines(), max_size=8), clean_share=st.booleans(), policy=st.sampled_from(POLICIES),
       end=st.sampled_from(["\n", "\r\n"]))
def test_random_jsonl_files_identical_to_python(tmp_path, rules, lines, clean_share, policy, end):
    data = tmp_path / "in.jsonl"
    write_lines(data, (dumped(CLEAN_JSON) if clean_share else []) + lines, end)
    same_as_python(tmp_path, rules, data, "--on-error", policy)
