"""Population statistics against their definitions (LANGUAGE.md §4, §11) and numpy."""
from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from segdsl.runtime import population

floats = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


def build(func, values, params=(), desc=False, groups=None):
    keys = groups or [()] * len(values)
    return population.build(func, params, desc, zip(values, keys))


@settings(max_examples=200, deadline=None)
@given(st.lists(floats | st.integers(-50, 50), min_size=1, max_size=40), st.floats(0, 1))
def test_quantile_is_numpys_linear_quantile_bit_for_bit(values, p):
    assert population.quantile_sorted(sorted(values), p) == float(np.quantile(np.array(values, dtype=float), p))


def test_ntile_puts_ties_in_the_same_tile():
    values = [5] * 60 + [1, 2, 3, 9, 10]            # pandas.qcut would split the 5s over tiles, or fail
    s = build("ntile", values, (5,))
    tiles = [s.value(v, ()) for v in values]
    assert len({t for v, t in zip(values, tiles) if v == 5}) == 1
    assert s.value(1, ()) == 1 and s.value(10, ()) == 5


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 6) | st.none(), min_size=1, max_size=30), st.integers(1, 6), st.booleans())
def test_ntile_definition(values, k, desc):
    s = build("ntile", values, (k,), desc)
    present = sorted(v for v in values if v is not None)
    for v in values:
        got = s.value(v, ())
        if v is None:
            assert got is None
            continue
        cuts = [float(np.quantile(present, i / k)) for i in range(1, k)]
        score = 1 + sum(q < v for q in cuts)
        assert got == (k + 1 - score if desc else score)
        assert 1 <= got <= k


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 5) | st.none(), min_size=1, max_size=30), st.booleans())
def test_percent_rank_definition(values, desc):
    s = build("percent_rank", values, (), desc)
    present = [v for v in values if v is not None]
    n = len(present)
    for v in values:
        got = s.value(v, ())
        if v is None:
            assert got is None
        elif n == 1:
            assert got == 0.0
        else:
            before = sum(x > v for x in present) if desc else sum(x < v for x in present)
            assert got == before / (n - 1)


def test_cume_share_holds_ties_together_and_is_exact():
    values = [10.0, 0.1, 0.2, 10.0, 0.3, None]
    s = build("cume_share", values)
    total = math.fsum(v for v in values if v is not None)
    assert s.value(10.0, ()) == 20.0 / total
    assert s.value(0.1, ()) == 1.0
    assert s.value(0.2, ()) == math.fsum([10.0, 10.0, 0.2, 0.3]) / total
    assert s.value(None, ()) is None
    assert build("cume_share", [0.0, 0.0]).value(0.0, ()) is None      # total not positive


def test_scalars_ignore_nulls_and_sum_exactly():
    values = [0.1] * 10 + [None, 1e16, -1e16]
    assert build("sum", values).value(None, ()) == math.fsum([0.1] * 10)
    assert build("mean", [1, 2, None, 4]).value(None, ()) == 7 / 3
    assert build("median", [1, 2, 3, 4]).value(None, ()) == 2.5
    assert build("count", [1, None, 3]).value(None, ()) == 2
    assert build("min", [None]).value(None, ()) is None
    assert build("sum", [None]).value(None, ()) == 0
    assert build("quantile", [1, 2, 3, 4, 5], (0.9,)).value(None, ()) == float(np.quantile([1, 2, 3, 4, 5], 0.9))


def test_by_groups_with_a_null_group_of_its_own():
    values = [1, 2, 3, 10, 20]
    groups = [("a",), ("a",), (None,), (None,), ("b",)]
    s = build("percent_rank", values, groups=groups)
    assert [s.value(v, g) for v, g in zip(values, groups)] == [0.0, 1.0, 0.0, 1.0, 0.0]
    m = build("mean", values, groups=groups)
    assert m.value(None, (None,)) == 6.5


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-5, 5) | floats | st.none(), min_size=1, max_size=25),
       st.sampled_from(["percent_rank", "ntile", "cume_share", "mean", "median", "min", "max", "sum", "count",
                        "quantile"]), st.booleans(), st.lists(st.integers(-10, 10), max_size=5))
def test_stats_survive_a_json_round_trip(values, func, desc, probes):
    import json
    params = (4,) if func == "ntile" else (0.3,) if func == "quantile" else ()
    desc = desc and func in ("ntile", "percent_rank")
    s = build(func, values, params, desc)
    again = population.from_json(json.loads(json.dumps(population.to_json(s))))
    for x in values + probes:
        assert again.value(x, ()) == s.value(x, ())
