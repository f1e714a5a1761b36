"""Population values as SQL, computed inside the database with runtime/population.py's bits.

Input: one CTE holding every customer's arguments of a population stage (the
shape of sql.population_query: the key, `__arg_ID`, `__by_ID_J`). Output, per
statistic: a few CTEs ending in `population_table(ID)` = (key, VALUE), which
the segmentation query joins by key. Nothing per customer leaves the database
and no window spans all customers:

* frequency table: `GROUP BY groups, value` with counts, so only distinct
  values go further;
* cumulative counts: a window over the distinct values of one group
  (`PARTITION BY groups`), giving each distinct value the number of values
  strictly below it (`below`) and the group's size (`n`);
* percent_rank: below (n − below − c for `desc`) over n − 1, a division of two
  exact integers as doubles, joined back by (group, value);
* quantile, median and ntile's cut points i/k: the order statistics at
  floor(h) and floor(h) + 1, h = (n − 1)·p, picked from the cumulative counts
  by one GROUP BY per group, and numpy's lerp written as population.py
  writes it (`quantile_sorted`), in the same IEEE operations; ntile = 1 + the
  cut points strictly below x;
* count, min, max: one GROUP BY; sums and means of whole numbers: exact
  DECIMAL(38, 0) sums, a sum past 64 bits null as every engine gives it;
* sums and means of numbers: exact only with the engine's registered
  functions (EXACT_PARTIALS, EXACT_SUM, runtime/exact.py): each chunk of a
  group (the customers whose key hashes alike) becomes the few doubles of its
  exact expansion, and one exact sum of the concatenated expansions per group
  is the group's fsum;
* cume_share: of whole numbers, BIGINT window sums; of numbers, EXACT_CUME
  over the group's distinct values and counts.

A dialect without the registered functions (compiled warehouse SQL) gets
SEG501 for the statistics that add numbers: its SUM adds in row order and
rounds after each addition, so its answer can differ, and a different number
is worse than none. Frozen values (`compile --stats`) are baked in instead
(backends/population_frozen.py).
"""
from __future__ import annotations

from sqlglot import exp

from .. import ir
from ..builtins import EXACT_CUME, EXACT_PARTIALS, EXACT_SUM
from ..types import Kind
from . import sql_limits
from .dialects import ArrayItem, CodePoints
from .errors import NotSupported

VALUE = "__segdsl_value"      # the value column of a statistic's results, beside the key
MAX_TILES = 1000              # ntile's cut points are columns: one per tile
CHUNKS = 64                   # chunks of a group summed apart (EXACT_PARTIALS), then merged

V, C, BELOW, N, POS = "v", "c", "below", "n", "pos"


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=ident(name), table=ident(table) if table else None)


def cte_table(name: str, alias: str | None = None) -> exp.Table:
    return exp.Table(this=ident(name), alias=exp.TableAlias(this=ident(alias)) if alias else None)


def named(e: exp.Expression, name: str) -> exp.Expression:
    return exp.alias_(e, ident(name), copy=False)


def _cast(e: exp.Expression, to: str) -> exp.Expression:
    return exp.Cast(this=e, to=exp.DataType.build(to))


def double(e: exp.Expression) -> exp.Expression:
    return _cast(e, "DOUBLE")


def num(v) -> exp.Expression:
    """A whole number, or a double written exactly (repr round-trips)."""
    return exp.Literal.number(v) if isinstance(v, int) else double(exp.Literal.number(repr(float(v))))


def select(*cols: exp.Expression) -> exp.Select:
    return exp.select(*cols, copy=False)


def not_null(e: exp.Expression) -> exp.Expression:
    return exp.Not(this=exp.Is(this=e, expression=exp.Null()))


def case(cond: exp.Expression, then: exp.Expression, default: exp.Expression | None = None) -> exp.Case:
    return exp.Case(ifs=[exp.If(this=cond, true=then)], default=default)


