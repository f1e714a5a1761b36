"""The polars backend: a Plan → one polars LazyFrame query, built from expression objects.

The query reads *prepared* frames, one per input: the fields by name, typed
(Int64, Float64, Boolean, String, Date, Datetime[us]), enum values as member
names, the input order in ORDER, `_row` for a keyless customer input and the
carried-through columns under private names: what engines/arrow.rows_table
gives the SQL engines. Nothing from a rule file becomes code: constants are
`pl.lit` values, names are `pl.col` names.

Shape (LazyFrame steps, not text):
    customers (or the keys of the related inputs, first seen first)
    ⟕ one group_by(key).agg(...) per related input, each hoisted aggregate once
    → with_columns per definition, in dependency order; a population statistic
      is a column added before the first definition that reads it
    → select key, dimensions [, labels, attributes, kept columns], the
      `unique` conflicts and ORDER

Semantics are the interpreter's (backends/interp.py): polars' `&`, `|` and
`~` are Kleene logic, comparisons and arithmetic are null in, null out, and
`when` takes a null condition as not true, which is the language's. Where
polars' own answer could differ by a bit, the language's definition is used
instead: sums of numbers are exact (population.fsum, in Python over each
group's list), upper/lower map full Unicode case as Python does, and the
population statistics are the formulas of runtime/population.py written as
window expressions (percent_rank, ntile, quantile, median, count, min, max,
whole-number sums) or, for the exact-sum ones (mean, sum of numbers,
cume_share) and frozen values, population.py itself over the whole column.
What cannot be expressed is SEG501 (backends/errors.NotSupported) at the rule.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from typing import Any, Callable, Mapping

import polars as pl

from .. import ir
from ..builtins import BUILTINS
from ..passes import Plan
from ..passes.dependencies import definition_exprs, stats_read
from .names import conflict_column, conflict_columns  # noqa: F401  (the polars engine's names too)
from ..runtime import population
from ..runtime.limits import DAYS_SPAN
from ..runtime.population import fsum
from ..types import Kind, Type
from .errors import NotSupported
from .layout import attribute_keys, attribute_kind, attribute_values

ORDER = "__segdsl_order"            # the same names the SQL backend's prepared tables use
ROW = "_row"
CONFLICT_VALUE = "(conflict)"       # what a conflicting `unique` dimension holds for its readers

DTYPES: dict[Kind, Any] = {
    Kind.INT: pl.Int64, Kind.NUMBER: pl.Float64, Kind.BOOL: pl.Boolean, Kind.STRING: pl.String,
    Kind.ENUM: pl.String, Kind.SEGMENT: pl.String, Kind.DATE: pl.Date, Kind.DATETIME: pl.Datetime("us"),
    Kind.TAGS: pl.List(pl.String), Kind.NULL: pl.Null, Kind.DURATION: pl.Int64,   # a duration is whole days
}
_ATTRIBUTE_DTYPES = {"int": pl.Int64, "number": pl.Float64, "bool": pl.Boolean, "string": pl.String}


def dtype(t: Type):
    return DTYPES[t.kind]


def moved(x: pl.Expr, days: pl.Expr) -> pl.Expr:
    """A date or datetime moved by whole days; null when the result leaves years 1 to 9999
    (runtime/limits.py), which polars' dates would hold. A day count beyond any move that can
    stay in range is null before it meets a duration."""
    n = pl.when(days.is_between(-DAYS_SPAN, DAYS_SPAN)).then(days)
    r = x + pl.duration(days=n)
    return pl.when(r.dt.year().is_between(1, 9999)).then(r)


def _may_overflow(e: ir.Expr) -> bool:
    """Whole-number arithmetic the checker did not prove to fit in 64 bits: computed in Int128
    (exact for any two 64-bit operands) and null beyond 64 bits (runtime/limits.py), where
    Int64 arithmetic would wrap around silently."""
    return e.type.kind is Kind.INT and e.type.nullable


def _narrow(result: pl.Expr, e: ir.Expr) -> pl.Expr:
    """The result in its declared type; an Int128 beyond 64 bits becomes null (a non-strict cast)."""
    return result.cast(dtype(e.type), strict=False)


def keep_column(i: int) -> str:
    return f"__segdsl_keep_{i}"


def aggregate_column(name: str) -> str:
    return f"__{name}"


def population_column(i: int) -> str:
    return f"__pop_{i}"




def _first_column(rs: ir.Ruleset, d: ir.Dimension) -> str:
    return f"__segdsl_first_{[x.name for x in rs.dimensions].index(d.name)}"


def literal(v, t: Type) -> pl.Expr:
    """A constant of the rules, typed as the IR types it."""
    if t.kind is Kind.TAGS:
        return pl.lit(pl.Series([list(v)], dtype=pl.List(pl.String)))
    if v is None:
        return pl.lit(None, dtype=dtype(t))
    if t.kind is Kind.NUMBER:
        return pl.lit(float(v), dtype=pl.Float64)
    return pl.lit(v, dtype=dtype(t))


# ---- scalar built-ins: one builder each, over the arguments' expressions and kinds ----

def _full_case(method: Callable[[str], str], vectorized: Callable[[pl.Expr], pl.Expr]) -> Callable:
    """str.upper / str.lower as Python maps them (ß → SS, final sigma): polars' own mapping
    on ASCII text, Python's on a column with anything else."""
    def apply(s: pl.Series) -> pl.Series:
        if s.str.contains(r"[^\x00-\x7f]").any():
            return pl.Series(s.name, [None if x is None else method(x) for x in s.to_list()], dtype=pl.String)
        return s.to_frame().select(vectorized(pl.col(s.name))).to_series()
    return lambda a, kinds: a[0].map_batches(apply, return_dtype=pl.String)


