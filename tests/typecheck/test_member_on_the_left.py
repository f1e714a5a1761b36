"""`in_net = network` means `network = in_net`: a bare name on either side of a comparison is
resolved against the enum (or dimension) on the other side, unless it names a field, let or param."""
from __future__ import annotations

import pytest

from segdsl import ir
from segdsl.types import Kind
from tests.helpers import check_text, ruleset, segment_both

_HEAD = '''
ruleset t
input customer key id {
  id: string
  network: enum { in_net "在网", off_net "离网", age }?
  age: int?
}
dimension status first { segment old when age >= 60  segment churn when network = off_net  otherwise rest }
'''


def _condition(rs, dim: str = "x") -> ir.Expr:
    return next(d for d in rs.dimensions if d.name == dim).segments[0].condition


@pytest.mark.parametrize("op", ["=", "!="])
def test_a_member_on_the_left_is_resolved_from_the_field_on_the_right(tmp_path, op):
    rs = ruleset(tmp_path, _HEAD + f"dimension x first {{ segment a when in_net {op} network otherwise b }}\n")
    c = _condition(rs)
    assert isinstance(c, ir.Compare) and c.op == op
    assert isinstance(c.left, ir.Const) and c.left.value == "in_net" and c.left.type.kind is Kind.ENUM
    assert isinstance(c.right, ir.FieldRef) and c.right.name == "network"


def test_both_orders_segment_alike(tmp_path):
    rs = ruleset(tmp_path, _HEAD + '''
dimension x first { segment a when in_net = network otherwise b }
dimension y first { segment a when network = in_net otherwise b }
dimension z first { segment a when churn = status otherwise b }
dimension w first { segment a when status = churn otherwise b }
''')
    got = segment_both(rs, [{"id": "1", "network": "in_net", "age": 30},
                            {"id": "2", "network": "off_net", "age": 30},
                            {"id": "3", "network": None, "age": None}])
    for g in got:
        assert g["x"] == g["y"] and g["z"] == g["w"]
    assert [g["x"] for g in got] == ["a", "b", "b"]
    assert [g["z"] for g in got] == ["b", "a", "b"]


def test_a_member_on_the_left_against_a_let_or_an_expression(tmp_path):
    rs = ruleset(tmp_path, _HEAD + '''
let net = case when age > 1 then network else off_net end
dimension x first {
  segment a when in_net = net
  segment c when off_net = case when age > 5 then network end
  otherwise b
}
''')
    segs = next(d for d in rs.dimensions if d.name == "x").segments
    assert [s.condition.left.value for s in segs] == ["in_net", "off_net"]


def test_a_misspelt_member_on_the_left_is_an_unknown_member(tmp_path):
    r = check_text(tmp_path, _HEAD + "dimension x first { segment a when in_nett = network otherwise b }\n")
    errs = [d for d in r.diagnostics if d.is_error]
    assert [d.code for d in errs] == ["SEG103"]
    assert "in_nett" in errs[0].message and "network" in errs[0].message and "in_net" in errs[0].help


def test_two_unknown_names_report_the_left_one(tmp_path):
    r = check_text(tmp_path, _HEAD + "dimension x first { segment a when in_nett = networkk otherwise b }\n")
    errs = [d for d in r.diagnostics if d.is_error]
    assert [d.code for d in errs] == ["SEG102"] and "in_nett" in errs[0].message


def test_a_field_on_the_left_stays_a_field_even_if_it_is_also_a_member(tmp_path):
    r = check_text(tmp_path, _HEAD + "dimension x first { segment a when age = network otherwise b }\n")
    errs = [d for d in r.diagnostics if d.is_error]
    assert [d.code for d in errs] == ["SEG201"]
    assert "network = age" in errs[0].help
    # on the right, the member is looked up first (a field of another type could not be compared)
    rs = ruleset(tmp_path, _HEAD + "dimension x first { segment a when network = age otherwise b }\n")
    assert isinstance(_condition(rs).right, ir.Const) and _condition(rs).right.value == "age"
