"""Whole-number arithmetic near the 64-bit bounds: every engine gives the exact
result when it fits and null when it does not (docs/language.md §6), never a
wrapped value, a bignum or a failed run.

Each example is a population of operand pairs drawn near the bounds (and
anywhere); the expected value of each row comes from Python's exact integers and
is a field of the row, so that a wrapped result is caught by value, not only
by sign."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segdsl.check.frontend import check_file
from segdsl.runtime.customers import Customer
from segdsl.runtime.limits import INT64_MAX, INT64_MIN
from tests import engines_under_test as engines

pytestmark = pytest.mark.full

RULES = """ruleset overflow
input customer key id {
  id: string
  a: int
  b: int
  op: string
  want: int?
}
let result = case
  when op = "mul" then a * b
  when op = "add" then a + b
  when op = "sub" then a - b
  when op = "neg" then -a
  else abs(a)
end
dimension outcome first {
  segment null_value when result is null
  segment exact when result = want
  otherwise wrong
}
"""

OPS = {"mul": lambda a, b: a * b, "add": lambda a, b: a + b, "sub": lambda a, b: a - b,
       "neg": lambda a, b: -a, "abs": lambda a, b: abs(a)}
SQRT = 3037000499            # the largest k with k * k within 64 bits

near = st.sampled_from([INT64_MAX, INT64_MIN, SQRT, -SQRT, 2 ** 32, 2 ** 62, 0, 1, -1]).flatmap(
    lambda base: st.integers(-3, 3).map(lambda d: max(INT64_MIN, min(INT64_MAX, base + d))))
whole = st.one_of(near, st.integers(INT64_MIN, INT64_MAX))

ENGINES = ("interp", "python", "duckdb", "duckdb_sql", "polars")


def _ruleset():
    result = check_file("overflow.seg", RULES)
    assert result.ok, result.diagnostics
    return result.ruleset


def _expected(op: str, a: int, b: int) -> int | None:
    exact = OPS[op](a, b)
    return exact if INT64_MIN <= exact <= INT64_MAX else None


@pytest.mark.parametrize("engine", ENGINES)
def test_whole_arithmetic_near_the_bounds_is_exact_or_null(engine):
    rs = _ruleset()

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.sampled_from(sorted(OPS)), whole, whole)
    def check(op, a, b):
        want = _expected(op, a, b)
        population = [Customer(key="c", record={"id": "c", "a": a, "b": b, "op": op, "want": want}, row=1)]
        got = engines.ENGINES[engine](rs, population, {})
        assert got["c"]["outcome"] == ("null_value" if want is None else "exact"), (op, a, b, want)

    check()


def test_spark_gives_the_same_on_one_population_of_edges():
    """Spark once, over a population of every operation at every edge (a session per example costs seconds)."""
    pytest.importorskip("pyspark")
    rs = _ruleset()
    edges = [INT64_MAX, INT64_MIN, SQRT, SQRT + 1, -SQRT - 1, 2 ** 62, -1, 0]
    cases = [(op, a, b) for op in sorted(OPS) for a in edges for b in edges]
    population = [Customer(key=str(i), record={"id": str(i), "a": a, "b": b, "op": op, "want": _expected(op, a, b)},
                           row=i + 1) for i, (op, a, b) in enumerate(cases)]
    got = engines.ENGINES["spark"](rs, population, {})
    assert got == {str(i): {"outcome": "exact" if _expected(*c) is not None else "null_value"}
                   for i, c in enumerate(cases)}
    assert any(_expected(*c) is None for c in cases) and any(_expected(*c) is not None for c in cases)