def _as_date(e: pl.Expr, kind: Kind) -> pl.Expr:
    return e.cast(pl.Date) if kind is Kind.DATETIME else e


FUNCTIONS: dict[str, Callable[[list[pl.Expr], tuple[Kind, ...]], pl.Expr]] = {
    "coalesce": lambda a, kinds: pl.coalesce(a),
    "lower": _full_case(str.lower, lambda e: e.str.to_lowercase()),
    "upper": _full_case(str.upper, lambda e: e.str.to_uppercase()),
    "trim": lambda a, kinds: a[0].str.strip_chars(" "),
    "length": lambda a, kinds: a[0].str.len_chars().cast(pl.Int64),
    "starts_with": lambda a, kinds: a[0].str.starts_with(a[1]),
    "ends_with": lambda a, kinds: a[0].str.ends_with(a[1]),
    "contains": lambda a, kinds: a[0].str.contains(a[1], literal=True),
    "days_between": lambda a, kinds: (_as_date(a[1], kinds[1]) - _as_date(a[0], kinds[0])).dt.total_days(),
    "year": lambda a, kinds: a[0].dt.year().cast(pl.Int64),
    "month": lambda a, kinds: a[0].dt.month().cast(pl.Int64),
    "day": lambda a, kinds: a[0].dt.day().cast(pl.Int64),
    "add_days": lambda a, kinds: moved(a[0], a[1]),
    "abs": lambda a, kinds: a[0].abs(),
    "to_datetime": lambda a, kinds: a[0].cast(pl.Datetime("us")),
}

_COMPARE = {"=": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}


