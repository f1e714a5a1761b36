"""Population values computed inside databases (backends/population_sql.py) and baked in
from frozen statistics (backends/population_frozen.py), against runtime/population.py bit
for bit, on DuckDB, PostgreSQL and Spark.

Populations are generated: ties, nulls, one-customer and all-null groups, `by`
groups (null ones included), `desc`, whole numbers and numbers whose sums are
not exact in plain floating point (0.1 + 0.2, 1e16 + 1 − 1e16). NaN is not a
value the language reads (io/validate.py), so none is generated. The sign of a
zero is not compared: population.py takes it from the input order.
"""
from __future__ import annotations

import random

import pytest
import sqlglot
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from segdsl.backends import population_sql
from segdsl.backends.dialects import render
from segdsl.backends.errors import NotSupported
from segdsl.backends.population_sql import BUCKET
from segdsl.engines.population_pass import DUCKDB_FUNCTIONS, register_duckdb
from segdsl.runtime import population
from segdsl.types import Kind
from tests.population import sql_harness as h

NUMBERS = [0.1, 0.2, 0.3, 1e16, -1e16, 1.0, -0.0, 0.0, 3.5, 1e-300, 2.5, -7.25, 1e300]
GROUP_VALUES = {Kind.STRING: st.sampled_from([None, "a", "b", "中"]), Kind.INT: st.sampled_from([None, 1, 2])}


@st.composite
def populations(draw, max_size: int = 30):
    kind = draw(st.sampled_from([Kind.INT, Kind.NUMBER]))
    by = draw(st.sampled_from([(), (Kind.STRING,), (Kind.INT, Kind.STRING)]))
    value = st.integers(-6, 6) | st.integers(-2**40, 2**40) if kind is Kind.INT else st.sampled_from(NUMBERS)
    rows = draw(st.lists(st.tuples(st.none() | value, st.tuples(*[GROUP_VALUES[k] for k in by])),
                         max_size=max_size))
    return kind, by, rows


def _duckdb():
    import duckdb
    con = duckdb.connect()
    register_duckdb(con)
    return con


@pytest.fixture(scope="module")
def duck():
    con = _duckdb()
    yield con
    con.close()


def run_duckdb(con, stats, rows, functions=DUCKDB_FUNCTIONS, frozen=None) -> dict:
    con.register(h.ARGS, h.args_table(stats, rows))
    try:
        result = con.sql(h.stats_sql(stats, "duckdb", functions, frozen)).fetchall()
    finally:
        con.unregister(h.ARGS)
    return {r[0]: tuple(r[1:]) for r in result}


def check(got: dict, stats, rows, frozen=None) -> None:
    assert not h.differences(stats, got, h.expected(stats, rows, frozen)), h.differences(
        stats, got, h.expected(stats, rows, frozen))[:5]


# ---- DuckDB ----------------------------------------------------------------------------

def test_every_statistic_on_a_population_with_ties_nulls_and_groups(duck):
    rows = [(3.5, ("a",)), (0.1, ("a",)), (0.2, ("a",)), (0.3, ("a",)), (None, ("a",)), (3.5, ("a",)),
            (1e16, (None,)), (1.0, (None,)), (-1e16, (None,)), (None, ("b",)), (2.5, ("c",))]
    stats = h.nodes(Kind.NUMBER, (Kind.STRING,), exact=True)
    check(run_duckdb(duck, stats, rows), stats, rows)


def test_an_empty_population_gives_no_rows_and_no_error(duck):
    stats = h.nodes(Kind.INT, (), exact=True)
    assert run_duckdb(duck, stats, []) == {}


@pytest.mark.full
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(populations())
def test_duckdb_computes_population_py_values(duck, pop):
    kind, by, rows = pop
    stats = h.nodes(kind, by, exact=True)
    check(run_duckdb(duck, stats, rows), stats, rows)


@pytest.mark.full
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(populations(max_size=40), st.integers(0, 40))
def test_duckdb_answers_from_frozen_values_as_population_py_does(duck, pop, cut):
    kind, by, both = pop
    frozen_rows, rows = both[:cut], both[cut:]      # last month's customers, and today's
    stats = h.nodes(kind, by, exact=True)
    frozen = [population.build(s.func, s.params, s.desc, frozen_rows) for s in stats]
    check(run_duckdb(duck, stats, rows, frozen=frozen), stats, rows, frozen)


