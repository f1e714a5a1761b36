"""Frozen population values (a stats file from `segdsl stats`) baked into SQL, for
`compile --stats`: a daily warehouse run segments with last month's cut points.

Each statistic's frozen tables become VALUES tables (every cell a typed
literal: rule-file and data text only ever become literals), and each customer
is answered as runtime/population.py answers from the same frozen object:

* ntile: one row per group with its cut points; 1 + the cut points strictly
  below x (k + 1 − that for `desc`); a group the file does not have is null;
* percent_rank: the frozen distinct values of each group with the number of
  values below each. A customer's value need not be one of them, so the
  customers and the frozen values are ordered together per group (a window),
  and the first frozen value at or above x (above, for `desc`) gives the count
  `bisect` would find; a group the file does not have gives 0;
* cume_share: the same ordering finds the share of the first frozen value at or
  above x; past the largest, 0 (null when the group's total was not positive);
* the scalars (mean, median, quantile, min, max, sum, count): one value per
  group, and the file's value for an empty population where a group is missing.
"""
from __future__ import annotations

from typing import Any

from sqlglot import exp

from .. import ir
from ..runtime import population
from ..types import Kind
from .population_sql import VALUE, case, col, cte_table, double, ident, named, not_null, num, select

_SQL_TYPE = {Kind.INT: "BIGINT", Kind.NUMBER: "DOUBLE", Kind.STRING: "VARCHAR", Kind.ENUM: "VARCHAR",
             Kind.BOOL: "BOOLEAN", Kind.DATE: "DATE", Kind.DATETIME: "TIMESTAMP", Kind.NULL: "VARCHAR"}
KIND = "__kind"


def typed(v: Any, kind: Kind) -> exp.Expression:
    """A frozen value as a literal of the statistic's SQL type (NULL typed too)."""
    from .sql import literal
    sql_type = exp.DataType.build(_SQL_TYPE.get(kind, "VARCHAR"))
    if v is None:
        return exp.Cast(this=exp.Null(), to=sql_type)
    if kind is Kind.NUMBER:
        return double(exp.Literal.number(repr(float(v))))
    return exp.Cast(this=literal(v, kind), to=sql_type)


