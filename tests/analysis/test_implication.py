"""The SEG404 prover: what it proves, and that it proves nothing it cannot be sure of."""
from __future__ import annotations

import pytest

from segdsl import ir
from segdsl.analysis.implication import atom, implies, within
from segdsl.ir import shape
from tests.helpers import ruleset

HEAD = """ruleset t
input customer key id {
  id: string
  x: number?
  n: int
  net: enum { a "A", b "B", c "C" }
}
"""


def conditions(tmp_path, *conds: str) -> list[ir.Expr]:
    """Each condition typed by the real checker, as the segment of a dimension of its own."""
    dims = "\n".join(f"dimension d{i} first {{ segment s when {c} otherwise o }}" for i, c in enumerate(conds))
    rs = ruleset(tmp_path, HEAD + dims + "\n")
    return [d.segments[0].condition for d in rs.dimensions]


@pytest.mark.parametrize("later, earlier", [
    ("x >= 95%", "x >= 80%"),
    ("x > 5", "x >= 5"),
    ("x between 2 and 3", "x > 1"),
    ("net = a", "net in [a, b]"),
    ("net in [a]", "net in [a, b]"),
    ("n in [3, 4]", "n between 1 and 4"),
    ("net = a and x > 3", "net in [a, b]"),
    ("x > 9 or x > 10", "x > 5"),
    ("x > 9", "x > 5 or n = 1"),
    ("x > 9 and n = 1", "x > 5 and n in [1, 2]"),
    ("n = 1", "true"),
    ("x + 1 > 2", "x + 1 > 2"),
])
def test_proves(tmp_path, later, earlier):
    l, e = conditions(tmp_path, later, earlier)
    assert implies(l, e)


@pytest.mark.parametrize("later, earlier", [
    ("x >= 80%", "x >= 95%"),
    ("x >= 5", "x > 5"),
    ("x < 5", "x > 1"),
    ("net in [a, b]", "net = a"),
    ("n in [3, 5]", "n between 1 and 4"),
    ("n not in [1]", "n not in [1, 2]"),
    ("x > 5", "n > 5"),
    ("x > 5", "x > 5 and n = 1"),
    ("x > 5 or n = 1", "x > 5"),
    ("true", "n = 1"),
    ("x is null", "x is not null"),
])
def test_does_not_prove(tmp_path, later, earlier):
    l, e = conditions(tmp_path, later, earlier)
    assert not implies(l, e)


def test_no_condition_implies_nothing_and_is_implied_by_nothing(tmp_path):
    (c,) = conditions(tmp_path, "n = 1")
    assert not implies(None, c) and not implies(c, None)


def test_shape_ignores_where_a_condition_is_written(tmp_path):
    a, b = conditions(tmp_path, "n = 1", "n  =  1")
    assert a != b and shape(a) == shape(b)


def test_atoms_and_within(tmp_path):
    ge, between, listed = conditions(tmp_path, "n >= 2", "n between 2 and 4", "n in [2, 3]")
    assert atom(ge)[1] == ("range", (2, True), (float("inf"), False))
    assert atom(between)[1] == ("range", (2, True), (4, True))
    assert atom(listed)[1] == ("set", frozenset({2, 3}))
    assert within(atom(listed)[1], atom(between)[1]) and within(atom(between)[1], atom(ge)[1])
    assert not within(atom(ge)[1], atom(between)[1])
