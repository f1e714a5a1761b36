"""`segdsl report`: how big, and how valuable, each segment is.

Segment sizes come from an engine's own output (the same run `apply` makes,
DuckDB by default), so a report's sizes are `apply`'s counts on every
engine. Measures (`--measure` a numeric field or let) are the values of each
customer, read as `apply` reads the inputs and computed by the reference
interpreter with the population values over all customers (the engines
write segments, not lets), then joined to the engine's rows on the key.

Per dimension: each segment's customers and share (customers with no
segment included, as a row whose name is None), and per measure its total,
its share of the grand total (the 80/20 view: "top5 is 5 % of customers and
38 % of revenue"), mean and median. An optional cross-tab counts customers
by the segments of two dimensions (a customer with several tags counts in
each). The value is frozen; report_text.py and report_html.py render it.
"""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any, Sequence

from .. import ir
from ..engines.errors import fail
from ..engines.options import ApplyOptions
from ..types import Kind


@dataclass(frozen=True)
class Measure:
    name: str
    label: str | None


@dataclass(frozen=True)
class MeasureStats:
    """One measure over one segment's customers: nulls are left out of every figure."""
    total: float | int
    share: float | None          # of the measure's total over all customers (None: that total is 0)
    mean: float | None
    median: float | None
    count: int                   # customers with a value

    def as_dict(self) -> dict:
        return {"total": self.total, "share": self.share, "mean": self.mean, "median": self.median,
                "count": self.count}


@dataclass(frozen=True)
class SegmentSize:
    name: str | None             # None: the customers with no segment (no tag)
    label: str | None
    customers: int
    share: float
    measures: tuple[tuple[str, MeasureStats], ...] = ()

    def as_dict(self) -> dict:
        return {"name": self.name, "label": self.label, "customers": self.customers, "share": self.share,
                "measures": {n: m.as_dict() for n, m in self.measures}}


@dataclass(frozen=True)
class DimensionSizes:
    name: str
    label: str | None
    policy: str
    segments: tuple[SegmentSize, ...]

    def as_dict(self) -> dict:
        return {"name": self.name, "label": self.label, "policy": self.policy,
                "segments": [s.as_dict() for s in self.segments]}


@dataclass(frozen=True)
class Crosstab:
    """Customers by the segment of `rows` (a dimension) and of `columns` (another)."""
    rows: str
    columns: str
    row_segments: tuple[tuple[str | None, str | None], ...]      # (name, label), None: no segment
    column_segments: tuple[tuple[str | None, str | None], ...]
    counts: tuple[tuple[int, ...], ...]                           # [row][column]

    def as_dict(self) -> dict:
        return {"rows": self.rows, "columns": self.columns,
                "row_segments": [{"name": n, "label": lab} for n, lab in self.row_segments],
                "column_segments": [{"name": n, "label": lab} for n, lab in self.column_segments],
                "customers": [list(r) for r in self.counts]}


@dataclass(frozen=True)
class Report:
    ruleset: str
    label: str | None
    customers: int
    engine: str
    measures: tuple[Measure, ...]
    dimensions: tuple[DimensionSizes, ...]
    crosstab: Crosstab | None = None

    def dimension(self, name: str) -> DimensionSizes | None:
        return next((d for d in self.dimensions if d.name == name), None)

    def as_dict(self) -> dict:
        out = {"ruleset": self.ruleset, "label": self.label, "customers": self.customers, "engine": self.engine,
               "measures": [{"name": m.name, "label": m.label} for m in self.measures],
               "dimensions": [d.as_dict() for d in self.dimensions]}
        if self.crosstab is not None:
            out["crosstab"] = self.crosstab.as_dict()
        return out


NUMERIC = (Kind.INT, Kind.NUMBER)