class Expressions:
    """IR expression → polars expression, one short `visit_<Node>` per node kind."""

    def __init__(self, params: Mapping[str, Any]):
        self.params = params

    def expr(self, e: ir.Expr) -> pl.Expr:
        return getattr(self, "visit_" + type(e).__name__)(e)

    def typed(self, e: ir.Expr, t: Type) -> pl.Expr:
        """`e` as type `t` (branches of a case, arguments of coalesce: one type for all)."""
        return self.expr(e).cast(dtype(t)) if t.kind is not Kind.NULL else self.expr(e)

    # -- values --
    def visit_Const(self, e: ir.Const) -> pl.Expr:
        return literal(e.value, e.type)

    def visit_FieldRef(self, e: ir.FieldRef) -> pl.Expr:
        return pl.col(e.name)

    visit_LetRef = visit_DimRef = visit_RowFieldRef = visit_FieldRef

    def visit_ParamRef(self, e: ir.ParamRef) -> pl.Expr:
        return literal(self.params[e.name], e.type)

    def visit_AggregateRef(self, e: ir.AggregateRef) -> pl.Expr:
        return pl.col(aggregate_column(e.name))

    def visit_PopulationStat(self, e: ir.PopulationStat) -> pl.Expr:
        return pl.col(population_column(e.id))

    def visit_Aggregate(self, e: ir.Aggregate) -> pl.Expr:
        raise AssertionError("the polars backend reads a plan, whose aggregates are hoisted")

    # -- arithmetic and functions: null in, null out --
    def visit_Arith(self, e: ir.Arith) -> pl.Expr:
        a, b = self.expr(e.left), self.expr(e.right)
        if e.op == "date_add":
            return moved(a, b)
        if e.op == "date_sub":
            return moved(a, -b)
        if e.op == "div":
            return pl.when(b != 0).then(a.cast(pl.Float64) / b.cast(pl.Float64)).otherwise(None)
        if _may_overflow(e):
            a, b = a.cast(pl.Int128), b.cast(pl.Int128)
        result = {"add": a.add, "sub": a.sub, "mul": a.mul}[e.op](b)
        return _narrow(result, e) if e.type.kind in (Kind.INT, Kind.NUMBER) else result

    def visit_Neg(self, e: ir.Neg) -> pl.Expr:
        a = self.expr(e.operand)
        if _may_overflow(e):     # 0 - a: polars has no negation of Int128
            return _narrow(pl.lit(0, dtype=pl.Int128) - a.cast(pl.Int128), e)
        return a.neg()

    def visit_Func(self, e: ir.Func) -> pl.Expr:
        kinds = tuple(a.type.kind for a in e.args)
        if e.name == "coalesce":
            args = [self.typed(a, e.type) for a in e.args]
        else:
            args = [self.expr(a) for a in e.args]
            for i, need in enumerate(BUILTINS[e.name].needs):
                if e.args[i].type.kind is Kind.NULL:     # a literal `null`: typed as the function needs
                    args[i] = pl.lit(None, dtype=_NEED_DTYPES[need.sql_type])
            if any(a.meta.root_names() for a in args):   # `contains("text", column)`: the text per row
                args = [per_row(a) for a in args]
        if BUILTINS[e.name].may_overflow and _may_overflow(e):
            return _narrow(FUNCTIONS[e.name]([a.cast(pl.Int128) for a in args], kinds), e)
        return FUNCTIONS[e.name](args, kinds).cast(dtype(e.type))

    # -- comparisons and logic: three-valued --
    def visit_Compare(self, e: ir.Compare) -> pl.Expr:
        if e.left.type.kind is Kind.TAGS:
            return self.tags_compare(e)
        a, b = self.expr(e.left), self.expr(e.right)
        return getattr(a, _COMPARE[e.op])(b)

    def tags_compare(self, e: ir.Compare) -> pl.Expr:
        a = self.expr(e.left)
        cond = a.list.len() == 0 if not e.right.value else a == self.expr(e.right)
        return ~cond if e.op == "!=" else cond

    def visit_Between(self, e: ir.Between) -> pl.Expr:
        x = self.expr(e.operand)
        test = x.ge(self.expr(e.low)) & x.le(self.expr(e.high))
        return ~test if e.negated else test

    def visit_InList(self, e: ir.InList) -> pl.Expr:
        if isinstance(e.operand, ir.Const) and all(isinstance(i, ir.Const) for i in e.items):
            # decided here: polars' is_in on a constant gives a one-row column, not a scalar,
            # and a when/then over it cannot be lined up with the rows in a group's context
            return pl.lit(_in_constants(e.operand.value, [i.value for i in e.items], e.negated), dtype=pl.Boolean)
        x = self.expr(e.operand)
        if not e.items:
            test = pl.lit(False)
        elif all(isinstance(i, ir.Const) and i.value is not None for i in e.items) and e.operand.type.kind \
                not in (Kind.NULL, Kind.TAGS) and len({i.type.kind for i in e.items}) == 1 \
                and e.items[0].type.kind is e.operand.type.kind and x.meta.root_names():
            # (an operand that reads no column, a param, takes the equalities below: is_in on it
            # would be a one-row column, as for a constant above)
            values = pl.Series([i.value for i in e.items], dtype=dtype(e.operand.type))
            test = x.is_in(values.implode())          # null stays null, as or3 of equalities
        else:
            test = reduce(lambda l, r: l | r, [x.eq(self.expr(i)) for i in e.items])
        return ~test if e.negated else test

    def visit_InTags(self, e: ir.InTags) -> pl.Expr:
        test = pl.col(e.dimension).list.contains(pl.lit(e.segment, dtype=pl.String))
        return ~test if e.negated else test

    def visit_IsNull(self, e: ir.IsNull) -> pl.Expr:
        x = self.expr(e.operand)
        return x.is_not_null() if e.negated else x.is_null()

    def visit_And(self, e: ir.And) -> pl.Expr:
        return reduce(lambda l, r: l & r, [self.expr(i) for i in e.items])

    def visit_Or(self, e: ir.Or) -> pl.Expr:
        return reduce(lambda l, r: l | r, [self.expr(i) for i in e.items])

    def visit_Not(self, e: ir.Not) -> pl.Expr:
        return ~self.expr(e.operand)

    def visit_Case(self, e: ir.Case) -> pl.Expr:
        (c, v), *rest = e.whens
        chain = pl.when(self.expr(c)).then(self.typed(v, e.type))
        for c, v in rest:
            chain = chain.when(self.expr(c)).then(self.typed(v, e.type))
        default = self.typed(e.else_, e.type) if e.else_ is not None else literal(None, e.type)
        return chain.otherwise(default)

    # -- one aggregate over a related input's rows, in its group_by --
    def aggregate(self, name: str, node: ir.Aggregate) -> tuple[pl.Expr, Callable[[pl.Expr], pl.Expr] | None]:
        """The expression in the group_by's `agg`, and what turns its column into the value
        afterwards (exact sums: the group's values, summed by population.fsum), or None."""
        for x in ir.walk(node):
            if isinstance(x, (ir.FieldRef, ir.LetRef, ir.DimRef, ir.AggregateRef, ir.PopulationStat)):
                raise NotSupported("an aggregate that reads customer values (other than params) "
                                   "is not supported by the polars engine", node.span)
        where = per_row(self.expr(node.where)) if node.where is not None else None
        if node.arg is None:
            counted = pl.len() if where is None else where.fill_null(False).sum()
            return counted.cast(pl.Int64).alias(name), None
        value = per_row(self.expr(node.arg))
        if where is not None:
            value = value.filter(where.fill_null(False))
        return getattr(self, "aggregate_" + node.func)(value, node.type.kind, name)

    @staticmethod
    def aggregate_count(value: pl.Expr, kind: Kind, name: str):
        return value.count().cast(pl.Int64).alias(name), None

    @staticmethod
    def aggregate_count_distinct(value: pl.Expr, kind: Kind, name: str):
        return value.drop_nulls().n_unique().cast(pl.Int64).alias(name), None

    @staticmethod
    def aggregate_sum(value: pl.Expr, kind: Kind, name: str):
        if kind is Kind.INT:
            # Int128: exact; brought back to 64 bits after the join (_settled)
            return value.cast(pl.Int128).sum().alias(name), None
        return value.cast(pl.Float64).drop_nulls().alias(name), lambda c: _over_lists(c, _fsum0)

    @staticmethod
    def aggregate_avg(value: pl.Expr, kind: Kind, name: str):
        return value.cast(pl.Float64).drop_nulls().alias(name), lambda c: _over_lists(c, _mean)

    @staticmethod
    def aggregate_min(value: pl.Expr, kind: Kind, name: str):
        return value.min().alias(name), None

    @staticmethod
    def aggregate_max(value: pl.Expr, kind: Kind, name: str):
        return value.max().alias(name), None


