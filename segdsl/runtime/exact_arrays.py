"""exact.partials (and exact.cume_shares) over a numpy array of doubles, without one Python
float per value.

The DuckDB engine's EXACT_PARTIALS (and EXACT_PAIR_ARRAYS, `pair_partials`, for
distinct values and their counts) gets each chunk of a group's numbers (tens of
thousands of doubles) as an Arrow list. exact.partials makes a Python float of each
value and runs math.fsum over the chunk once per term of the expansion: at 10M
customers that was the costliest step of a run with population values. Here each
double is split exactly into an integer mantissa and a power of two (numpy.frexp),
the mantissas are added per exponent in 64-bit integers (in two halves of 26 and 27
bits, so no sum of fewer than 2^36 values can overflow), and the per-exponent sums
become one Python integer: the chunk's exact sum, in units of the smallest exponent's
last bit. Its expansion is then taken off 53 bits at a time, each piece a double that
is exactly that part of the integer.

Any exact expansion of a chunk serves: the merge is one fsum of the concatenated
pieces (EXACT_SUM), which is the correctly rounded exact sum whatever the pieces. So
the result may differ from exact.partials' pieces but never its merged sum. Values
that are not finite, that are within reach of overflow, or whose exponents span more
than a double can hold, take exact.partials itself, whose treatment of them the
merge expects.
"""
from __future__ import annotations

import math
from itertools import accumulate

import numpy as np

from . import exact

_HALF = 26                     # the low half of a 53-bit mantissa
_MAX_EXPONENT = 1020           # |value| · how many < 2^1020: no sum reaches the largest double
_MIN_EXPONENT = -900           # the pieces' last bits stay normal doubles (2^-953 and above)
_MAX_SPREAD = 900             # the chunk's sum in units of its smallest last bit stays below 2^1023
_MAX_VALUES = 1 << 20         # values in one call (upper halves below 2^27: sums below 2^47)
_MAX_COUNTED = 1 << 35        # customers one call's pairs count (upper halves times counts: below 2^62)


def partials(values: np.ndarray) -> list[float]:
    """Doubles whose exact sum is the exact sum of `values` (a float64 array without nulls)."""
    total = None if values.size > _MAX_VALUES else _total(values, None, values.size)
    return exact.partials(values.tolist()) if total is None else _expansion(*total)


def pair_partials(pairs: np.ndarray) -> list[float]:
    """exact.pair_partials of [v1, c1, v2, c2, ...] (distinct values and their counts): doubles
    whose exact sum is c1·v1 + c2·v2 + ..."""
    values, counts = pairs[0::2], pairs[1::2].astype(np.int64)
    customers = int(counts.sum())
    total = None if customers >= _MAX_COUNTED else _total(values, counts, customers)
    return exact.pair_partials(pairs.tolist()) if total is None else _expansion(*total)


def cume_shares(pairs: np.ndarray) -> list[float | None]:
    """exact.cume_shares of [v1, c1, v2, c2, ...] (a group's distinct values and counts), bit for
    bit: for each value in ascending order, the exact sum of the customers' values at or above
    it over the exact total. exact.cume_shares adds each value to an expansion and takes one
    fsum per distinct value, a Python loop over floats (a third of a 3M-row run with
    `cume_share`); here the terms are whole numbers in units of the smallest last bit, summed
    from the top by `accumulate` in Python integers, and each sum becomes its correctly rounded
    double by `float`, as fsum's is. Values outside `_exponents`' bounds take exact.cume_shares."""
    values, counts = pairs[0::2], pairs[1::2].astype(np.int64)
    customers = int(counts.sum())
    bounds = None if customers >= _MAX_COUNTED else _exponents(values, customers)
    if bounds is None:
        return exact.cume_shares(pairs.tolist())
    whole, shifts, low = bounds
    order = np.argsort(values, kind="stable")          # the shares are in ascending order of value
    terms = [(c * w) << s for c, w, s in zip(counts[order].tolist(), whole[order].tolist(), shifts[order].tolist())]
    above = list(accumulate(reversed(terms)))[::-1]         # the sum at or above each value
    total = math.ldexp(float(above[0]), low - 53) if above else 0.0
    if not total > 0:
        return [None] * len(terms)
    return [math.ldexp(float(t), low - 53) / total for t in above]


def _exponents(values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Each value as whole · 2^(shift + low − 53) with whole a 53-bit integer (0 for zero); None
    where a value is not finite, or a sum of `n` of them could come near the largest double, or
    the exponents span too much (exact.py decides those)."""
    if not np.isfinite(values).all():
        return None
    mantissas, exponents = np.frexp(values)
    nonzero = mantissas != 0
    if not nonzero.any():
        return np.zeros(len(values), np.int64), np.zeros(len(values), np.int64), 0
    low, high = int(exponents[nonzero].min()), int(exponents[nonzero].max())
    if high + n.bit_length() > _MAX_EXPONENT or low < _MIN_EXPONENT or high - low > _MAX_SPREAD:
        return None
    whole = (mantissas * 2.0 ** 53).astype(np.int64)
    return whole, np.where(nonzero, exponents - low, 0), low


def _total(values: np.ndarray, counts: np.ndarray | None, n: int) -> tuple[int, int] | None:
    """(t, s): the exact sum of `values` (each times its count) is t · 2^s; None where
    `_exponents` is."""
    found = _exponents(values, n)
    if found is None:
        return None
    whole, shifts, low = found            # value = whole · 2^(shift + low − 53), exactly
    if not whole.any():
        return 0, 0
    upper, lower = whole >> _HALF, whole & ((1 << _HALF) - 1)  # arithmetic shift: whole = upper·2^26 + lower
    if counts is not None:
        upper, lower = upper * counts, lower * counts
    order = np.argsort(shifts, kind="stable")
    shifts, upper, lower = shifts[order], upper[order], lower[order]
    starts = np.flatnonzero(np.r_[True, shifts[1:] != shifts[:-1]])
    total = 0
    for e, u, v in zip(shifts[starts].tolist(), np.add.reduceat(upper, starts).tolist(),
                       np.add.reduceat(lower, starts).tolist()):
        total += ((u << _HALF) + v) << e
    return total, low - 53


def _expansion(total: int, scale: int) -> list[float]:
    """Doubles whose exact sum is total · 2^scale: the nearest double, then the nearest to what
    is left, and so on; each is an integer multiple of 2^scale, so what is left stays one."""
    out = []
    while total:
        nearest = float(total)            # correctly rounded, and a whole number
        out.append(math.ldexp(nearest, scale))
        total -= int(nearest)
    return out