def measures_of(rs: ir.Ruleset, names: Sequence[str]) -> tuple[Measure, ...]:
    """The measures asked for: numeric fields of the customer input or numeric lets."""
    from ..diagnostics.suggest import did_you_mean
    out = []
    fields = {f.name: f for f in (rs.customer.fields if rs.customer is not None else ())}
    lets = {d.name: d for d in rs.definitions if isinstance(d, ir.Let)}
    for name in names:
        found = fields.get(name) or lets.get(name)
        if found is None:
            hint = did_you_mean(name, [*fields, *lets])
            raise fail("unknown-measure", "measure", name, "the ruleset has no field or let of this name"
                       + (f"; {hint}" if hint else ""), usage=True)
        kind = found.type.kind if isinstance(found, ir.FieldSchema) else found.expr.type.kind
        if kind not in NUMERIC:
            raise fail("not-a-number", "measure", name, f"holds {kind.value} values, not numbers", usage=True)
        if name in (m.name for m in out):
            continue
        out.append(Measure(name, found.label))
    return tuple(out)


def crosstab_of(rs: ir.Ruleset, given: str | Sequence[str] | None) -> tuple[str, str] | None:
    if given is None:
        return None
    names = [n.strip() for n in (given.split(",") if isinstance(given, str) else given)]
    if len(names) != 2 or not all(names):
        raise fail("bad-crosstab", "crosstab", ",".join(names), "give two dimensions: D1,D2", usage=True)
    for n in names:
        if rs.dimension(n) is None:
            raise fail("unknown-dimension", "crosstab", n, "the ruleset has no dimension of this name "
                       f"(dimensions: {', '.join(d.name for d in rs.dimensions)})", usage=True)
    return names[0], names[1]


def report(rs: ir.Ruleset, engine: str, options: ApplyOptions, measures: Sequence[str] = (),
           crosstab: str | Sequence[str] | None = None) -> Report:
    """Segment sizes from `engine`'s run on `options.inputs`, with the measures and cross-tab asked for."""
    from . import app
    if isinstance(measures, str):
        measures = (measures,)
    chosen = measures_of(rs, measures)
    pair = crosstab_of(rs, crosstab)
    table, summary = app.apply_tables(rs, engine, {}, options)
    keys = table.column(rs.key).to_pylist()
    columns = {d.name: table.column(d.name).to_pylist() for d in rs.dimensions}
    values = _measure_values(rs, options, chosen, keys) if chosen else {}
    n = len(keys)
    dims = tuple(_dimension(d, columns[d.name], values, chosen, n) for d in rs.dimensions)
    cross = _crosstab(rs, pair, columns) if pair else None
    return Report(rs.name, rs.label, n, engine, chosen, dims, cross)


def _measure_values(rs: ir.Ruleset, options: ApplyOptions, measures: tuple[Measure, ...],
                    keys: list) -> dict[str, list]:
    """Each measure's value for each customer of the engine's output, in its order. Only
    the definitions the measures read are computed (by the reference interpreter), and the
    population values only when they read one."""
    from dataclasses import replace

    from ..backends.interp import Interpreter
    from ..passes.dependencies import needed, stats_read
    from .explain import Population
    lets = [rs.let(m.name) for m in measures if rs.let(m.name) is not None]
    names = {let.name for let in lets}
    wanted = needed(rs.definitions, [let.expr for let in lets])
    definitions = tuple(d for d in rs.definitions if d.name in names or d in wanted)
    exprs = [x for d in definitions for x in ((d.expr,) if isinstance(d, ir.Let) else
                                              tuple(s.condition for s in d.segments))]
    population = Population.load(rs, options, with_stats=bool(stats_read(exprs)))
    envs = Interpreter(replace(rs, definitions=definitions), population.params,
                       stats=population.stats).run(population.customers)
    by_key = {}
    for c, env in zip(population.customers, envs):
        by_key[c.key] = {m.name: env[m.name] if m.name in names else c.record.get(m.name) for m in measures}
    return {m.name: [by_key[k][m.name] if k in by_key else None for k in keys] for m in measures}


def _members(d: ir.Dimension, value) -> tuple:
    if d.policy == "all":
        return tuple(value or ()) or (None,)
    return (value,)