class _Frozen:
    def __init__(self, node: ir.PopulationStat, args: str, key: str):
        self.node, self.args, self.key = node, args, key
        self.x = f"__arg_{node.id}"
        self.groups = [f"__by_{node.id}_{j}" for j in range(len(node.by))]
        self.kinds = [b.type.kind for b in node.by]
        self.ctes: list[tuple[str, exp.Expression]] = []

    def add(self, part: str, body: exp.Expression) -> str:
        name = f"__segdsl_p{self.node.id}_{part}"
        self.ctes.append((name, body))
        return name

    def values(self, part: str, columns: list[str], kinds: list[Kind], rows: list[list]) -> str:
        """A VALUES table (or, without rows, an empty SELECT of the same typed columns)."""
        if not rows:
            body = select(*[named(typed(None, k), c) for c, k in zip(columns, kinds)]).where(
                exp.EQ(this=exp.Literal.number(1), expression=exp.Literal.number(0)), copy=False)
            return self.add(part, body)
        tuples = [exp.Tuple(expressions=[typed(v, k) for v, k in zip(row, kinds)]) for row in rows]
        values = exp.Values(expressions=tuples, alias=exp.TableAlias(this=ident("f"), columns=[ident(c) for c in columns]))
        return self.add(part, select(exp.Star()).from_(values, copy=False))

    def group_values(self, key: tuple) -> list:
        return list(key)

    def same_group(self, a: str, b: str) -> exp.Expression:
        tests = [exp.NullSafeEQ(this=col(g, a), expression=col(g, b)) for g in self.groups]
        return exp.and_(*tests, copy=False) if tests else exp.true()

    def result(self, body: exp.Expression) -> list[tuple[str, exp.Expression]]:
        from .sql import population_table
        self.ctes.append((population_table(self.node.id), body))
        return self.ctes

    def by_group(self, table: str, value: exp.Expression) -> list:
        """Every customer with a value from its group's row of `table` (alias t)."""
        body = select(named(col(self.key, "a"), self.key), named(value, VALUE)).from_(cte_table(self.args, "a"), copy=False) \
            .join(cte_table(table, "t"), on=self.same_group("a", "t"), join_type="left", copy=False)
        return self.result(body)

    # -- statistics --
    def scalar(self, stat: population.Scalar) -> list:
        kind = self.node.type.kind
        rows = [self.group_values(k) + [v, True] for k, v in stat.values.items()]
        table = self.values("frozen", self.groups + ["s", "found"], self.kinds + [kind, Kind.BOOL], rows)
        value = case(exp.Is(this=col("found", "t"), expression=exp.Null()), typed(stat.empty, kind), col("s", "t"))
        return self.by_group(table, value)

    def ntile(self, stat: population.Ntile) -> list:
        cuts = [f"cut_{i}" for i in range(stat.k - 1)]
        rows = [self.group_values(k) + list(c) + [None] * (len(cuts) - len(c)) + [True] for k, c in stat.cuts.items()]
        table = self.values("frozen", self.groups + cuts + ["found"],
                            self.kinds + [Kind.NUMBER] * len(cuts) + [Kind.BOOL], rows)
        score: exp.Expression = exp.Literal.number(1)
        for c in cuts:
            score = exp.Add(this=score, expression=case(exp.LT(this=col(c, "t"), expression=col(self.x, "a")),
                                                         exp.Literal.number(1), exp.Literal.number(0)))
        if stat.desc:
            score = exp.Sub(this=exp.Literal.number(stat.k + 1), expression=exp.Paren(this=score))
        known = exp.and_(not_null(col(self.x, "a")), not_null(col("found", "t")), copy=False)
        return self.by_group(table, case(known, score))

    def next_frozen(self, table: str, payload: str, frozen_first: bool) -> str:
        """Per distinct (group, x) of the customers: the least `payload` among the frozen values
        at or above x (`frozen_first`: above x only), customers' values and frozen values
        ordered together per group (a window); joined back by (group, x)."""
        groups = [col(g) for g in self.groups]
        customers = select(*groups, named(col(self.x), "v"), named(exp.Literal.number(1 if frozen_first else 0), KIND),
                            named(exp.Cast(this=exp.Null(), to=exp.DataType.build("BIGINT")), payload)) \
            .from_(cte_table(self.args), copy=False).where(not_null(col(self.x)), copy=False).distinct(copy=False)
        frozen = select(*[col(g) for g in self.groups], col("v"),
                         named(exp.Literal.number(0 if frozen_first else 1), KIND), col(payload)) \
            .from_(cte_table(table), copy=False)
        both = self.add("together", exp.union(customers, frozen, distinct=False, copy=False))
        window = exp.Window(this=exp.Min(this=col(payload)), partition_by=[col(g) for g in self.groups] or None,
                            order=exp.Order(expressions=[exp.Ordered(this=col("v"), nulls_first=False),
                                                         exp.Ordered(this=col(KIND), nulls_first=False)]),
                            spec=exp.WindowSpec(kind="ROWS", start="CURRENT ROW", end="UNBOUNDED", end_side="FOLLOWING"))
        marked = self.add("marked", select(*[col(g) for g in self.groups], col("v"), col(KIND), named(window, "next"))
                          .from_(cte_table(both), copy=False))
        customer_kind = 1 if frozen_first else 0
        return self.add("next", select(*[col(g) for g in self.groups], col("v"), col("next")).from_(
            cte_table(marked), copy=False).where(exp.EQ(this=col(KIND), expression=exp.Literal.number(customer_kind)),
                                              copy=False))

    def at_next(self, following: str) -> exp.Expression:
        """How a customer finds its row of `next_frozen` (alias q)."""
        return exp.and_(exp.EQ(this=col("v", "q"), expression=col(self.x, "a")), self.same_group("a", "q"), copy=False)

    def percent_rank(self, stat: population.PercentRank) -> list:
        x_kind = self.node.arg.type.kind
        rows = [self.group_values(k) + [v, b] for k, (d, bs, n) in stat.tables.items() for v, b in zip(d, bs)]
        table = self.values("frozen", self.groups + ["v", "b"], self.kinds + [x_kind, Kind.INT], rows)
        sizes = self.values("sizes", self.groups + ["n"], self.kinds + [Kind.INT],
                            [self.group_values(k) + [n] for k, (d, bs, n) in stat.tables.items()])
        following = self.next_frozen(table, "b", frozen_first=stat.desc)
        n = exp.Coalesce(this=col("n", "s"), expressions=[exp.Literal.number(0)])
        found = exp.Coalesce(this=col("next", "q"), expressions=[n.copy()])
        smaller = exp.Sub(this=n.copy(), expression=found) if stat.desc else found
        value = case(exp.LTE(this=n.copy(), expression=exp.Literal.number(1)), num(0.0),
                      exp.Div(this=double(smaller), expression=double(exp.Sub(this=n.copy(), expression=exp.Literal.number(1)))))
        value = case(not_null(col(self.x, "a")), value)
        body = select(named(col(self.key, "a"), self.key), named(value, VALUE)).from_(cte_table(self.args, "a"), copy=False) \
            .join(cte_table(following, "q"), on=self.at_next(following), join_type="left", copy=False) \
            .join(cte_table(sizes, "s"), on=self.same_group("a", "s"), join_type="left", copy=False)
        return self.result(body)

    def cume_share(self, stat: population.CumeShare) -> list:
        x_kind = self.node.arg.type.kind
        rows = [self.group_values(k) + [v, i, s] for k, (d, ss) in stat.tables.items()
                for i, (v, s) in enumerate(zip(d, ss))]
        table = self.values("frozen", self.groups + ["v", "pos", "share"], self.kinds + [x_kind, Kind.INT, Kind.NUMBER],
                            rows)
        past = [self.group_values(k) + [0.0 if ss and ss[0] is not None else None] for k, (d, ss) in stat.tables.items()]
        groups = self.values("groups", self.groups + ["past"], self.kinds + [Kind.NUMBER], past)
        following = self.next_frozen(table, "pos", frozen_first=False)
        value = case(exp.Is(this=col("next", "q"), expression=exp.Null()), col("past", "g"), col("share", "f"))
        value = case(not_null(col(self.x, "a")), value)
        on_frozen = exp.and_(exp.EQ(this=col("pos", "f"), expression=col("next", "q")), self.same_group("a", "f"),
                             copy=False)
        body = select(named(col(self.key, "a"), self.key), named(value, VALUE)).from_(cte_table(self.args, "a"), copy=False) \
            .join(cte_table(following, "q"), on=self.at_next(following), join_type="left", copy=False) \
            .join(cte_table(groups, "g"), on=self.same_group("a", "g"), join_type="left", copy=False) \
            .join(cte_table(table, "f"), on=on_frozen, join_type="left", copy=False)
        return self.result(body)


def frozen_ctes(node: ir.PopulationStat, stat: population.Stat, args: str,
                key: str) -> list[tuple[str, exp.Expression]]:
    """The CTEs that answer statistic `node` from its frozen values `stat` over the arguments
    CTE `args`; the last is sql.population_table(node.id) with (key, VALUE) per customer."""
    f = _Frozen(node, args, key)
    if isinstance(stat, population.Ntile):
        return f.ntile(stat)
    if isinstance(stat, population.PercentRank):
        return f.percent_rank(stat)
    if isinstance(stat, population.CumeShare):
        return f.cume_share(stat)
    return f.scalar(stat)