_NEED_DTYPES = {"VARCHAR": pl.String, "DATE": pl.Date, "BIGINT": pl.Int64, "DOUBLE": pl.Float64}


def _in_constants(value, items: list, negated: bool) -> bool | None:
    """`value in [items]` for constants, in three-valued logic: null when the value is null,
    or when it equals no item and an item is null."""
    if value is None:
        return None
    if any(i is not None and i == value for i in items):
        return not negated
    if any(i is None for i in items):
        return None
    return negated


def _fsum0(values: list) -> float:
    return fsum(values) if values else 0.0


def _mean(values: list) -> float | None:
    return fsum(values) / len(values) if values else None


def _over_lists(column: pl.Expr, f: Callable[[list], Any]) -> pl.Expr:
    """`f` of each row's list of numbers (a customer's rows), in Python: the exact sums."""
    def apply(s: pl.Series) -> pl.Series:
        return pl.Series(s.name, [None if v is None else f(v) for v in s.to_list()], dtype=pl.Float64)
    return column.map_batches(apply, return_dtype=pl.Float64)


def per_row(e: pl.Expr) -> pl.Expr:
    """A constant as one value per row (of the frame, or of the group in a group_by), so that
    counting or summing it counts the rows: a bare literal is one value however many rows."""
    if e.meta.root_names():
        return e
    value = pl.select(e.alias("v")).to_series()       # no column read: a constant, computed once
    return pl.repeat(pl.lit(value[0], dtype=value.dtype), pl.len())


