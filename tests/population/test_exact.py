"""runtime/exact.py: the registered functions population values are built from in SQL,
against runtime/population.py bit for bit, including the form that cuts a population's
distinct values into buckets (backends/population_sql.py, the Spark engine)."""
from __future__ import annotations

import math
import struct

import pytest
from hypothesis import example, given, settings
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


WIDE = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(NUMBERS) | \
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: round(v, 2)) | st.sampled_from([5e-324, -2.2e-308, 1.7e308])


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(WIDE, max_size=40), min_size=1, max_size=5))
@example([[math.inf, -math.inf, 8.988465674311579e+307, 8.98846567431158e+307]])   # found by hypothesis
def test_numpy_partials_merge_to_exact_partials_sum_bit_for_bit(chunks):
    """exact_arrays.partials (the DuckDB engine's EXACT_PARTIALS) may give other pieces than
    exact.partials, but every chunk's pieces sum exactly to the chunk, so one fsum of the
    concatenation, the merge, is the same double, as population.fsum of all the values."""
    import numpy as np

    from segdsl.runtime import exact_arrays
    fast = [p for c in chunks for p in exact_arrays.partials(np.array(c, dtype=np.float64))]
    slow = [p for c in chunks for p in exact.partials(c)]
    everything = [v for c in chunks for v in c]
    assert _bits([exact.fsum(fast)]) == _bits([exact.fsum(slow)]) == _bits([population.fsum(everything)])


def test_numpy_partials_of_many_close_values_are_few_and_exact():
    import numpy as np

    from segdsl.runtime import exact_arrays
    rng = np.random.default_rng(3)
    vals = np.round(rng.gamma(2.0, 60.0, 200_000), 2)
    pieces = exact_arrays.partials(vals)
    assert 1 <= len(pieces) <= 3
    from fractions import Fraction
    assert sum(map(Fraction, pieces)) == sum(map(Fraction, vals.tolist()))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(st.tuples(WIDE, st.integers(1, 5000)), max_size=30), min_size=1, max_size=4))
def test_numpy_pair_partials_merge_to_the_customers_exact_sum(chunks):
    """exact_arrays.pair_partials (the DuckDB engine's EXACT_PAIR_ARRAYS): chunks of distinct
    values and counts, merged by one fsum, give population.fsum of every customer's value."""
    import numpy as np

    from segdsl.runtime import exact_arrays
    fast = [p for c in chunks for p in exact_arrays.pair_partials(np.array(_flat(c), dtype=np.float64))]
    everything = [v for c in chunks for v, n in c for _ in range(n)]
    assert _bits([exact.fsum(fast)]) == _bits([population.fsum(everything)])


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(WIDE, st.integers(1, 5000)), min_size=1, max_size=40), st.randoms())
@example([(0.0, 3), (-0.0, 2), (1.5, 1)], None)
@example([(1e-300, 1), (1e300, 1)], None)                # exponents spanning more than the bounds
def test_numpy_cume_shares_are_exact_cume_shares_bit_for_bit(pairs, rng):
    """exact_arrays.cume_shares (the DuckDB engine's EXACT_CUME) gives exact.cume_shares' doubles,
    in any order of the pairs (SQL hands them over unordered), the fallbacks included."""
    import numpy as np

    from segdsl.runtime import exact_arrays
    distinct = dict(pairs)                                  # one count per distinct value, as GROUP BY gives
    flat = _flat(list(distinct.items()))
    try:
        want = exact.cume_shares(flat)
    except OverflowError:       # a value times its count past the largest double: so does the fast form
        with pytest.raises(OverflowError):
            exact_arrays.cume_shares(np.array(flat, dtype=np.float64))
        return
    if rng is not None:
        shuffled = list(distinct.items())
        rng.shuffle(shuffled)
        flat = _flat(shuffled)
    assert _bits(exact_arrays.cume_shares(np.array(flat, dtype=np.float64))) == _bits(want)


def test_numpy_cume_shares_of_many_customers_are_population_pys():
    import numpy as np

    from segdsl.runtime import exact_arrays
    rng = np.random.default_rng(5)
    vals = np.round(rng.gamma(2.0, 60.0, 50_000), 2).tolist()
    pairs = _pairs(vals)
    want = population.CumeShare.build({(): vals}).tables[()][1]
    assert _bits(exact_arrays.cume_shares(np.array(_flat(pairs), dtype=np.float64))) == _bits(want)


def test_infinities_of_both_signs_beside_finite_values_that_overflow_sum_to_nan():
    """math.fsum stops at the finite values' overflow before it meets inf + -inf; the sum at
    the smaller scale then meets it, and IEEE's answer is NaN, as without the overflow."""
    assert math.isnan(population.fsum([math.inf, -math.inf, 8.988465674311579e+307, 8.98846567431158e+307]))
    assert math.isnan(population.fsum([math.inf, -math.inf]))
    assert population.fsum([1e308, 1e308, -1e308]) == 1e308
    assert population.fsum([1e308, 1e308, math.inf]) == math.inf