def test_whole_number_sums_past_64_bits_are_null_not_a_wrapped_number(duck):
    """A sum of whole numbers is exact and null past 64 bits, as on every engine
    (docs/language.md); a sum that comes back inside them after passing them is exact."""
    stats = [h.node("sum", Kind.INT)]
    got = run_duckdb(duck, stats, [(2**62, ()), (2**62, ()), (2**62, ())])
    assert {v for v in got.values()} == {(None,)}
    got = run_duckdb(duck, stats, [(2**63 - 1, ()), (2**63 - 1, ()), (-(2**63 - 1), ())])
    assert {v for v in got.values()} == {(2**63 - 1,)}


def test_sums_of_numbers_without_the_exact_functions_are_refused_at_the_statistic():
    for func in h.ADDS_NUMBERS:
        with pytest.raises(NotSupported, match="adds them exactly") as caught:
            h.stats_sql([h.node(func, Kind.NUMBER)], "postgres")
        assert "--stats" in caught.value.diagnostic.help
    h.stats_sql([h.node(f, Kind.INT) for f in h.ADDS_NUMBERS], "postgres")      # whole numbers are exact


# ---- PostgreSQL (warehouse SQL, no registered functions) ---------------------------------

_PG = {Kind.INT: "BIGINT", Kind.NUMBER: "DOUBLE PRECISION", Kind.STRING: "TEXT"}
PG_EXAMPLES = settings(max_examples=40, deadline=None, derandomize=True,
                       phases=[Phase.explicit, Phase.reuse, Phase.generate],
                       suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def run_postgres(conn, stats, rows, frozen=None) -> dict:
    from psycopg import sql
    table = h.args_table(stats, rows)
    kinds = {"id": Kind.STRING}
    for s in stats:
        kinds[f"__arg_{s.id}"] = s.arg.type.kind
        kinds.update({f"__by_{s.id}_{j}": b.type.kind for j, b in enumerate(s.by)})
    with conn.transaction(force_rollback=True), conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE TEMP TABLE {} ({})").format(sql.Identifier(h.ARGS), sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(_PG[kinds[c]])) for c in table.column_names)))
        with cur.copy(sql.SQL("COPY {} FROM STDIN").format(sql.Identifier(h.ARGS))) as copy:
            for row in table.to_pylist():
                copy.write_row(tuple(row.values()))
        cur.execute(h.stats_sql(stats, "postgres", frozenset(), frozen))
        return {r[0]: tuple(r[1:]) for r in cur.fetchall()}


@pytest.fixture(scope="module")
def pg(postgres):
    conn = postgres()
    yield conn
    conn.close()


@PG_EXAMPLES
@given(populations())
def test_postgres_computes_population_py_values(pg, pop):
    kind, by, rows = pop
    stats = h.nodes(kind, by, exact=False)
    check(run_postgres(pg, stats, rows), stats, rows)


@PG_EXAMPLES
@given(populations(max_size=40), st.integers(0, 40))
def test_postgres_answers_from_frozen_values_as_population_py_does(pg, pop, cut):
    kind, by, both = pop
    frozen_rows, rows = both[:cut], both[cut:]
    stats = h.nodes(kind, by, exact=True)
    frozen = [population.build(s.func, s.params, s.desc, frozen_rows) for s in stats]
    check(run_postgres(pg, stats, rows, frozen), stats, rows, frozen)


# ---- Spark (the engine's session and registered functions) ------------------------------

SPARK_EXAMPLES = settings(max_examples=6, deadline=None, derandomize=True,
                          phases=[Phase.explicit, Phase.reuse, Phase.generate],
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    from segdsl.engines import spark_session
    return spark_session.session()


def run_spark(session, stats, rows, frozen=None) -> dict:
    from segdsl.engines import spark_session
    spark_session.register(session, h.ARGS, h.args_table(stats, rows))
    try:
        table = spark_session.run_query(session, h.stats_sql(stats, "spark", spark_session.SPARK_FUNCTIONS, frozen))
    finally:
        spark_session.drop_views(session, [h.ARGS])
    return {r[h.KEY]: tuple(r[f"v{s.id}"] for s in stats) for r in table.to_pylist()}


@SPARK_EXAMPLES
@given(populations(max_size=40))
def test_spark_computes_population_py_values(spark, pop):
    kind, by, rows = pop
    stats = h.nodes(kind, by, exact=True)
    check(run_spark(spark, stats, rows), stats, rows)


def test_spark_answers_from_frozen_values_as_population_py_does(spark):
    old = [(3.5, ("a",)), (0.1, ("a",)), (0.2, ("a",)), (None, ("b",)), (1e16, (None,)), (-1.0, (None,))]
    rows = [(3.5, ("a",)), (0.15, ("a",)), (9.0, ("a",)), (1.0, ("b",)), (2.0, ("z",)), (None, (None,)), (0.0, (None,))]
    stats = h.nodes(Kind.NUMBER, (Kind.STRING,), exact=True)
    frozen = [population.build(s.func, s.params, s.desc, old) for s in stats]
    check(run_spark(spark, stats, rows, frozen), stats, rows, frozen)


# ---- Spark without `by`: the distinct values spread over buckets ------------------------

def _per_bucket(body: exp.Expression | None, ctes: dict) -> bool:
    """Whether a CTE is a table of one row per bucket: grouped by the bucket alone, or computed
    row by row (no join, no filter) from such a table."""
    if not isinstance(body, exp.Select):
        return False
    group = body.args.get("group")
    if group is not None:
        return [e.name for e in group.expressions] == [BUCKET]
    if body.args.get("joins") or body.args.get("where"):
        return False
    return _per_bucket(ctes.get(body.args["from_"].this.name), ctes)


def _windows_over_everything(sql: str) -> list[tuple[str, str]]:
    """(CTE, the table it reads) for each window without PARTITION BY whose rows are not the
    table of one row per bucket (a window over all of a population's distinct values: one
    Spark task)."""
    tree = sqlglot.parse_one(sql, read="spark")
    ctes = {c.alias: c.this for c in tree.find_all(exp.CTE)}
    found = []
    for name, body in ctes.items():
        for window in body.find_all(exp.Window):
            if window.args.get("partition_by"):
                continue
            source = window.find_ancestor(exp.Select).args["from_"].this.name
            if not _per_bucket(ctes.get(source), ctes):
                found.append((name, source))
    return found


@pytest.mark.parametrize("kind", [Kind.NUMBER, Kind.INT])
def test_a_statistic_without_by_has_no_window_over_all_its_distinct_values_in_the_engines_sql(kind):
    from segdsl.engines.spark_session import SPARK_FUNCTIONS
    for func, params, desc in h.EVERY:
        stat = [h.node(func, kind, (), params, desc)]
        sql = h.stats_sql(stat, "spark", SPARK_FUNCTIONS)
        assert not _windows_over_everything(sql), (func, _windows_over_everything(sql))
        if func in ("percent_rank", "ntile", "quantile", "median", "cume_share"):
            assert f"PARTITION BY `{BUCKET}`" in sql
            # the form without buckets, which other databases get, does have one: the check sees it
            assert _windows_over_everything(h.stats_sql(stat, "spark", DUCKDB_FUNCTIONS))


def test_statistics_by_groups_keep_their_windows_by_group():
    from segdsl.engines.spark_session import SPARK_FUNCTIONS
    sql = h.stats_sql([h.node("percent_rank", Kind.NUMBER, (Kind.STRING,))], "spark", SPARK_FUNCTIONS)
    assert BUCKET not in sql and "PARTITION BY `__by_0_0`" in sql


def _spread_cases(kind: Kind) -> dict[str, list[tuple]]:
    """Populations without `by`: ties, nulls, negative numbers, -0.0, more distinct values than
    buckets; one customer; every value equal; no value at all."""
    rng = random.Random(20240611)
    if kind is Kind.NUMBER:
        pool = [round(rng.uniform(-1e3, 1e3), 2) for _ in range(900)] + NUMBERS + [-0.0, 0.0, 1e-300]
        big = [(rng.uniform(-1e9, 1e9),) for _ in range(300)]
    else:
        pool = [rng.randint(-10**4, 10**4) for _ in range(900)] + [0, -1, 2**40, -(2**40)]
        big = [(rng.randint(-10**12, 10**12),) for _ in range(300)]
    mixed = [(None if rng.random() < 0.08 else rng.choice(pool), ()) for _ in range(2500)]
    one = 3.5 if kind is Kind.NUMBER else -7
    return {"mixed": mixed + [(v, ()) for (v,) in big], "one customer": [(one, ()), (None, ())],
            "all equal": [(one, ())] * 30 + [(None, ())] * 3, "no value": [(None, ())] * 4}


@pytest.mark.parametrize("kind", [Kind.NUMBER, Kind.INT])
@pytest.mark.parametrize("case", ["mixed", "mixed, few sampled", "one customer", "all equal", "no value"])
def test_spark_computes_population_py_values_over_buckets(spark, kind, case, monkeypatch):
    if case == "mixed, few sampled":
        monkeypatch.setattr(population_sql, "SAMPLE", 50)     # the bounds from ~50 values picked by hash
        case = "mixed"
    rows = _spread_cases(kind)[case]
    stats = h.nodes(kind, (), exact=True)
    check(run_spark(spark, stats, rows), stats, rows)


def test_spark_spreads_many_distinct_values_over_the_buckets(spark):
    """The buckets are balanced: the exactness does not rest on it, the point of them does."""
    from segdsl.engines import spark_session
    rows = [(float(i) ** 1.5 - 5e4, ()) for i in range(5000)]     # 5,000 distinct values, unevenly spaced
    stat = h.node("percent_rank", Kind.NUMBER)
    built = population_sql.StatSql(stat, h.ARGS, h.KEY, frozenset(spark_session.SPARK_FUNCTIONS))
    table = built.bucketed(built.frequencies())
    query = exp.select(exp.column(BUCKET), exp.Count(this=exp.Star()).as_("n")).from_(table).group_by(
        exp.column(BUCKET))
    for name, body in built.ctes:
        query = query.with_(exp.to_identifier(name, quoted=True), as_=body)
    spark_session.register(spark, h.ARGS, h.args_table([stat], rows))
    try:
        sizes = spark_session.run_query(spark, render(query, "spark")).column("n").to_pylist()
    finally:
        spark_session.drop_views(spark, [h.ARGS])
    assert sum(sizes) == 5000
    assert len(sizes) > population_sql.BUCKETS * 0.9 and max(sizes) <= 3 * 5000 / population_sql.BUCKETS


STAGE_RULES = """ruleset r
input customer key id { id: string  x: int?  y: int?  g: string? }
let a = percent_rank(x)
let b = ntile(y, 4 by g)
let c = median(x by g)
let d = count(y)
dimension t first {
  segment hi when a > 0.5 and b >= 2 and x > c and d > 1
  otherwise lo
}
"""


def test_the_customers_look_their_statistics_up_with_no_join_by_key(tmp_path):
    """Each statistic computed in the query is a small table (a row per group or distinct value)
    that the segmenting query's own rows are joined to by group and value, where the chain has
    computed the arguments: no table of every customer is built and joined back by key, which
    at 10M customers was the run's peak memory."""
    import duckdb

    from segdsl.backends.sql import to_sql
    from segdsl.check.frontend import check_file
    rules = tmp_path / "r.seg"
    rules.write_text(STAGE_RULES, encoding="utf-8")
    rs = check_file(rules).ruleset
    tree = sqlglot.parse_one(to_sql(rs, {}, "duckdb"), read="duckdb")
    joins = list(tree.find_all(exp.Join))
    assert {j.this.name for j in joins} == {"__segdsl_p0_ranks", "__segdsl_p1_quantiles", "__segdsl_p2_quantiles",
                                           "__segdsl_p3_groups"}
    assert not [c for j in joins for c in j.find_all(exp.Column) if c.name == "id"]
    con = duckdb.connect()
    con.execute("CREATE TABLE customer AS SELECT * FROM (VALUES ('a', 1, 5, 'g'), ('b', 2, 6, 'g'), ('c', 3, NULL, 'h'),"
                " ('d', NULL, 7, NULL), ('e', 3, 8, 'g')) v(id, x, y, g)")
    got = dict(con.execute(to_sql(rs, {}, "duckdb")).fetchall())
    from segdsl.backends.interp import Interpreter
    from segdsl.runtime.customers import Customer
    rows = [("a", 1, 5, "g"), ("b", 2, 6, "g"), ("c", 3, None, "h"), ("d", None, 7, None), ("e", 3, 8, "g")]
    customers = [Customer(r[0], dict(zip(("id", "x", "y", "g"), r)), {}, i + 1) for i, r in enumerate(rows)]
    expected = {c.key: env["t"] for c, env in zip(customers, Interpreter(rs, {}).run(customers))}
    assert got == expected


def test_statistics_of_an_argument_only_segdsls_dialect_can_render_share_their_tables(tmp_path):
    """`-(age)` of a whole number is one of segdsl's own sqlglot nodes (exact 64-bit arithmetic),
    which sqlglot's default dialect cannot render: statistics are matched by their trees. Found
    by the random rule files."""
    from segdsl.backends.sql import to_sql
    from segdsl.check.frontend import check_file
    rules = tmp_path / "r.seg"
    rules.write_text("ruleset t\ninput customer key id {\n  id: string\n  age: int = 0\n}\n"
                     "let r = percent_rank(-(age))\nlet q = median(-(age))\nlet s = percent_rank(age)\n"
                     "dimension value first {\n  segment top when r >= 50% and s > 0 and q < 0\n}\n", encoding="utf-8")
    tree = sqlglot.parse_one(to_sql(check_file(rules).ruleset, {}, "duckdb"), read="duckdb")
    freqs = [c.alias for c in tree.find_all(exp.CTE) if c.alias.endswith("_freq")]
    assert len(freqs) == 2      # -(age) counted once for both of its statistics, age once