# ---- population statistics ---------------------------------------------------------

def _over(e: pl.Expr, by: list[pl.Expr]) -> pl.Expr:
    return e.over(by) if by else e


def _quantile(x: pl.Expr, p: float, by: list[pl.Expr]) -> pl.Expr:
    """population.quantile_sorted of the group's non-null values at `p`, the same float
    operations in the same order (numpy's 'linear' quantile, bit for bit)."""
    values = x.drop_nulls().sort()
    n = x.count().cast(pl.Int64)
    h = (n - 1).cast(pl.Float64) * p
    lo = h.floor()
    t = h - lo
    lo_i = lo.cast(pl.Int64)
    hi_i = pl.min_horizontal(lo_i + 1, n - 1)
    a = _over(values.get(lo_i, null_on_oob=True).cast(pl.Float64), by)
    b = _over(values.get(hi_i, null_on_oob=True).cast(pl.Float64), by)
    t = _over(t, by)
    d = b - a
    cut = pl.when(t >= 0.5).then(b - d * (1 - t)).otherwise(a + d * t)
    return pl.when(_over(n, by) > 0).then(cut).otherwise(None)


def _percent_rank(x: pl.Expr, by: list[pl.Expr], desc: bool) -> pl.Expr:
    """(values strictly smaller, or larger for `desc`) / (n − 1); 0 where n ≤ 1."""
    n = _over(x.count().cast(pl.Int64), by)
    below = _over(x.rank("min", descending=desc).cast(pl.Int64), by) - 1
    share = below.cast(pl.Float64) / (n - 1).cast(pl.Float64)
    return pl.when(x.is_null()).then(None).when(n <= 1).then(0.0).otherwise(share)


def _ntile(x: pl.Expr, by: list[pl.Expr], k: int, desc: bool) -> pl.Expr:
    """1 + the number of cut points (quantiles i/k) strictly below x."""
    xf = x.cast(pl.Float64)
    below = [(_quantile(x, i / k, by) < xf).cast(pl.Int64) for i in range(1, k)]
    score = 1 + (pl.sum_horizontal(below) if below else pl.lit(0, dtype=pl.Int64))
    return pl.when(x.is_null()).then(None).otherwise(k + 1 - score if desc else score)


def _vectorized(node: ir.PopulationStat, x: pl.Expr, by: list[pl.Expr]) -> pl.Expr | None:
    """The statistic as window expressions, where the formula is exact in floats; else None."""
    func = node.func
    if func == "percent_rank":
        return _percent_rank(x, by, node.desc)
    if func == "ntile":
        return _ntile(x, by, node.params[0], node.desc)
    if func == "count":
        return _over(x.count().cast(pl.Int64), by)
    if func in ("min", "max"):
        return _over(getattr(x, func)(), by)
    if func in ("median", "quantile"):
        return _quantile(x, 0.5 if func == "median" else node.params[0], by)
    if func == "sum" and node.arg.type.kind is Kind.INT:
        return _over(x.cast(pl.Int128).sum().cast(pl.Int64, strict=False), by)
    return None


