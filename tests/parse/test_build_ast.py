"""The grammar and the AST builder: what the text means before any checking."""
from __future__ import annotations

import datetime as dt

import pytest

from segdsl.syntax import ast as A
from segdsl.syntax.build_ast import build_module
from segdsl.diagnostics.values import SegError
from segdsl.source import Source
from tests.helpers import RULE_FILES

EXAMPLES = RULE_FILES


def module(text: str) -> A.Module:
    m, diags = build_module(Source("t.seg", text))
    assert diags == []
    return m


def expr(text: str) -> A.Expr:
    return module(f"ruleset t\nlet x = {text}\n").lets[0].expr


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_shipped_and_example_file_parses(path):
    m, diags = build_module(Source.from_file(path))
    assert m.header is not None and m.dimensions and diags == []


def test_precedence_and_between():
    e = expr("r between 3 and 4 and f >= 4 or not a = b")
    assert isinstance(e, A.Or)
    assert isinstance(e.left, A.And) and isinstance(e.left.left, A.Between)
    assert isinstance(e.right, A.Not) and isinstance(e.right.operand, A.Compare)
    arith = expr("-a + b * c / d")
    assert isinstance(arith, A.Arith) and arith.op == "+" and isinstance(arith.left, A.Neg)
    assert arith.right.op == "/" and arith.right.left.op == "*"


def test_literals_are_single_tokens_and_percent_is_exact():
    assert expr("90%").value == 0.9 and expr("99.5%").value == 0.995 and expr("5%").value == 0.05
    assert expr("2026-11-01").value == dt.date(2026, 11, 1)
    assert expr("2011-03-01T10:00:00").value == dt.datetime(2011, 3, 1, 10)
    d = expr("as_of - 365 days")
    assert isinstance(d.right, A.Duration) and d.right.days == 365
    assert expr('"a \\"quoted\\" \\\\ text"').value == 'a "quoted" \\ text'


def test_unicode_names_and_keywords_glued_to_names():
    m = module('ruleset 电信 "电信客户细分"\ninput 客户 key 编号 { 编号: string  客户等级: int }\n'
               'dimension 分层 first { segment 高 "高價值" when 客户等级 >= 3 }\n')
    assert m.header.name == "电信" and m.inputs[0].fields[1].name == "客户等级"
    assert m.dimensions[0].segments[0].label == "高價值"


def test_calls_with_where_by_and_desc():
    c = expr("ntile(recency, 5, desc by city, region)")
    assert c.func == "ntile" and c.desc and len(c.args) == 2 and len(c.by) == 2
    c = expr("count(orders where orders.quantity > 0)")
    assert isinstance(c.where, A.Compare) and isinstance(c.args[0], A.Name)


def test_table_tests_are_parsed_cell_by_cell_with_positions():
    m = module('ruleset t\ntest "tiers" table {\n  arpu_pct | expect value | name\n'
               '  99.5%    | top1         | "a | b"\n  null     | unknown      | "x"\n}\n')
    cases = m.tests[0].cases
    assert len(cases) == 2
    rec = dict((n, v) for n, v, _ in cases[0].record.fields)
    assert rec["arpu_pct"].value == 0.995 and rec["name"].value == "a | b"
    assert cases[0].expectations[0].dimension == "value" and cases[0].expectations[0].value.name == "top1"
    assert cases[1].record.fields[0][1].span.line == 5


def test_fields_may_be_separated_by_newlines_or_commas():
    m = module("ruleset t\ninput c key id {\n  id: string, a: int? from \"A\" in 0..5 = 1 \"标签\"\n  b: enum { x = \"X\" \"叉\", y }?\n}\n")
    a = m.inputs[0].fields[1]
    assert (a.nullable, a.column, a.label) == (True, "A", "标签") and a.range[1].value == 5 and a.default.value == 1
    b = m.inputs[0].fields[2]
    assert b.nullable and [(x.name, x.value, x.label) for x in b.type.members] == [("x", "X", "叉"), ("y", "y", None)]


def test_a_syntax_error_is_a_diagnostic_not_an_exception():
    with pytest.raises(SegError) as e:
        build_module(Source("t.seg", "ruleset t\ndimension d first { segment a when }\n"))
    d = e.value.diagnostics[0]
    assert d.code == "SEG001" and d.span.line == 2 and "condition" in d.message