def _dimension(d: ir.Dimension, column: list, values: dict[str, list], measures, n: int) -> DimensionSizes:
    rows: dict[Any, list[int]] = {s.name: [] for s in d.all_segments()}
    rows[None] = []
    for i, v in enumerate(column):
        for name in _members(d, v):
            rows.setdefault(name, []).append(i)
    totals = {m.name: _total([x for x in values[m.name] if x is not None]) for m in measures}
    out = []
    for s in [*d.all_segments(), None]:
        name = None if s is None else s.name
        members = rows[name]
        if s is None and not members:
            continue
        label = s.label if s is not None else ("no tag" if d.policy == "all" else "no segment")
        stats = tuple((m.name, _stats([values[m.name][i] for i in members], totals[m.name])) for m in measures)
        out.append(SegmentSize(name, label, len(members), len(members) / n if n else 0.0, stats))
    return DimensionSizes(d.name, d.label, d.policy, tuple(out))


def _total(xs: list):
    from ..runtime.population import exact_sum
    return exact_sum(xs) if xs else 0


def _stats(xs: list, grand) -> MeasureStats:
    xs = [x for x in xs if x is not None]
    total = _total(xs)
    return MeasureStats(total, total / grand if grand else None, total / len(xs) if xs else None,
                        statistics.median(xs) if xs else None, len(xs))


def _crosstab(rs: ir.Ruleset, pair: tuple[str, str], columns: dict[str, list]) -> Crosstab:
    a, b = rs.dimension(pair[0]), rs.dimension(pair[1])
    counts: Counter = Counter()
    for va, vb in zip(columns[a.name], columns[b.name]):
        for x in _members(a, va):
            for y in _members(b, vb):
                counts[x, y] += 1
    rows = [(s.name, s.label) for s in a.all_segments()]
    cols = [(s.name, s.label) for s in b.all_segments()]
    if any(x is None for x, _ in counts):
        rows.append((None, "no tag" if a.policy == "all" else "no segment"))
    if any(y is None for _, y in counts):
        cols.append((None, "no tag" if b.policy == "all" else "no segment"))
    matrix = tuple(tuple(counts[x, y] for y, _ in cols) for x, _ in rows)
    return Crosstab(a.name, b.name, tuple(rows), tuple(cols), matrix)


# ---- coverage on data (`segdsl test --data`) -------------------------------------------

@dataclass(frozen=True)
class Dominant:
    dimension: str
    segment: str | None
    share: float

    def as_dict(self) -> dict:
        return {"dimension": self.dimension, "segment": self.segment, "share": self.share}


@dataclass(frozen=True)
class DataCoverage:
    """What real data does with the rules: the segments no customer reaches, and the
    dimensions where one segment (or no segment) takes more than `max_share` of them
    (`first` and `unique` dimensions: the tags of an `all` dimension do not share)."""
    customers: int
    unreached: tuple[tuple[str, str], ...]          # (dimension, segment)
    max_share: float | None                         # percent
    dominant: tuple[Dominant, ...]

    def as_dict(self) -> dict:
        return {"customers": self.customers, "unreached": [f"{d}.{s}" for d, s in self.unreached],
                "max_share": self.max_share, "dominant": [x.as_dict() for x in self.dominant]}


def data_coverage(rs: ir.Ruleset, engine: str, options: ApplyOptions, max_share: float | None = None) -> DataCoverage:
    """Segment sizes on real data (an engine's run, as `report`), read as coverage."""
    if max_share is not None and not 0 <= max_share <= 100:
        raise fail("bad-number", "max_share", max_share, "give a share between 0 and 100", usage=True)
    sizes = report(rs, engine, options)
    unreached = tuple((d.name, s.name) for d in sizes.dimensions for s in d.segments
                      if s.name is not None and s.customers == 0)
    dominant = ()
    if max_share is not None:
        dominant = tuple(Dominant(d.name, s.name, s.share) for d in sizes.dimensions for s in d.segments
                         if d.policy != "all" and s.share * 100 > max_share)
    return DataCoverage(sizes.customers, unreached, max_share, dominant)
