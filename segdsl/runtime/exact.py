"""Exact sums that merge: what the SQL engines' registered functions compute for
population values (backends/population_sql.py), with runtime/population.py's results.

A sum of doubles is exact when every step keeps the whole of what it adds.
`partials` turns a chunk of values into a few doubles with exactly the same
sum (a non-overlapping expansion, Shewchuk's idea, made here with math.fsum):
chunks can be summed anywhere, their partials concatenated, and one fsum of
the concatenation is the fsum of all the values. `cume_shares` builds
population.CumeShare from a group's distinct values and counts, so that only
the distinct values, never one value per customer, reach Python.

Where the distinct values are too many for one call (Spark, a population
without `by`), they are cut into buckets of consecutive values: `pair_partials`
gives each bucket's exact sum as an expansion, the expansions of the buckets
above a bucket are concatenated, and `cume_shares_above` starts that bucket's
running sum from them: the same exact sums, so the same doubles as one call.

Self-contained (only `math`): Spark ships these functions to its executors by
value, which then need no segdsl.
"""
from __future__ import annotations

import math

_SCALE = 2.0 ** 600
_MAX_TERMS = 64          # an expansion of a sum of doubles has at most about 40 terms


def fsum(vals: list) -> float:
    """The language's sum of numbers (population.fsum, which calls this): this module stands
    alone, so that Spark ships it to executors by value."""
    try:
        return math.fsum(vals)
    except OverflowError:       # a partial sum passed the largest double: add at a smaller scale
        pass
    except ValueError:          # inf + -inf
        return math.nan
    try:
        return math.fsum(v / _SCALE for v in vals) * _SCALE
    except ValueError:          # inf + -inf, met after the overflow of finite values
        return math.nan


def exact_sum(values) -> float | None:
    """The language's sum of numbers of those not null; None for no array."""
    if values is None:
        return None
    return fsum([v for v in values if v is not None])


def partials(values) -> list[float] | None:
    """Doubles whose exact sum is the exact sum of `values` (nulls left out): s1 = fsum(values),
    s2 = fsum(values − s1), ... until the rest is exactly zero. Values that are not finite, or
    whose sum passes the largest double, are returned as they are (their own expansion), so
    the fsum of any concatenation treats them as population.fsum treats all the values."""
    if values is None:
        return None
    vals = [v for v in values if v is not None]
    if not all(math.isfinite(v) for v in vals):
        return vals
    work, out = list(vals), []
    try:
        s = math.fsum(work)
        while s != 0.0:
            out.append(s)
            if len(out) > _MAX_TERMS or len(out) >= len(vals):
                return vals
            work.append(-s)
            s = math.fsum(work)
    except OverflowError:
        return vals
    return out


def grow(ps: list[float], x: float) -> None:
    """Shewchuk's grow-expansion step: x added to the partials `ps`, exactly (also
    population._Partials.add)."""
    i = 0
    for y in ps:
        if abs(x) < abs(y):
            x, y = y, x
        hi = x + y
        lo = y - (hi - x)
        if lo:
            ps[i] = lo
            i += 1
        x = hi
    ps[i:] = [x]


def _add_times(ps: list[float], v: float, count: int) -> None:
    """`count` copies of v added exactly: v · 2^b for each bit b of count (each exact)."""
    b = 0
    while count:
        if count & 1:
            grow(ps, math.ldexp(v, b))
        count >>= 1
        b += 1


def pair_partials(pairs) -> list[float] | None:
    """Doubles whose exact sum is c1·v1 + c2·v2 + ... for [v1, c1, v2, c2, ...] (distinct values
    and counts), without a list of c copies: a bucket of distinct values as `partials` would
    give it for its customers. A sum that passes the largest double on the way gives the
    values themselves, each repeated, as `partials` does, so that the fsum of a concatenation
    treats them as population.fsum treats all the values."""
    if pairs is None:
        return None
    counted = list(zip(pairs[0::2], pairs[1::2]))
    ps: list[float] = []
    try:
        for v, c in counted:
            _add_times(ps, v, int(c))
        if all(math.isfinite(p) for p in ps):
            return ps
    except OverflowError:
        pass
    return [v for v, c in counted for _ in range(int(c))]


def cume_shares_above(pairs, above, total) -> list[float | None] | None:
    """cume_share of each distinct value of one bucket, ascending, from [v1, c1, v2, c2, ...]:
    the exact sum of the values ≥ it, those of the bucket plus `above` (doubles whose exact
    sum is that of every value above the bucket), over `total` (the population's fsum),
    None when the total is not positive."""
    if pairs is None:
        return None
    counted = sorted(zip(pairs[0::2], pairs[1::2]))
    acc: list[float] = []
    for a in above or ():
        grow(acc, a)
    positive = total is not None and total > 0
    shares: list[float | None] = []
    for v, c in reversed(counted):
        _add_times(acc, v, int(c))
        shares.append(fsum(acc) / total if positive else None)
    return shares[::-1]


def cume_shares(pairs) -> list[float | None] | None:
    """population.CumeShare of one group from [v1, c1, v2, c2, ...] (distinct values, counts):
    for each distinct value in ascending order, the exact sum of the values ≥ it over the
    exact total, None when the total is not positive."""
    if pairs is None:
        return None
    everything: list[float] = []
    for v, c in sorted(zip(pairs[0::2], pairs[1::2])):
        _add_times(everything, v, int(c))
    return cume_shares_above(pairs, [], fsum(everything))
