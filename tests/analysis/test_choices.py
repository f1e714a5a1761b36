"""A chain of if-then-else terms compared with a number, as booleans (analysis/choices.py): z3
proves the booleans equivalent to the arithmetic comparison for random chains (repeated numbers,
a conflict branch of -1, a number no branch has), and anything that is not such a chain is left
to z3's own `==`."""
from __future__ import annotations

import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from segdsl.analysis.choices import Choices

CONDITIONS = [z3.Bool(f"c{i}") for i in range(6)]
X = z3.Int("x")


def chain(numbers: list[int], last: int, conditions: list) -> z3.ArithRef:
    term = z3.IntVal(last)
    for c, n in zip(reversed(conditions), reversed(numbers)):
        term = z3.If(c, z3.IntVal(n), term)
    return term


def equivalent(a, b) -> bool:
    s = z3.Solver()
    s.add(a != b)
    return s.check() == z3.unsat


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(-1, 4), min_size=1, max_size=6), st.integers(-1, 4), st.integers(-2, 5),
       st.booleans())
def test_the_booleans_say_what_the_comparison_says(numbers, last, k, shared_condition):
    conditions = CONDITIONS[:len(numbers)]
    if shared_condition and len(conditions) > 2:       # one condition in two branches, as `case` may
        conditions = [conditions[0], *conditions[1:-1], conditions[0]]
    term = chain(numbers, last, conditions)
    found = Choices().equal(term, z3.IntVal(k))
    assert found is not None
    assert equivalent(found, term == k)


def test_a_dimensions_value_with_a_conflict():
    """A `unique` dimension's value: -1 when two conditions are true, else the first true one's."""
    a, b = CONDITIONS[:2]
    conflict = z3.And(a, b)
    term = z3.If(conflict, z3.IntVal(-1), chain([0, 1], 2, [a, b]))
    choices = Choices()
    for k in (-1, 0, 1, 2, 3):
        assert equivalent(choices.equal(term, z3.IntVal(k)), term == k)


def test_anything_else_is_left_to_z3():
    choices = Choices()
    assert choices.equal(X, z3.IntVal(1)) is None                              # not a chain
    assert choices.equal(z3.If(CONDITIONS[0], X, z3.IntVal(1)), z3.IntVal(1)) is None   # a branch not a number
    assert choices.equal(z3.If(CONDITIONS[0], z3.IntVal(0), X), z3.IntVal(1)) is None   # nor the last
    assert choices.equal(chain([0], 1, CONDITIONS[:1]), X) is None             # against a variable


def test_each_chain_is_walked_once():
    choices = Choices()
    term = chain([0, 1, 2], 3, CONDITIONS[:3])
    first = choices.equal(term, z3.IntVal(2))
    assert choices.chain(term) is choices.chain(term)
    assert choices.equal(term, z3.IntVal(2)).eq(first)
