"""Population values as SQL, computed inside the database with runtime/population.py's bits.

Input: one CTE holding every customer's arguments of a population stage (the
shape of sql.population_query: the key, `__arg_ID`, `__by_ID_J`). Output: per
statistic, a few CTEs ending in a table with a row per group (or per group and
distinct value), which the segmenting query joins its own rows to, by group
and value, where it has computed the arguments (`stage_stats`, `look_up`): no
table of every customer is built and joined back by key (`stage_ctes`,
`stat_ctes`: the arguments looked up in a (key, value) table, for tests and
tools).
Nothing per customer leaves the database and no window spans all customers:

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

Without `by`, "one group" is the whole population, and on Spark a window
without PARTITION BY runs in one task: with a value of high cardinality one
task would sort every distinct value, and EXACT_CUME would take them all in
one array. The Spark engine (whose SPARK_FUNCTIONS include EXACT_PAIR_PARTIALS
and EXACT_CUME_ABOVE; `StatSql.spread`) gets a range-partitioned form instead:

* buckets: each distinct value goes to one of BUCKETS buckets of consecutive
  values, by a binary search of cut points that are exact percentiles of a
  hash sample of the distinct values (`cut_points`, `bucketed`): a monotone
  function of the value, so equal values share a bucket and no result rests
  on where the cuts fall, only the balance of the tasks;
* cumulative counts (and the BIGINT sums of whole-number cume_share): a
  window PARTITION BY bucket ORDER BY value, plus the bucket's offset, the sum
  over the buckets before it, from a running window over the table of
  per-bucket sums (BUCKETS rows: the only windows without PARTITION BY are
  over that table); n from the same table (`ranged`);
* cume_share of numbers: each bucket's (value, count) pairs and their exact
  sum as a few doubles (EXACT_PAIR_PARTIALS); from the per-bucket table, the
  concatenated sums of the buckets above each bucket and the total (EXACT_SUM
  of all of them); EXACT_CUME_ABOVE per bucket starts its running exact sum
  from the sums above: the same exact sums as EXACT_CUME over every value at
  once, so the same doubles (`spread_cume_share`).

Nothing of this collects to the driver. Other databases keep the window per
group, and statistics with `by` keep it on Spark too.

A dialect without the registered functions (compiled warehouse SQL) gets
SEG501 for the statistics that add numbers: its SUM adds in row order and
rounds after each addition, so its answer can differ, and a different number
is worse than none. Frozen values (`compile --stats`) are baked in instead
(backends/population_frozen.py).
"""
from __future__ import annotations

from sqlglot import exp

from .. import ir
from ..builtins import EXACT_CUME, EXACT_CUME_ABOVE, EXACT_PAIR_ARRAYS, EXACT_PAIR_PARTIALS, EXACT_PARTIALS, EXACT_SUM
from ..types import Kind
from . import sql_limits
from .dialects import ArrayItem, CodePoints, sql_type
from .errors import NotSupported

VALUE = "__segdsl_value"      # the value column of a statistic's results, beside the key
MAX_TILES = 1000              # ntile's cut points are columns: one per tile
CHUNKS = 64                   # chunks of a group summed apart (EXACT_PARTIALS), then merged
BUCKETS = 256                 # buckets of consecutive values a population without `by` is spread over (2^k)
SAMPLE = 32768                # about this many distinct values, picked by hash, place the buckets' bounds

V, C, BELOW, N, POS, BUCKET = "v", "c", "below", "n", "pos", "bucket"


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=ident(name), table=ident(table) if table else None)


def cte_table(name: str, alias: str | None = None) -> exp.Table:
    return exp.Table(this=ident(name), alias=exp.TableAlias(this=ident(alias)) if alias else None)


def named(e: exp.Expression, name: str) -> exp.Expression:
    return exp.alias_(e, ident(name), copy=False)


def _cast(e: exp.Expression, to: str) -> exp.Expression:
    return exp.Cast(this=e, to=sql_type(to))


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


