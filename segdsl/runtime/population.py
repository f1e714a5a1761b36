"""Population statistics, defined once (LANGUAGE.md §4 and §11).

Each statistic is built from the (value, group) pairs of the whole population
and then answers per customer. The same objects serve every Python-side
engine and are what `segdsl stats` will freeze; SQL engines are tested
against them.
"""
from __future__ import annotations

import math
import datetime as dt
from bisect import bisect_left, bisect_right
from collections import defaultdict
from typing import Any, Iterable

from . import exact

from . import limits


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
        exact.grow(self.partials, x)

    def value(self) -> float:
        return fsum(self.partials)




def fsum(values: Iterable[float]) -> float:
    """The language's sum of numbers: the exact sum, rounded once (math.fsum).

    math.fsum raises where a partial sum passes the largest double, even when
    the total does not ([1e308, 1e308, -1e308]); then the values are added at a
    scale of 2**-600 (exact for all but values below about 1e-120, which cannot
    move a total of that size) and the total is scaled back, to ±inf if it is
    out of range, as IEEE arithmetic gives. inf + -inf is NaN, as IEEE gives,
    not an error."""
    return exact.fsum(values if isinstance(values, list) else list(values))


def exact_sum(values: Iterable) -> int | float:
    vals = list(values)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        return limits.whole(sum(vals))          # beyond 64 bits: null (runtime/limits.py)
    return fsum(vals)


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
    """(rank − 1) / (n − 1) with rank = 1 + values strictly smaller (strictly larger for `desc`).

    Kept as distinct values with the count of values below each, which is
    all a customer's result needs and what a stats file stores."""
    func = "percent_rank"

    def __init__(self, tables: dict[tuple, tuple[list, list, int]], desc: bool = False):
        self.tables, self.desc = tables, desc

    @classmethod
    def build(cls, groups: dict[tuple, list], desc: bool = False) -> "PercentRank":
        tables = {}
        for key, v in groups.items():
            a = sorted(v)
            distinct, below = [], []
            for i, x in enumerate(a):
                if not distinct or distinct[-1] != x:
                    distinct.append(x)
                    below.append(i)
            tables[key] = (distinct, below, len(a))
        return cls(tables, desc)

    def value(self, x, group):
        if x is None:
            return None
        distinct, below, n = self.tables.get(group, ([], [], 0))
        if n <= 1:
            return 0.0
        if self.desc:
            i = bisect_right(distinct, x)
            smaller = n - (below[i] if i < len(below) else n)     # values strictly larger
        else:
            i = bisect_left(distinct, x)
            smaller = below[i] if i < len(below) else n
        return smaller / (n - 1)

    def data(self) -> dict:
        return {"desc": self.desc, "groups": [[_key_json(k), d, b, n] for k, (d, b, n) in self.tables.items()]}

    @classmethod
    def from_data(cls, node_params, data) -> "PercentRank":
        return cls({_key_from(k): (d, b, n) for k, d, b, n in data["groups"]}, data["desc"])


class Ntile(Stat):
    """1 + the number of cut points strictly below x; cut points are the
    linear-interpolation quantiles i/k, i = 1..k−1, so ties share a tile."""
    func = "ntile"

    def __init__(self, cuts: dict[tuple, list], k: int, desc: bool = False):
        self.cuts, self.k, self.desc = cuts, k, desc

    @classmethod
    def build(cls, groups: dict[tuple, list], k: int, desc: bool = False) -> "Ntile":
        cuts = {}
        for key, v in groups.items():
            a = sorted(v)
            cuts[key] = [quantile_sorted(a, i / k) for i in range(1, k)] if a else []
        return cls(cuts, k, desc)

    def value(self, x, group):
        if x is None:
            return None
        cuts = self.cuts.get(group)
        if cuts is None:
            return None
        score = 1 + bisect_left(cuts, x)       # 1 + number of cut points strictly below x
        return self.k + 1 - score if self.desc else score

    def data(self) -> dict:
        return {"k": self.k, "desc": self.desc, "groups": [[_key_json(k), c] for k, c in self.cuts.items()]}

    @classmethod
    def from_data(cls, node_params, data) -> "Ntile":
        return cls({_key_from(k): c for k, c in data["groups"]}, data["k"], data["desc"])