def _through_python(node: ir.PopulationStat, x: pl.Expr, by: list[pl.Expr],
                    frozen: population.Stat | None) -> pl.Expr:
    """The statistic by runtime/population.py over the whole column (exact sums, frozen values)."""
    out = dtype(node.type)

    def apply(s: pl.Series) -> pl.Series:
        columns = [s.struct.field(f).to_list() for f in s.struct.fields]
        xs, groups = columns[0], list(zip(*columns[1:])) if len(columns) > 1 else [()] * len(columns[0])
        stat = frozen or population.build(node.func, node.params, node.desc, zip(xs, groups))
        return pl.Series(s.name, [stat.value(v, g) for v, g in zip(xs, groups)], dtype=out)

    fields = [x.alias("x"), *(b.alias(f"b{i}") for i, b in enumerate(by))]
    return pl.struct(fields).map_batches(apply, return_dtype=out)


# ---- the query ------------------------------------------------------------------------

@dataclass(frozen=True)
class Options:
    labels: bool = False
    attributes: bool = False
    keep: tuple[tuple[str, str], ...] = ()      # (output column, customer data column)
    stats: Mapping[int, population.Stat] = field(default_factory=dict)   # frozen statistics by id
    sort: bool = True                           # sort by ORDER (not needed where the scan order holds)