def _ascending(by: str) -> exp.Order:
    return exp.Order(expressions=[exp.Ordered(this=col(by), nulls_first=False)])


def _window_sum(e: exp.Expression, partition: list[exp.Expression], running: bool, order: str = V) -> exp.Expression:
    """SUM(e) over the group's distinct values: up to and including this one (`running`), or all."""
    if not running:
        return exp.Window(this=exp.Sum(this=e), partition_by=partition or None)
    return exp.Window(this=exp.Sum(this=e), partition_by=partition or None, order=_ascending(order),
                      spec=exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW"))


def _same_bucket(a: str, b: str) -> exp.Expression:
    return exp.EQ(this=col(BUCKET, a), expression=col(BUCKET, b))


def _call(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def bucket_of(v: exp.Expression, cuts: exp.Expression) -> exp.Expression:
    """How many of the BUCKETS − 1 ascending cut points are below v (0 .. BUCKETS − 1), by a
    binary search of log2(BUCKETS) steps: AGGREGATE(ARRAY(128, 64, ..., 1), 0, (at, step) ->
    IF(cuts[at + step] < v, at + step, at)). A monotone function of v, so equal values share a
    bucket; `size(filter(cuts, ...))` would compare every cut point for every value."""
    steps, step = [], BUCKETS // 2
    while step:
        steps.append(exp.Literal.number(step))
        step //= 2
    at, by = ident("at"), ident("step")
    further = exp.Add(this=at.copy(), expression=by.copy())
    below = exp.LT(this=ArrayItem(this=cuts, expression=further.copy()), expression=v)
    move = exp.Lambda(this=exp.If(this=below, true=further, false=at.copy()), expressions=[at, by])
    return exp.Reduce(this=exp.Array(expressions=steps), initial=exp.Literal.number(0), merge=move)


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
    """The CTEs of one statistic over the arguments CTE `args`.

    `spread`: a statistic without `by` spreads its windows over the distinct values across
    buckets of consecutive values (Spark SQL; see `bucketed`), where a window without
    PARTITION BY would be one task. By default where the engine registers the functions that
    form needs (EXACT_PAIR_PARTIALS, EXACT_CUME_ABOVE: the Spark engine's SPARK_FUNCTIONS)."""

    def __init__(self, node: ir.PopulationStat, args: str, key: str, functions: frozenset[str],
                 spread: bool | None = None, source: int | None = None, shared: dict | None = None):
        self.node, self.args, self.key, self.functions = node, args, key, functions
        self.ctes: list[tuple[str, exp.Expression]] = []
        # `source`: the statistic whose argument and groups this one's equal, read as its columns;
        # `shared`: the tables of distinct values already made for a source, made once per stage
        self.source = node.id if source is None else source
        self.shared = {} if shared is None else shared
        self.x = f"__arg_{self.source}"
        self.groups = [f"__by_{self.source}_{j}" for j in range(len(node.by))]
        if spread is None:
            spread = EXACT_PAIR_PARTIALS in functions and EXACT_CUME_ABOVE in functions
        self.spread = spread and not self.groups

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
        """The result: each customer's value is `value` over its row of `table` (alias t), found by
        group (and by the customer's argument, `on_value`; the customer is alias a). Kept as
        `lookup`; the CTEs so far (tables of groups or distinct values) are returned."""
        self.lookup = (table, value, on_value)
        return self.ctes

    def joined(self, sel: exp.Select, alias: str) -> tuple[exp.Select, exp.Expression]:
        """`sel` (FROM the arguments AS a) joined to this statistic's table as `alias`, and the
        customer's value read from it."""
        table, value, on_value = self.lookup
        on = self.same_group("a", alias)
        if on_value:
            on = exp.and_(exp.EQ(this=col(self.x, "a"), expression=col(V, alias)), on, copy=False)
        value = value.transform(lambda n: col(n.name, alias) if isinstance(n, exp.Column) and n.table == "t" else n)
        return sel.join(cte_table(table, alias), on=on, join_type="left", copy=False), value

    def once(self, part: str, make) -> str:
        """A table that depends on the argument and groups alone, made once for every statistic
        of the stage over the same ones (percent_rank, median and cume_share of one column
        count its distinct values once)."""
        key = (self.source, part)         # the same source has the same groups, so the same `spread`
        if key not in self.shared:
            self.shared[key] = make()
        return self.shared[key]

    def frequencies(self) -> str:
        return self.once("freq", self.count_values)

    def count_values(self) -> str:
        sel = select(*self.group_cols(), named(col(self.x), V), named(exp.Count(this=exp.Star()), C)) \
            .from_(cte_table(self.args), copy=False).where(not_null(col(self.x)), copy=False)
        return self.add("freq", self.grouped(sel, col(self.x)))

    def cumulative(self) -> str:
        """Each distinct value with its count, the values strictly below it and the group's size."""
        return self.once("cum", self.count_below)

    def count_below(self) -> str:
        freq = self.frequencies()
        if self.spread:
            ranged = self.ranged(self.bucketed(freq), C)
            below = exp.Sub(this=col(f"run_{C}"), expression=col(C))
            return self.add("cum", select(col(V), col(C), named(below, BELOW), named(col(f"all_{C}"), N))
                            .from_(cte_table(ranged), copy=False))
        part = self.group_cols
        below = exp.Sub(this=_cast(_window_sum(col(C), part(), True), "BIGINT"), expression=col(C))
        sel = select(*part(), col(V), col(C), named(below, BELOW),
                      named(_cast(_window_sum(col(C), part(), False), "BIGINT"), N))
        return self.add("cum", sel.from_(cte_table(freq), copy=False))

    # -- a population without `by`, spread over buckets of consecutive values --
    def cut_points(self, freq: str) -> str:
        """One row: `cuts`, BUCKETS − 1 ascending doubles that cut the distinct values into
        buckets of about equal size. Exact percentiles (PERCENTILE) of about SAMPLE distinct
        values, those whose hash is 0 modulo (distinct values DIV SAMPLE + 1): every step a
        function of the data alone, so that each place Spark computes the cut points (a CTE
        read twice is computed twice) gets the same ones. APPROX_PERCENTILE's answer can
        depend on the order its partial results merge in, and a value put in one bucket here
        and another there would be counted wrong. Only the balance of the buckets rests on
        the sample; which values share a bucket never changes a result."""
        count = self.add("distinct", select(named(exp.Count(this=exp.Star()), "d")).from_(cte_table(freq), copy=False))
        step = exp.Add(this=exp.IntDiv(this=col("d", "k"), expression=exp.Literal.number(SAMPLE)),
                       expression=exp.Literal.number(1))
        picked = exp.EQ(this=_call("PMOD", _call("XXHASH64", col(V, "f")), step), expression=exp.Literal.number(0))
        sample = self.add("sample", select(col(V, "f")).from_(cte_table(freq, "f"), copy=False)
                          .join(cte_table(count, "k"), join_type="cross", copy=False).where(picked, copy=False))
        fractions = exp.Array(expressions=[num(i / BUCKETS) for i in range(1, BUCKETS)])
        return self.add("cuts", select(named(_call("PERCENTILE", double(col(V)), fractions), "cuts"))
                        .from_(cte_table(sample), copy=False))

    def bucketed(self, freq: str, *extra: exp.Expression) -> str:
        """Each distinct value (and count, and `extra` over them) with its bucket, 0 .. BUCKETS − 1:
        consecutive values share one, equal values always. A window PARTITION BY bucket then
        sorts d / BUCKETS values a task instead of d in one task, and what crosses buckets
        (offsets, sums above) comes from a table of BUCKETS rows.

        BUCKETS = 256: about as many as a cluster run's shuffle partitions (docs/scale.md: 400
        at 100M customers; the hash of the bucket number places them), so that most tasks get
        a bucket or two; few enough that the per-bucket tables and their windows stay a few
        hundred rows in one task and a value's bucket takes 8 steps of binary search. At 100M
        distinct values a bucket holds about 400k, whose pairs (6 MB) one call of
        EXACT_CUME_ABOVE takes."""
        cuts = self.cut_points(freq)
        sel = select(col(V, "f"), col(C, "f"), *extra, named(bucket_of(col(V, "f"), col("cuts", "k")), BUCKET))
        return self.add("bucketed", sel.from_(cte_table(freq, "f"), copy=False)
                        .join(cte_table(cuts, "k"), join_type="cross", copy=False))

    def ranged(self, table: str, *names: str) -> str:
        """The distinct values of `table` (bucketed) in ascending order with, for each whole-number
        column x of `names`, `run_x` (its sum over the values up to and including this one) and
        `all_x` (over all values): a window PARTITION BY bucket inside each bucket, plus the
        bucket's offset, a running sum over the table of per-bucket sums (BUCKETS rows)."""
        per_bucket = self.add("bucket_sums", select(col(BUCKET), *[named(exp.Sum(this=col(x)), x) for x in names])
                              .from_(cte_table(table), copy=False).group_by(col(BUCKET), copy=False))
        offsets = []
        for x in names:
            before = exp.Sub(this=_cast(_window_sum(col(x), [], True, BUCKET), "BIGINT"), expression=col(x))
            total = _cast(_window_sum(col(x), [], False), "BIGINT")
            offsets += [named(before, f"before_{x}"), named(total, f"all_{x}")]
        offsets_table = self.add("offsets", select(col(BUCKET), *offsets).from_(cte_table(per_bucket), copy=False))
        inside = [named(_cast(_window_sum(col(x), [col(BUCKET)], True), "BIGINT"), f"in_{x}") for x in names]
        local = self.add("local", select(exp.Star(), *inside).from_(cte_table(table), copy=False))
        out = [col(V, "l"), col(C, "l"), *[col(x, "l") for x in names if x != C]]
        for x in names:
            out += [named(exp.Add(this=col(f"before_{x}", "o"), expression=col(f"in_{x}", "l")), f"run_{x}"),
                    named(col(f"all_{x}", "o"), f"all_{x}")]
        return self.add("ranged", select(*out).from_(cte_table(local, "l"), copy=False)
                        .join(cte_table(offsets_table, "o"), on=_same_bucket("l", "o"), copy=False))

    def order_statistics(self, cum: str, ps: list[float]) -> tuple[str, list[exp.Expression]]:
        """Per group: n and, for each p, the values at lo = floor(h) and hi = min(lo + 1, n − 1)
        (0-based, h = (n − 1)·p), picked from the cumulative counts by one GROUP BY; returns the
        table, with each p's quantile computed once per group (not once per customer), and each
        p's column there (alias `t`)."""
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
            quantiles.append(named(lerp(double(col(f"x_{i}", "t")), double(col(f"y_{i}", "t")), t), f"q_{i}"))
        table = self.add("quantiles", select(*self.group_cols("t"), col(N, "t"), *quantiles)
                         .from_(cte_table(picked, "t"), copy=False))
        return table, [col(f"q_{i}", "t") for i in range(len(ps))]

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
        """Per group: the exact sum `s` of its numbers and how many there are (`n`). Each chunk of
        a group becomes the few doubles of its exact sum, and the group's sum is one exact sum
        of them all. With EXACT_PAIR_ARRAYS the chunks are of the distinct values and their
        counts (the table `frequencies`, which other statistics of the argument share), else of
        the customers' values, chunked by key."""
        if EXACT_PAIR_ARRAYS in self.functions:
            chunk = exp.Mod(this=exp.Anonymous(this="HASH", expressions=[col(V)]), expression=exp.Literal.number(CHUNKS))
            pairs = exp.Flatten(this=exp.ArrayAgg(this=exp.Array(expressions=[double(col(V)), double(col(C))])))
            sel = select(*self.group_cols(), named(_call(EXACT_PAIR_ARRAYS, pairs), "p"), named(exp.Sum(this=col(C)), N)) \
                .from_(cte_table(self.frequencies()), copy=False)
        else:
            chunk = exp.Mod(this=exp.Anonymous(this="HASH", expressions=[col(self.key)]),
                            expression=exp.Literal.number(CHUNKS))
            partials = exp.Anonymous(this=EXACT_PARTIALS, expressions=[exp.ArrayAgg(this=col(self.x))])
            sel = select(*self.group_cols(), named(partials, "p"), named(exp.Count(this=exp.Star()), N)) \
                .from_(cte_table(self.args), copy=False).where(not_null(col(self.x)), copy=False)
        chunks = self.add("chunks", self.grouped(sel, chunk))
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
        if self.spread and EXACT_PAIR_PARTIALS in self.functions and EXACT_CUME_ABOVE in self.functions:
            return self.spread_cume_share()
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
        if self.spread:
            ranged = self.ranged(self.bucketed(self.frequencies(), named(amount, "amount")), "amount")
            cum = self.add("cum", select(col(V), named(col("run_amount"), "through"), named(col("all_amount"), "total"),
                                          col("amount")).from_(cte_table(ranged), copy=False))
        else:
            through = _cast(_window_sum(amount, self.group_cols(), True), "BIGINT")
            total = _cast(_window_sum(amount.copy(), self.group_cols(), False), "BIGINT")
            cum = self.add("cum", select(*self.group_cols(), col(V), named(through, "through"), named(total, "total"),
                                          named(amount.copy(), "amount")).from_(cte_table(self.frequencies()), copy=False))
        at_least = exp.Add(this=exp.Sub(this=col("total"), expression=col("through")), expression=col("amount"))
        share = case(exp.GT(this=col("total"), expression=exp.Literal.number(0)),
                      exp.Div(this=double(at_least), expression=double(col("total"))))
        shares = self.add("share", select(*self.group_cols(), col(V), named(share, "share")).from_(cte_table(cum), copy=False))
        return self.per_customer(shares, col("share", "t"), on_value=True)

    def spread_cume_share(self) -> list:
        """Numbers, without `by`, over buckets: each bucket's pairs (value, count) and their exact
        sum as a few doubles (EXACT_PAIR_PARTIALS); from the table of BUCKETS rows, each bucket's
        `above` (the concatenated sums of the later buckets) and the total (their EXACT_SUM);
        then EXACT_CUME_ABOVE per bucket starts its running sum from `above`: the exact sums of
        EXACT_CUME over all values at once, so the same doubles."""
        table = self.bucketed(self.frequencies())
        pairs = exp.Flatten(this=exp.ArrayAgg(this=exp.Array(expressions=[double(col(V)), double(col(C))])))
        bucket_pairs = self.add("pairs", select(col(BUCKET), named(pairs, "pairs")).from_(cte_table(table), copy=False)
                                .group_by(col(BUCKET), copy=False))
        parts = self.add("parts", select(col(BUCKET), named(_call(EXACT_PAIR_PARTIALS, col("pairs")), "p"))
                         .from_(cte_table(bucket_pairs), copy=False))
        later = exp.Window(this=exp.ArrayAgg(this=col("p")), order=_ascending(BUCKET),
                           spec=exp.WindowSpec(kind="ROWS", start=exp.Literal.number(1), start_side="FOLLOWING",
                                               end="UNBOUNDED", end_side="FOLLOWING"))
        everything = exp.Window(this=exp.ArrayAgg(this=col("p")))
        above = self.add("above", select(col(BUCKET), named(exp.Flatten(this=later), "above"),
                                         named(_call(EXACT_SUM, exp.Flatten(this=everything)), "total"))
                         .from_(cte_table(parts), copy=False))
        call = _call(EXACT_CUME_ABOVE, col("pairs", "q"), col("above", "a"), col("total", "a"))
        shares = self.add("shares", select(col(BUCKET, "q"), named(call, "shares"))
                          .from_(cte_table(bucket_pairs, "q"), copy=False)
                          .join(cte_table(above, "a"), on=_same_bucket("q", "a"), copy=False))
        pos = exp.Window(this=exp.RowNumber(), partition_by=[col(BUCKET)], order=_ascending(V))
        ranked = self.add("ranked", select(col(V), col(BUCKET), named(pos, POS)).from_(cte_table(table), copy=False))
        item = ArrayItem(this=col("shares", "t"), expression=col(POS, "r"))
        share = self.add("share", select(col(V, "r"), named(item, "share")).from_(cte_table(ranked, "r"), copy=False)
                         .join(cte_table(shares, "t"), on=_same_bucket("r", "t"), copy=False))
        return self.per_customer(share, col("share", "t"), on_value=True)


def stat_ctes(node: ir.PopulationStat, args: str, key: str, functions: frozenset[str] = frozenset(),
              spread: bool | None = None) -> list[tuple[str, exp.Expression]]:
    """The CTEs that compute statistic `node` over the arguments CTE `args`; the last one is
    named sql.population_table(node.id) and holds (key, VALUE) for every customer.
    NotSupported (SEG501 at the statistic) where the database cannot give population.py's number.
    `spread`: StatSql's (by default, where `functions` has what the spread form needs)."""
    from .sql import population_table
    return stage_ctes([node], args, key, population_table(node.id), functions, spread, column=lambda _: VALUE)


def stage_stats(nodes: list[ir.PopulationStat], args: str, key: str, functions: frozenset[str] = frozenset(),
                spread: bool | None = None, sources: dict[int, int] | None = None
                ) -> tuple[list[tuple[str, exp.Expression]], list[StatSql]]:
    """The CTEs that compute the statistics `nodes` over one arguments CTE `args` (tables of a
    row per group or distinct value), and each statistic's StatSql, whose `joined` looks a
    customer's value up in them (`look_up`). `sources`: statistic id → the id of the first
    one with the same argument and groups, whose columns of `args` it reads and whose tables
    of distinct values it shares."""
    ctes: list[tuple[str, exp.Expression]] = []
    stats = []
    shared: dict = {}
    for node in nodes:
        stat = StatSql(node, args, key, functions, spread, (sources or {}).get(node.id), shared)
        ctes += getattr(stat, node.func)()
        stats.append(stat)
    return ctes, stats


def look_up(sel: exp.Select, stats: list[StatSql], column) -> exp.Select:
    """`sel`, whose rows (alias a) carry each statistic's `__arg_ID` and `__by_ID_J`, with each
    statistic's value as column `column(id)`: a join of those rows to the statistic's small
    table, which has one row per group (or group and distinct value), so no row is repeated."""
    for stat in stats:
        sel, value = stat.joined(sel, f"t{stat.node.id}")
        sel = sel.select(named(value, column(stat.node.id)), copy=False)
    return sel


def stage_ctes(nodes: list[ir.PopulationStat], args: str, key: str, name: str,
               functions: frozenset[str] = frozenset(), spread: bool | None = None,
               column=None) -> list[tuple[str, exp.Expression]]:
    """The CTEs that compute the statistics `nodes` over one arguments CTE `args`; the last one
    is `name`, every customer's key and the value of each (its column `column(node.id)`), the
    arguments looked up in the statistics' tables in one SELECT. Tools and tests read it; the
    segmenting query looks its customers up itself (sql._Query.lookup_ctes), with no table per
    customer joined back by key."""
    from .sql import population_column
    ctes, stats = stage_stats(nodes, args, key, functions, spread)
    sel = select(named(col(key, "a"), key)).from_(cte_table(args, "a"), copy=False)
    return ctes + [(name, look_up(sel, stats, column or population_column))]