def _window_sum(e: exp.Expression, partition: list[exp.Expression], running: bool) -> exp.Expression:
    """SUM(e) over the group's distinct values: up to and including this one (`running`), or all."""
    if not running:
        return exp.Window(this=exp.Sum(this=e), partition_by=partition or None)
    return exp.Window(this=exp.Sum(this=e), partition_by=partition or None,
                      order=exp.Order(expressions=[exp.Ordered(this=col(V), nulls_first=False)]),
                      spec=exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW"))


def lerp(x: exp.Expression, y: exp.Expression, t: exp.Expression) -> exp.Expression:
    """numpy's _lerp as population.quantile_sorted writes it: x + d·t, but y − d·(1 − t) for
    t ≥ 0.5, d = y − x; every operand a double, one IEEE operation per node."""
    def d():
        return exp.Paren(this=exp.Sub(this=y.copy(), expression=x.copy()))
    upper = exp.Sub(this=y.copy(), expression=exp.Mul(
        this=d(), expression=exp.Paren(this=exp.Sub(this=num(1.0), expression=t.copy()))))
    lower = exp.Add(this=x.copy(), expression=exp.Mul(this=d(), expression=t.copy()))
    return case(exp.GTE(this=t.copy(), expression=num(0.5)), upper, lower)


class StatSql:
    """The CTEs of one statistic over the arguments CTE `args`."""

    def __init__(self, node: ir.PopulationStat, args: str, key: str, functions: frozenset[str]):
        self.node, self.args, self.key, self.functions = node, args, key, functions
        self.ctes: list[tuple[str, exp.Expression]] = []
        self.x = f"__arg_{node.id}"
        self.groups = [f"__by_{node.id}_{j}" for j in range(len(node.by))]

    # -- pieces --
    def add(self, part: str, body: exp.Expression) -> str:
        name = f"__segdsl_p{self.node.id}_{part}"
        self.ctes.append((name, body))
        return name

    def group_cols(self, table: str | None = None) -> list[exp.Expression]:
        return [col(g, table) for g in self.groups]

    def grouped(self, sel: exp.Select, *extra: exp.Expression) -> exp.Select:
        keys = self.group_cols() + list(extra)
        return sel.group_by(*keys, copy=False) if keys else sel

    def same_group(self, a: str, b: str) -> exp.Expression:
        """Null `by` values form one group of their own: IS NOT DISTINCT FROM."""
        tests = [exp.NullSafeEQ(this=col(g, a), expression=col(g, b)) for g in self.groups]
        return exp.and_(*tests, copy=False) if tests else exp.true()

    def per_customer(self, table: str, value: exp.Expression, on_value: bool = False) -> list[tuple[str, exp.Expression]]:
        """The result: every customer's key and value, from a table by group (and value)."""
        on = self.same_group("a", "t")
        if on_value:
            on = exp.and_(exp.EQ(this=col(self.x, "a"), expression=col(V, "t")), on, copy=False)
        body = select(named(col(self.key, "a"), self.key), named(value, VALUE)) \
            .from_(cte_table(self.args, "a"), copy=False).join(cte_table(table, "t"), on=on, join_type="left", copy=False)
        from .sql import population_table
        self.ctes.append((population_table(self.node.id), body))
        return self.ctes

    def frequencies(self) -> str:
        sel = select(*self.group_cols(), named(col(self.x), V), named(exp.Count(this=exp.Star()), C)) \
            .from_(cte_table(self.args), copy=False).where(not_null(col(self.x)), copy=False)
        return self.add("freq", self.grouped(sel, col(self.x)))

    def cumulative(self, extra: list[exp.Expression] = ()) -> str:
        """Each distinct value with its count, the values strictly below it and the group's size."""
        freq = self.frequencies()
        part = self.group_cols
        below = exp.Sub(this=_cast(_window_sum(col(C), part(), True), "BIGINT"), expression=col(C))
        sel = select(*part(), col(V), col(C), named(below, BELOW),
                      named(_cast(_window_sum(col(C), part(), False), "BIGINT"), N), *extra)
        return self.add("cum", sel.from_(cte_table(freq), copy=False))

    def order_statistics(self, cum: str, ps: list[float]) -> tuple[str, list[exp.Expression]]:
        """Per group: n and, for each p, the values at lo = floor(h) and hi = min(lo + 1, n − 1)
        (0-based, h = (n − 1)·p), picked from the cumulative counts by one GROUP BY; returns the
        table and each p's quantile as an expression over it (alias `t`)."""
        def h(n: exp.Expression, p: float) -> exp.Expression:
            return exp.Mul(this=double(exp.Sub(this=n, expression=exp.Literal.number(1))), expression=num(p))

        positions = []
        for i, p in enumerate(ps):
            lo = _cast(exp.Floor(this=h(col(N), p)), "BIGINT")
            last = exp.Sub(this=col(N), expression=exp.Literal.number(1))
            hi = case(exp.LT(this=lo.copy(), expression=last), exp.Add(this=lo.copy(), expression=exp.Literal.number(1)),
                       lo.copy())
            positions += [named(lo, f"lo_{i}"), named(hi, f"hi_{i}")]
        placed = self.add("positions", select(exp.Star(), *positions).from_(cte_table(cum), copy=False))

        def at(pos: str) -> exp.Expression:
            inside = exp.and_(exp.LTE(this=col(BELOW), expression=col(pos)),
                              exp.LT(this=col(pos), expression=exp.Add(this=col(BELOW), expression=col(C))), copy=False)
            return exp.Max(this=case(inside, col(V)))
        cols = [named(exp.Max(this=col(N)), N)]
        for i in range(len(ps)):
            cols += [named(at(f"lo_{i}"), f"x_{i}"), named(at(f"hi_{i}"), f"y_{i}")]
        picked = self.add("picked", self.grouped(select(*self.group_cols(), *cols).from_(cte_table(placed), copy=False)))
        quantiles = []
        for i, p in enumerate(ps):
            hp = h(col(N, "t"), p)
            t = exp.Paren(this=exp.Sub(this=hp, expression=double(exp.Floor(this=hp.copy()))))
            quantiles.append(lerp(double(col(f"x_{i}", "t")), double(col(f"y_{i}", "t")), t))
        return picked, quantiles

    def exact(self, what: str) -> None:
        if EXACT_SUM not in self.functions or EXACT_PARTIALS not in self.functions:
            raise NotSupported(
                f"`{self.node.func}` of numbers adds them exactly (the double nearest the true sum), and SQL's "
                f"SUM adds in row order, rounding each time: this database would give {what} that can differ "
                f"in the last bits", self.node.span,
                help="freeze the values with `segdsl stats` and compile with `--stats FILE`, run it on an engine "
                     "(duckdb, spark), or use whole numbers (int), whose sums are exact")

    # -- statistics --
    def percent_rank(self) -> list:
        cum = self.cumulative()
        smaller = col(BELOW) if not self.node.desc else \
            exp.Sub(this=exp.Sub(this=col(N), expression=col(BELOW)), expression=col(C))
        value = case(exp.LTE(this=col(N), expression=exp.Literal.number(1)), num(0.0),
                      exp.Div(this=double(smaller), expression=double(
                          exp.Sub(this=col(N), expression=exp.Literal.number(1)))))
        ranks = self.add("ranks", select(*self.group_cols(), col(V), named(value, "r")).from_(cte_table(cum), copy=False))
        return self.per_customer(ranks, col("r", "t"), on_value=True)

    def ntile(self) -> list:
        k = self.node.params[0]
        if k > MAX_TILES:
            raise NotSupported(f"`ntile` with more than {MAX_TILES} tiles: each cut point is a column in SQL",
                               self.node.span, help="use `percent_rank`, whose result ntile's tiles divide")
        picked, cuts = self.order_statistics(self.cumulative(), [i / k for i in range(1, k)])
        below = [case(exp.LT(this=cut, expression=col(self.x, "a")), exp.Literal.number(1), exp.Literal.number(0))
                 for cut in cuts]
        score: exp.Expression = exp.Literal.number(1)
        for b in below:
            score = exp.Add(this=score, expression=b)
        if self.node.desc:
            score = exp.Sub(this=exp.Literal.number(k + 1), expression=exp.Paren(this=score))
        return self.per_customer(picked, case(not_null(col(self.x, "a")), score))

    def quantile(self) -> list:
        p = 0.5 if self.node.func == "median" else float(self.node.params[0])
        picked, (q,) = self.order_statistics(self.cumulative(), [p])
        return self.per_customer(picked, case(exp.GT(this=col(N, "t"), expression=exp.Literal.number(0)), q))

    median = quantile

    def scalar(self, aggregate: exp.Expression) -> list:
        sel = select(*self.group_cols(), named(aggregate, "s")).from_(cte_table(self.args), copy=False)
        return self.per_customer(self.add("groups", self.grouped(sel)), col("s", "t"))

    def count(self) -> list:
        return self.scalar(exp.Count(this=col(self.x)))

    def _extreme(self, cls) -> list:
        x = col(self.x)
        return self.scalar(cls(this=CodePoints(this=x) if self.node.type.kind is Kind.STRING else x))

    def min(self) -> list:
        return self._extreme(exp.Min)

    def max(self) -> list:
        return self._extreme(exp.Max)

    def exact_whole_sum(self) -> exp.Expression:
        """The exact sum of whole numbers, as DECIMAL(38, 0): no 64-bit overflow on the way."""
        return exp.Sum(this=sql_limits.wide(col(self.x)))

    def whole_sum(self) -> exp.Expression:
        """The language's sum of whole numbers: exact, and null past 64 bits, as every engine
        gives it (docs/language.md)."""
        return sql_limits.whole(self.exact_whole_sum())

    def exact_sums(self) -> str:
        """Per group: the exact sum `s` of its numbers and how many there are (`n`)."""
        chunk = exp.Mod(this=exp.Anonymous(this="HASH", expressions=[col(self.key)]),
                        expression=exp.Literal.number(CHUNKS))
        partials = exp.Anonymous(this=EXACT_PARTIALS, expressions=[exp.ArrayAgg(this=col(self.x))])
        chunks = self.add("chunks", self.grouped(
            select(*self.group_cols(), named(partials, "p"), named(exp.Count(this=exp.Star()), N))
            .from_(cte_table(self.args), copy=False).where(not_null(col(self.x)), copy=False), chunk))
        total = exp.Anonymous(this=EXACT_SUM, expressions=[exp.Flatten(this=exp.ArrayAgg(this=col("p")))])
        return self.add("sums", self.grouped(
            select(*self.group_cols(), named(total, "s"), named(_cast(exp.Sum(this=col(N)), "BIGINT"), N))
            .from_(cte_table(chunks), copy=False)))

    def sum(self) -> list:
        if self.node.arg.type.kind is not Kind.NUMBER:
            # no values: 0; values whose sum passes 64 bits: null (not made 0 by a COALESCE)
            none = exp.EQ(this=exp.Count(this=col(self.x)), expression=exp.Literal.number(0))
            return self.scalar(exp.If(this=none, true=_cast(exp.Literal.number(0), "BIGINT"), false=self.whole_sum()))
        self.exact("a sum")
        return self.per_customer(self.exact_sums(), exp.Coalesce(this=col("s", "t"), expressions=[num(0.0)]))

    def mean(self) -> list:
        if self.node.arg.type.kind is not Kind.NUMBER:
            n = exp.Count(this=col(self.x))
            return self.scalar(case(exp.GT(this=n, expression=exp.Literal.number(0)),
                                     exp.Div(this=double(self.exact_whole_sum()), expression=double(n.copy()))))
        self.exact("a mean")
        return self.per_customer(self.exact_sums(), exp.Div(this=col("s", "t"), expression=double(col(N, "t"))))

    def cume_share(self) -> list:
        if self.node.arg.type.kind is not Kind.NUMBER:
            return self.whole_cume_share()
        self.exact("shares")
        pos = exp.Window(this=exp.RowNumber(), partition_by=self.group_cols() or None,
                         order=exp.Order(expressions=[exp.Ordered(this=col(V), nulls_first=False)]))
        freq = self.frequencies()
        pairs = exp.Flatten(this=exp.ArrayAgg(this=exp.Array(expressions=[double(col(V)), double(col(C))])))
        shares = self.add("shares", self.grouped(
            select(*self.group_cols(), named(exp.Anonymous(this=EXACT_CUME, expressions=[pairs]), "shares"))
            .from_(cte_table(freq), copy=False)))
        ranked = self.add("ranked", select(*self.group_cols(), col(V), named(pos, POS)).from_(cte_table(freq), copy=False))
        on = self.same_group("r", "t")
        share = self.add("share", select(*self.group_cols("r"), col(V, "r"),
                                          named(ArrayItem(this=col("shares", "t"), expression=col(POS, "r")), "share"))
                         .from_(cte_table(ranked, "r"), copy=False).join(cte_table(shares, "t"), on=on, copy=False))
        return self.per_customer(share, col("share", "t"), on_value=True)

    def whole_cume_share(self) -> list:
        """Whole numbers: the sums of the values ≥ each distinct value are BIGINT window sums, exact."""
        amount = exp.Mul(this=col(V), expression=col(C))
        through = _cast(_window_sum(amount, self.group_cols(), True), "BIGINT")
        total = _cast(_window_sum(amount.copy(), self.group_cols(), False), "BIGINT")
        cum = self.add("cum", select(*self.group_cols(), col(V), named(through, "through"), named(total, "total"),
                                      named(amount.copy(), "amount")).from_(cte_table(self.frequencies()), copy=False))
        at_least = exp.Add(this=exp.Sub(this=col("total"), expression=col("through")), expression=col("amount"))
        share = case(exp.GT(this=col("total"), expression=exp.Literal.number(0)),
                      exp.Div(this=double(at_least), expression=double(col("total"))))
        shares = self.add("share", select(*self.group_cols(), col(V), named(share, "share")).from_(cte_table(cum), copy=False))
        return self.per_customer(shares, col("share", "t"), on_value=True)


def stat_ctes(node: ir.PopulationStat, args: str, key: str,
              functions: frozenset[str] = frozenset()) -> list[tuple[str, exp.Expression]]:
    """The CTEs that compute statistic `node` over the arguments CTE `args`; the last one is
    named sql.population_table(node.id) and holds (key, VALUE) for every customer.
    NotSupported (SEG501 at the statistic) where the database cannot give population.py's number."""
    return getattr(StatSql(node, args, key, functions), node.func)()