class Scalar(Stat):
    """mean, median, quantile, min, max, sum, count: one value per group."""

    def __init__(self, func: str, values: dict[tuple, Any], empty: Any):
        self.func, self.values, self.empty = func, values, empty

    @classmethod
    def build(cls, func: str, groups: dict[tuple, list], p: float | None = None) -> "Scalar":
        return cls(func, {k: _scalar(func, v, p) for k, v in groups.items()}, _scalar(func, [], p))

    def value(self, x, group):
        return self.values.get(group, self.empty)

    def data(self) -> dict:
        return {"empty": _value_json(self.empty),
                "groups": [[_key_json(k), _value_json(v)] for k, v in self.values.items()]}

    @classmethod
    def from_data(cls, func, data) -> "Scalar":
        return cls(func, {_key_from(k): _value_from(v) for k, v in data["groups"]}, _value_from(data["empty"]))


def _scalar(func: str, v: list, p: float | None):
    if func == "count":
        return len(v)
    if func == "sum":
        return exact_sum(v) if v else 0
    if not v:
        return None
    if func == "mean":
        return fsum(v) / len(v)
    if func == "min":
        return min(v)
    if func == "max":
        return max(v)
    a = sorted(v)
    return quantile_sorted(a, 0.5 if func == "median" else p)


class CumeShare(Stat):
    """Sum of the values ≥ x over the total (exact sums), per distinct value."""
    func = "cume_share"

    def __init__(self, tables: dict[tuple, tuple[list, list]]):
        self.tables = tables

    @classmethod
    def build(cls, groups: dict[tuple, list]) -> "CumeShare":
        tables = {}
        for key, v in groups.items():
            desc = sorted(v, reverse=True)
            total = fsum(desc)
            acc, distinct, shares = _Partials(), [], []
            i = 0
            while i < len(desc):          # every value ≥ this one, ties included
                x = desc[i]
                while i < len(desc) and desc[i] == x:
                    acc.add(float(desc[i]))
                    i += 1
                distinct.append(x)
                shares.append(acc.value() / total if total > 0 else None)
            tables[key] = (distinct[::-1], shares[::-1])
        return cls(tables)

    def value(self, x, group):
        if x is None or group not in self.tables:
            return None
        distinct, shares = self.tables[group]
        i = bisect_left(distinct, x)
        if i < len(distinct) and distinct[i] == x:
            return shares[i]
        # a value the frozen population did not have: the share of the values above it
        return shares[i] if i < len(distinct) else (0.0 if shares and shares[0] is not None else None)

    def data(self) -> dict:
        return {"groups": [[_key_json(k), d, s] for k, (d, s) in self.tables.items()]}

    @classmethod
    def from_data(cls, node_params, data) -> "CumeShare":
        return cls({_key_from(k): (d, s) for k, d, s in data["groups"]})


# ---- JSON for stats files: group keys and scalars keep their runtime types ----

def _value_json(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, dt.datetime):
        return {"datetime": v.isoformat()}
    if isinstance(v, dt.date):
        return {"date": v.isoformat()}
    raise TypeError(type(v))


def _value_from(v):
    if isinstance(v, dict):
        if "datetime" in v:
            return dt.datetime.fromisoformat(v["datetime"])
        return dt.date.fromisoformat(v["date"])
    return v


def _key_json(key: tuple) -> list:
    return [_value_json(v) for v in key]


def _key_from(key: list) -> tuple:
    return tuple(_value_from(v) for v in key)


def to_json(stat: Stat) -> dict:
    return {"func": stat.func, **stat.data()}


def from_json(d: dict) -> Stat:
    func = d["func"]
    if func == "percent_rank":
        return PercentRank.from_data(None, d)
    if func == "ntile":
        return Ntile.from_data(None, d)
    if func == "cume_share":
        return CumeShare.from_data(None, d)
    return Scalar.from_data(func, d)


def build(func: str, params: tuple, desc: bool, pairs: Iterable[tuple[Any, tuple]]) -> Stat:
    groups = _groups(pairs)
    if func == "percent_rank":
        return PercentRank.build(groups, desc)
    if func == "ntile":
        return Ntile.build(groups, params[0], desc)
    if func == "cume_share":
        return CumeShare.build(groups)
    return Scalar.build(func, groups, params[0] if params else None)
