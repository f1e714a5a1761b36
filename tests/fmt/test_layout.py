"""The canonical layout, and comments kept where they were, on small rule files."""
from __future__ import annotations

from pathlib import Path

import pytest

from segdsl.fmt import format_source
from segdsl.source import Source
from tests.fmt.helpers import assert_faithful

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "rulesets").rglob("*.seg")) + sorted((ROOT / "tests" / "fixtures" / "examples").glob("*.seg"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_files_are_formatted_and_format_faithfully(path):
    text = path.read_text(encoding="utf-8")
    assert assert_faithful(text, str(path)) == text, f"run `segdsl fmt {path.relative_to(ROOT)}`"


def fmt(text: str) -> str:
    return assert_faithful(text)


def test_spacing_and_operators_are_normalized():
    assert fmt('ruleset  t\ninput c key id{id:string?from"x" in -5 .. 10=3"l",}\n'
               "let  x=( - id+2 )*f( id ,desc by id)>=1\n") == (
        'ruleset t\ninput c key id {\n  id: string? from "x" in -5..10 = 3 "l"\n}\n'
        "let x = (-id + 2) * f(id, desc by id) >= 1\n")


def test_segment_names_labels_and_when_clauses_line_up():
    out = fmt('ruleset t\ninput c { a: int }\ndimension d "维度" first {\n'
              'segment top "高价值客户" when a > 10\nsegment x when a>1 {k:1, "j k": "v"}\n'
              'segment mid "中" when a > 5\notherwise rest "其他"\n}\n')
    lines = out.split("\n")
    at = lines.index('dimension d "维度" first {')
    assert lines[at + 1:at + 7] == [
        '  segment top "高价值客户" when a > 10',
        "  segment x                when a > 1",
        '      { k: 1, "j k": "v" }',
        '  segment mid "中"         when a > 5',
        '  otherwise rest "其他"',
        "}",
    ]


def test_a_long_condition_moves_to_its_own_line_and_breaks_before_and():
    cond = " and ".join(f"field_number_{i} > {i}" for i in range(8))
    fields = " ".join(f"field_number_{i}: int" for i in range(8))
    out = fmt(f"ruleset t\ninput c {{ {fields} }}\ndimension d first {{ segment s \"一\" when {cond} }}\n")
    lines = out.split("\n")
    at = lines.index('  segment s "一"')
    assert lines[at + 1] == "      when field_number_0 > 0"
    assert lines[at + 2] == "        and field_number_1 > 1"
    assert all(len(line) <= 100 for line in lines)


def test_fields_line_up_and_long_enums_fill_their_lines():
    members = ", ".join(f'member_{i} "成员{i}"' for i in range(12))
    out = fmt(f"ruleset t\ninput c {{\n id: string\n long_name: enum {{ {members} }}? from \"col\"\n}}\n")
    lines = out.split("\n")
    assert lines[2] == "  id:        string"
    assert lines[3].startswith("  long_name: enum { member_0 \"成员0\", ")
    assert lines[4].startswith(" " * 20 + "member_")
    assert lines[-3].endswith('}? from "col"')


def test_table_tests_are_aligned_with_their_comments():
    out = fmt('ruleset t\ninput c { a: int }\ndimension d first { segment s when a > 1 }\n'
              'test "t" table {\n a|expect d   # header\n  # a row below\n 10 |s\n "x|#" | null #last\n}\n')
    lines = out.split("\n")
    assert lines[lines.index('test "t" table {'):][:6] == [
        'test "t" table {',
        "  a     | expect d  # header",
        "  # a row below",
        "  10    | s",
        '  "x|#" | null  #last',
        "}",
    ]


COMMENTS = '''# head

ruleset   t   "x"   # header
# before the input
input c key id {   # after the brace
  id : string   # on a field
  # own line in a block
  age:int?in 0..120 "age",  # after a comma
  kind: enum { a = "A" "甲",   # on a member
     # own line in an enum
     b } = a
  # before the closing brace
}
let x = (age +   # inside an expression
   1) * 2
let y = age > 1 and
  # inside a chain
  age < 5
dimension d "维" first {
  segment aaa "一" when x>1   # on a segment
  # before the second
  segment b when y { k: 1, # in attributes
    m: "n" }
  otherwise o "其他"
  # at the end of a dimension
}


test "t" with x = 1 {
  given { id: "1", # in a record
    age: 3 }
  expect d = aaa  # on an expectation
}
# the end
'''


def test_every_comment_is_kept_in_order_and_the_result_is_stable():
    out = fmt(COMMENTS)
    assert "ruleset t \"x\"  # header\n# before the input\ninput c key id {  # after the brace\n" in out
    assert "  # own line in a block\n  age:  int? in 0..120 \"age\"  # after a comma\n" in out
    assert "let x = (age + 1) * 2  # inside an expression\n" in out
    assert "  # at the end of a dimension\n}\n\ntest" in out
    assert out.endswith("}\n# the end\n")


def test_an_own_line_comment_inside_a_condition_keeps_the_line_break():
    out = fmt("ruleset t\ninput c { a: int }\ndimension d first {\n"
              "  segment s when a > 1\n    # why the second\n    and a < 5\n}\n")
    assert "  segment s\n      when a > 1\n        # why the second\n        and a < 5\n" in out


def test_a_file_with_a_syntax_error_is_not_formatted():
    result = format_source(Source("bad.seg", "ruleset t\nlet a = (1 +\n"))
    assert not result.ok and result.text is None
    assert result.diagnostics[0].code == "SEG001"
    assert (result.diagnostics[0].span.line, result.diagnostics[0].span.col) == (2, 9)


def test_an_empty_file_and_empty_blocks():
    assert fmt("") == ""
    assert fmt("# only a comment\n") == "# only a comment\n"
    assert fmt("ruleset t\ninput c {\n}\ndimension d all {\n}\n") == "ruleset t\ninput c {}\ndimension d all {}\n"


def test_a_comment_on_a_segment_line_stays_there_when_its_condition_moves_down():
    """`# segdsl: ignore[...]` is read on the line a segment starts on."""
    cond = " and ".join(f"field_number_{i} > {i}" for i in range(5))
    fields = " ".join(f"field_number_{i}: int" for i in range(5))
    out = fmt(f"ruleset t\ninput c {{ {fields} }}\n"
              f"dimension d first {{\n  segment s \"一\" when {cond}  # segdsl: ignore[SEG404]\n}}\n")
    assert '  segment s "一"  # segdsl: ignore[SEG404]\n      when field_number_0 > 0' in out


def test_a_comment_on_the_first_line_of_a_table_is_kept():
    out = fmt('ruleset t\ninput c { a: int }\ndimension d first { segment s when a > 1 }\n'
              'test "t" table {\n  # read before the header\n  a | expect d\n  2 | s\n}\n')
    assert 'test "t" table {\n  # read before the header\n  a | expect d\n  2 | s\n}\n' in out