class _Query:
    def __init__(self, plan: Plan, params: Mapping[str, Any], opts: Options):
        self.plan, self.rs, self.opts = plan, plan.ruleset, opts
        self.values = Expressions(params)
        self.aggregates = {a.name: a.node for a in plan.aggregates}

    # -- customers and their aggregates --
    def customers(self, frames: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
        rs = self.rs
        base = frames[rs.customer.name] if rs.customer is not None else self.customer_keys(frames)
        for r in rs.related:
            aggs = [(a.name, *self.values.aggregate(aggregate_column(a.name), a.node))
                    for a in self.plan.aggregates_of(r.name)]
            if not aggs:
                continue
            grouped = frames[r.name].group_by(r.key).agg([e for _, e, _ in aggs])
            after = [post(pl.col(aggregate_column(n))).alias(aggregate_column(n))
                     for n, _, post in aggs if post is not None]
            if after:
                grouped = grouped.with_columns(after)
            joined = base.join(grouped, left_on=rs.key, right_on=r.key, how="left", maintain_order="left")
            empty = [_settled(self.aggregates[n], pl.col(aggregate_column(n)))
                     for n, _, _ in aggs if _empty(self.aggregates[n]) is not None]
            base = joined.with_columns(empty) if empty else joined
        return base

    def customer_keys(self, frames: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
        """Without a customer input, the customers are the keys found in any related input:
        the first input's order, then new keys of the next input."""
        first = self.rs.related[0]
        parts = [frames[r.name].select(pl.col(r.key).alias(first.key), (pl.col(ORDER) + i * 10 ** 12).alias(ORDER))
                 for i, r in enumerate(self.rs.related)]
        keys = pl.concat(parts, how="vertical_relaxed")
        return keys.group_by(first.key).agg(pl.col(ORDER).min()).sort(ORDER)

    # -- definitions --
    def definitions(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        done: set[int] = set()
        order = self.plan.live_stats
        for d in self.plan.definitions:
            wanted = stats_read(definition_exprs(d), self.aggregates) - done
            for pid in sorted(wanted, key=lambda i: order.index(i) if i in order else i):
                frame = frame.with_columns(self.statistic(self.rs.population[pid]).alias(population_column(pid)))
                done.add(pid)
            frame = frame.with_columns(self.definition(d))
        return frame

    def statistic(self, node: ir.PopulationStat) -> pl.Expr:
        x = per_row(self.values.expr(node.arg))
        by = [per_row(self.values.expr(b)) for b in node.by]
        frozen = self.opts.stats.get(node.id)
        vectorized = _vectorized(node, x, by) if frozen is None else None
        return (vectorized if vectorized is not None else _through_python(node, x, by, frozen)).cast(dtype(node.type))

    def definition(self, d: ir.Definition) -> list[pl.Expr]:
        if isinstance(d, ir.Let):
            return [self.values.typed(d.expr, d.expr.type).alias(d.name)]
        return getattr(self, "policy_" + d.policy)(d)

    def conditions(self, d: ir.Dimension) -> list[pl.Expr]:
        return [self.values.expr(s.condition) for s in d.segments]

    def policy_first(self, d: ir.Dimension) -> list[pl.Expr]:
        default = pl.lit(d.otherwise.name if d.otherwise else None, dtype=pl.String)
        conds = self.conditions(d)
        if not conds:
            return [default.alias(d.name)]
        chain = pl.when(conds[0]).then(pl.lit(d.segments[0].name))
        for c, s in zip(conds[1:], d.segments[1:]):
            chain = chain.when(c).then(pl.lit(s.name))
        return [chain.otherwise(default).alias(d.name)]

    def policy_unique(self, d: ir.Dimension) -> list[pl.Expr]:
        """The first match, and the conflict's reason; readers see CONFLICT_VALUE for a conflict."""
        if not d.segments:
            return self.policy_first(d)
        first, = self.policy_first(d)
        conds = self.conditions(d)
        hits = pl.sum_horizontal([c.fill_null(False).cast(pl.Int32) for c in conds])
        names = pl.concat_str([pl.when(c).then(pl.lit(s.name)) for c, s in zip(conds, d.segments)],
                              separator=", ", ignore_nulls=True)
        reason = pl.when(hits > 1).then(pl.concat_str([
            pl.lit("matches "), names, pl.lit(f" in `unique` dimension `{d.name}` (at most one may match)")]))
        conflict = conflict_column(self.rs, d)
        return [
            reason.alias(conflict),
            pl.when(reason.is_null()).then(first).otherwise(pl.lit(CONFLICT_VALUE)).alias(d.name)]

    def policy_all(self, d: ir.Dimension) -> list[pl.Expr]:
        """The matching segments as a list. Up to MASK_SEGMENTS segments, the matches are one
        number (bit i: segment i matches) that picks the list from a table of every
        combination: polars builds lists row by row far slower than it gathers them."""
        if not d.segments:
            return [pl.lit(pl.Series([[]], dtype=pl.List(pl.String))).alias(d.name)]
        conds = self.conditions(d)
        if len(conds) > MASK_SEGMENTS:
            tags = pl.concat_list([pl.when(c).then(pl.lit(s.name)).otherwise(pl.lit(None, dtype=pl.String))
                                   for c, s in zip(conds, d.segments)])
            return [tags.list.drop_nulls().alias(d.name)]
        mask = pl.sum_horizontal([c.fill_null(False).cast(pl.Int32) * (1 << i) for i, c in enumerate(conds)])
        return [mask.alias(self.mask_column(d)), _combinations(d, lambda s: s.name).gather(mask).alias(d.name)]

    def mask_column(self, d: ir.Dimension) -> str:
        return f"__segdsl_mask_{[x.name for x in self.rs.dimensions].index(d.name)}"

    # -- the output --
    def output(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        rs, opts = self.rs, self.opts
        cols = [pl.col(rs.key)] + [self.output_value(d) for d in rs.dimensions]
        if opts.labels:
            cols += [self.mapped(d, lambda s: s.label if s.label is not None else s.name, pl.String)
                     .alias(f"{d.name}_label") for d in rs.dimensions]
        if opts.attributes:
            for d in rs.dimensions:
                for k in attribute_keys(d):
                    kind = attribute_kind(d, k)
                    values = {s.name: attribute_values(d, s).get(k) for s in d.all_segments()}
                    out = _ATTRIBUTE_DTYPES.get(kind, pl.String)
                    cols.append(self.mapped(d, lambda s: values[s.name], out).alias(f"{d.name}_{k}"))
        cols += [pl.col(keep_column(i)).alias(out) for i, (out, _) in enumerate(opts.keep)]
        cols += [pl.col(c) for c in conflict_columns(rs)]
        cols.append(pl.col(ORDER))
        result = frame.select(cols)
        return result.sort(ORDER) if opts.sort else result

    def output_value(self, d: ir.Dimension) -> pl.Expr:
        """A conflicting customer has no segment in the output (its conflict column says why)."""
        if d.policy != "unique" or not d.segments:
            return pl.col(d.name)
        return pl.when(pl.col(conflict_column(self.rs, d)).is_null()).then(pl.col(d.name)).alias(d.name)

    def mapped(self, d: ir.Dimension, value: Callable[[ir.Segment], Any], out) -> pl.Expr:
        """A per-segment constant of the dimension's value (a list of them for `all`)."""
        mapping = {s.name: value(s) for s in d.all_segments() if value(s) is not None}
        if out is pl.Float64:
            mapping = {k: float(v) for k, v in mapping.items()}
        if d.policy == "all" and 0 < len(d.segments) <= MASK_SEGMENTS:
            return _combinations(d, value).gather(pl.col(self.mask_column(d)))
        if d.policy == "all":
            if not mapping:
                return pl.col(d.name).list.eval(pl.element().cast(pl.String)).list.head(0)
            element = pl.element().replace_strict(mapping, default=None, return_dtype=pl.String)
            return pl.col(d.name).list.eval(element).list.drop_nulls()
        if not mapping:
            return pl.lit(None, dtype=out)
        return pl.col(d.name).replace_strict(mapping, default=None, return_dtype=out)


MASK_SEGMENTS = 12       # an `all` dimension's table of combinations: at most 4096 lists


def _combinations(d: ir.Dimension, value: Callable[[ir.Segment], Any]) -> pl.Expr:
    """Every combination of an `all` dimension's segments (by bit mask) as the list of their
    values, segments in declaration order, null values left out."""
    lists = [[as_list_item(value(s)) for i, s in enumerate(d.segments) if m >> i & 1 and value(s) is not None]
             for m in range(1 << len(d.segments))]
    return pl.lit(pl.Series(lists, dtype=pl.List(pl.String)))


def as_list_item(v) -> str:
    """A value in a list column (`all` labels and attributes are text: layout.attribute_values)."""
    return v if isinstance(v, str) else str(v)


def _settled(node: ir.Aggregate, column: pl.Expr) -> pl.Expr:
    """An aggregate's column after the join: a customer without rows gets its empty value, and a
    whole sum (exact in Int128, where Int64 would wrap) is null beyond 64 bits (runtime/limits.py)."""
    filled = column.fill_null(_empty(node))
    if node.func == "sum" and node.type.kind is Kind.INT:
        return filled.cast(pl.Int64, strict=False)
    return filled


def _empty(node: ir.Aggregate):
    """What a customer without rows has: counts and sums are zero, the others null."""
    if node.func in ("count", "count_distinct") or node.arg is None:
        return 0
    if node.func == "sum":
        return 0 if node.type.kind is Kind.INT else 0.0
    return None


def build_query(plan: Plan, params: Mapping[str, Any], frames: Mapping[str, pl.LazyFrame],
                opts: Options = Options()) -> pl.LazyFrame:
    """The segmentation as one LazyFrame over prepared input frames (by input name; a related
    input not given must be an empty frame of its fields). One row per customer: the key, the
    dimensions, the columns `opts` asks for, the `unique` conflicts (a reason, or null) and ORDER."""
    q = _Query(plan, params, opts)
    return q.output(q.definitions(q.customers(frames)))


def check_query(plan: Plan, params: Mapping[str, Any]) -> None:
    """Raises NotSupported for what the backend cannot express, before any data is read."""
    q = _Query(plan, params, Options())
    for a in plan.aggregates:
        q.values.aggregate(aggregate_column(a.name), a.node)


def input_dtypes(schema: ir.InputSchema) -> dict[str, Any]:
    return {f.name: dtype(f.type) for f in schema.fields}

