"""Population statistics, defined once (LANGUAGE.md §4 and §11).

Each statistic is built from the (value, group) pairs of the whole population
and then answers per customer. The same objects serve every Python-side
engine and are what `segdsl stats` will freeze; SQL engines are tested
against them.
"""
from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from typing import Any, Iterable


def quantile_sorted(a: list, p: float) -> float:
    """numpy's default ('linear') quantile, bit for bit, on a sorted list."""
    n = len(a)
    h = (n - 1) * p
    lo = math.floor(h)
    hi = min(lo + 1, n - 1)
    t = h - lo
    x, y = float(a[lo]), float(a[hi])
    d = y - x
    # numpy's _lerp: a + d*t, but b - d*(1-t) for t >= 0.5 (monotone near the top)
    return y - d * (1 - t) if t >= 0.5 else x + d * t


class _Partials:
    """Shewchuk's exact running sum (the algorithm behind math.fsum)."""

    def __init__(self):
        self.partials: list[float] = []

    def add(self, x: float) -> None:
        ps, i = self.partials, 0
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

    def value(self) -> float:
        return math.fsum(self.partials)


def exact_sum(values: Iterable) -> int | float:
    vals = list(values)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        return sum(vals)
    return math.fsum(vals)


class Stat:
    """One population statistic; `value(x, group)` is the customer's result."""

    func: str

    def value(self, x: Any, group: tuple) -> Any:  # pragma: no cover - interface
        raise NotImplementedError


def _groups(pairs: Iterable[tuple[Any, tuple]]) -> dict[tuple, list]:
    g: dict[tuple, list] = defaultdict(list)
    for x, key in pairs:
        if x is not None:
            g[key].append(x)
        else:
            g.setdefault(key, [])
    return g


class PercentRank(Stat):
    func = "percent_rank"

    def __init__(self, groups: dict[tuple, list], desc: bool = False):
        self.sorted = {k: sorted(v, reverse=False) for k, v in groups.items()}
        self.desc = desc

    def value(self, x, group):
        if x is None:
            return None
        a = self.sorted.get(group, [])
        n = len(a)
        if n <= 1:
            return 0.0
        smaller = (n - _bisect_right(a, x)) if self.desc else bisect_left(a, x)
        return smaller / (n - 1)


def _bisect_right(a, x):
    from bisect import bisect_right
    return bisect_right(a, x)


class Ntile(Stat):
    func = "ntile"

    def __init__(self, groups: dict[tuple, list], k: int, desc: bool = False):
        self.k, self.desc = k, desc
        self.cuts = {}
        for key, v in groups.items():
            a = sorted(v)
            self.cuts[key] = [quantile_sorted(a, i / k) for i in range(1, k)] if a else []

    def value(self, x, group):
        if x is None:
            return None
        cuts = self.cuts.get(group)
        if cuts is None:
            return None
        score = 1 + bisect_left(cuts, x)       # 1 + number of cut points strictly below x
        return self.k + 1 - score if self.desc else score


class Scalar(Stat):
    """mean, median, quantile, min, max, sum, count: one value per group."""

    def __init__(self, func: str, groups: dict[tuple, list], p: float | None = None):
        self.func = func
        self.values = {k: _scalar(func, v, p) for k, v in groups.items()}
        self.empty = _scalar(func, [], p)

    def value(self, x, group):
        return self.values.get(group, self.empty)


def _scalar(func: str, v: list, p: float | None):
    if func == "count":
        return len(v)
    if func == "sum":
        return exact_sum(v) if v else 0
    if not v:
        return None
    if func == "mean":
        return math.fsum(v) / len(v)
    if func == "min":
        return min(v)
    if func == "max":
        return max(v)
    a = sorted(v)
    return quantile_sorted(a, 0.5 if func == "median" else p)


class CumeShare(Stat):
    func = "cume_share"

    def __init__(self, groups: dict[tuple, list]):
        self.tables = {}
        for key, v in groups.items():
            desc = sorted(v, reverse=True)
            total = math.fsum(desc)
            acc, distinct, shares = _Partials(), [], []
            i = 0
            while i < len(desc):          # every value ≥ this one, ties included
                x = desc[i]
                while i < len(desc) and desc[i] == x:
                    acc.add(float(desc[i]))
                    i += 1
                distinct.append(x)
                shares.append(acc.value() / total if total > 0 else None)
            self.tables[key] = (distinct[::-1], shares[::-1])

    def value(self, x, group):
        if x is None or group not in self.tables:
            return None
        distinct, shares = self.tables[group]
        i = bisect_left(distinct, x)
        return shares[i] if i < len(distinct) and distinct[i] == x else None


def build(func: str, params: tuple, desc: bool, pairs: Iterable[tuple[Any, tuple]]) -> Stat:
    groups = _groups(pairs)
    if func == "percent_rank":
        return PercentRank(groups, desc)
    if func == "ntile":
        return Ntile(groups, params[0], desc)
    if func == "cume_share":
        return CumeShare(groups)
    return Scalar(func, groups, params[0] if params else None)
