"""runtime/exact.py: the registered functions population values are built from in SQL,
against runtime/population.py bit for bit, including the form that cuts a population's
distinct values into buckets (backends/population_sql.py, the Spark engine)."""
from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from segdsl.runtime import exact, population

NUMBERS = [0.1, 0.2, 0.3, 1e16, -1e16, 1.0, -0.0, 0.0, 3.5, 1e-300, 2.5, -7.25, 1e300, -1e300]
values = st.lists(st.sampled_from(NUMBERS) | st.floats(-1e6, 1e6, allow_nan=False) | st.integers(-50, 50).map(float),
                  min_size=1, max_size=60)


def _bits(shares: list) -> list:
    return [None if s is None else struct.pack("<d", s + 0.0) for s in shares]


def _pairs(vals: list[float]) -> list[tuple[float, int]]:
    counted: dict[float, int] = {}
    for v in vals:
        counted[v] = counted.get(v, 0) + 1       # -0.0 and 0.0 count as one value, as in SQL
    return sorted(counted.items())


def _flat(pairs) -> list[float]:
    return [x for v, c in pairs for x in (v, float(c))]


def _in_buckets(pairs, cuts: list[int]) -> list:
    """The sorted distinct values cut before the positions `cuts`: consecutive buckets."""
    bounds = [0, *sorted(set(c for c in cuts if 0 < c < len(pairs))), len(pairs)]
    return [pairs[a:b] for a, b in zip(bounds, bounds[1:])]


@settings(max_examples=300, deadline=None)
@given(values, st.lists(st.integers(0, 60), max_size=8))
def test_shares_per_bucket_from_the_sums_above_are_one_calls_and_population_pys(vals, cuts):
    pairs = _pairs(vals)
    want = population.CumeShare.build({(): vals}).tables[()][1]
    assert _bits(exact.cume_shares(_flat(pairs))) == _bits(want)
    buckets = _in_buckets(pairs, cuts)
    parts = [exact.pair_partials(_flat(b)) for b in buckets]
    total = exact.exact_sum([p for part in parts for p in part])
    got = []
    for i, b in enumerate(buckets):
        above = [p for part in parts[i + 1:] for p in part]
        got += exact.cume_shares_above(_flat(b), above, total)
    assert _bits(got) == _bits(want)


@settings(max_examples=300, deadline=None)
@given(values)
def test_a_buckets_pair_partials_sum_exactly_to_its_customers_values(vals):
    pairs = _pairs(vals)
    assert exact.fsum(exact.pair_partials(_flat(pairs))) == population.fsum(vals)


def test_pair_partials_of_a_sum_past_the_largest_double_are_the_values_themselves():
    pairs = [1e308, 2.0, -1e308, 1.0]
    assert sorted(exact.pair_partials(pairs)) == [-1e308, 1e308, 1e308]
    assert exact.fsum(exact.pair_partials(pairs)) == population.fsum([1e308, 1e308, -1e308]) == 1e308


def test_no_pairs_and_a_total_that_is_not_positive():
    assert exact.pair_partials(None) is None and exact.cume_shares_above(None, [], 1.0) is None
    assert exact.cume_shares_above([-1.0, 2.0], [], -2.0) == [None]
    assert exact.cume_shares_above([1.0, 1.0], None, 4.0) == [0.25]
