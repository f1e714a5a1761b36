"""The SQL backend on the Plan: a tree built once from the plan, aggregates computed once per
query, only the columns used read, dialect quirks in the dialect's generator, refusals as
diagnostics at the rule's place."""
from __future__ import annotations

import duckdb
import pytest
from sqlglot import exp

from segdsl.backends.dialects import CodePoints
from segdsl.backends.sql import (NotSupported, SqlOptions, as_create, build_query, population_query, render,
                                 to_sql, with_tables, without_order_by)
from segdsl.passes import build_plan
from tests.helpers import ruleset

ORDERS = '''
ruleset shop
input customer key id {
  id: string
  age: int?
  channel: enum { web "Web shop", store "Store" }
}
related orders of customer by id { id: string  amount: number?  status: string  note: string? }
dimension value first {
  segment big when avg(orders.amount) >= 200
  segment mid when avg(orders.amount) >= 100 and age > 30
  segment low when avg(orders.amount) < 100 or count(orders where orders.status = "paid") > 2
  otherwise none
}
'''


def test_an_aggregate_in_three_conditions_is_one_column_of_one_group_by(tmp_path):
    rs = ruleset(tmp_path, ORDERS)
    tree = build_query(build_plan(rs), {})
    averages = [a for a in tree.find_all(exp.Avg)]
    assert len(averages) == 1, render(tree, "duckdb")
    assert len(list(tree.find_all(exp.Count))) == 1


def test_warehouse_sql_reads_only_the_columns_used(tmp_path):
    rs = ruleset(tmp_path, ORDERS)
    sql = to_sql(rs, {}, "duckdb")
    assert '"channel"' not in sql and "Web shop" not in sql, "an unused enum field is neither read nor mapped"
    assert '"note"' not in sql
    assert '"age"' in sql and '"status"' in sql


def test_building_twice_gives_the_same_tree(tmp_path):
    rs = ruleset(tmp_path, ORDERS)
    plan = build_plan(rs)
    opts = SqlOptions(labels=True)
    assert build_query(plan, {}, opts) == build_query(plan, {}, opts)
    assert render(build_query(plan, {}, opts), "postgres") == render(build_query(plan, {}, opts), "postgres")


def test_the_query_runs_and_agrees_with_the_interpreter(tmp_path):
    rs = ruleset(tmp_path, ORDERS)
    con = duckdb.connect()
    con.execute("CREATE TABLE customer (id VARCHAR, age BIGINT, channel VARCHAR)")
    con.execute("INSERT INTO customer VALUES ('a', 40, 'Store'), ('b', 20, NULL), ('c', NULL, 'Web shop')")
    con.execute("CREATE TABLE orders (id VARCHAR, amount DOUBLE, status VARCHAR, note VARCHAR)")
    con.execute("INSERT INTO orders VALUES ('a', 150, 'paid', NULL), ('b', 300, 'open', 'x'), "
                "('c', 10, 'paid', NULL), ('c', NULL, 'paid', NULL), ('c', 5, 'paid', NULL)")
    got = dict(con.execute(to_sql(rs, {}, "duckdb")).fetchall())
    assert got == {"a": "mid", "b": "big", "c": "low"}


def test_engine_transforms_rename_tables_and_drop_the_order(tmp_path):
    rs = ruleset(tmp_path, ORDERS)
    tree = build_query(build_plan(rs), {}, SqlOptions(prepared=True, ordered=True))
    assert tree.args.get("order") is not None
    unsorted = without_order_by(tree)
    assert unsorted.args.get("order") is None and tree.args.get("order") is not None
    renamed = render(with_tables(tree, {"customer": "c_rows", "orders": "o_rows"}), "duckdb")
    assert 'FROM "c_rows"' in renamed and 'FROM "o_rows"' in renamed and 'FROM "customer"' not in renamed
    assert '"customer_in"' in renamed, "the query's own CTEs keep their names"
    created = render(as_create(tree, "view", "segments"), "duckdb")
    assert created.startswith('CREATE VIEW "segments" AS')


def test_text_order_is_a_dialect_quirk(tmp_path):
    rs = ruleset(tmp_path, '''
ruleset t
input customer key id { id: string  name: string? }
dimension d first { segment late when name > "m"  segment mid when name between "b" and "k"  otherwise o }
''')
    tree = build_query(build_plan(rs), {})
    assert list(tree.find_all(CodePoints))
    assert 'COLLATE "C"' in render(tree, "postgres")
    for dialect in ("duckdb", "spark", "snowflake"):
        assert "COLLATE" not in render(tree, dialect)


def test_backslashes_in_postgres_literals_are_chr_92(tmp_path):
    rs = ruleset(tmp_path, r'''
ruleset b
input customer key id { id: string  name: string? }
dimension d first { segment hit when name = "a\\b"  otherwise other }
''')
    tree = build_query(build_plan(rs), {})
    assert "CHR(92)" in render(tree, "postgres") and "\\" not in render(tree, "postgres")
    assert "CHR(92)" not in render(tree, "duckdb")


def test_an_unsupported_aggregate_is_a_diagnostic_at_the_rule(tmp_path):
    rs = ruleset(tmp_path, '''
ruleset u
input customer key id { id: string  limit: number }
related orders of customer by id { id: string  amount: number }
dimension d first {
  segment big when count(orders where orders.amount > limit) > 2
  otherwise o
}
''')
    with pytest.raises(NotSupported) as caught:
        to_sql(rs, {}, "duckdb")
    d = caught.value.diagnostic
    assert d.code == "SEG501" and "customer values" in d.message
    assert (d.span.line, d.span.col) == (6, 20)


def test_population_sums_of_numbers_as_warehouse_sql_are_refused_at_the_statistic(tmp_path):
    rs = ruleset(tmp_path, '''
ruleset p
input customer key id { id: string  arpu: number? }
let pct = percent_rank(arpu)
let avg_arpu = mean(arpu)
dimension d first { segment top when pct >= 90% and arpu > avg_arpu  otherwise o }
''')
    with pytest.raises(NotSupported, match="`mean` of numbers adds them exactly") as caught:
        to_sql(rs, {}, "postgres")
    assert caught.value.diagnostic.span.line == 5
    assert "--stats" in caught.value.diagnostic.help
    plan = build_plan(rs)
    args = render(population_query(plan, {}, plan.stages[0]), "duckdb")
    assert '"__arg_0"' in args


def test_names_postgres_would_cut_point_at_their_dimension(tmp_path):
    rs = ruleset(tmp_path, '''
ruleset long_names
input customer key id { id: string  a: int? }
dimension 客户价值分层客户价值分层客户价值分层 first {
  segment s1 when a > 5 { 推荐渠道推荐渠道: "x" }
  otherwise s2
}
''')
    with pytest.raises(NotSupported, match="63 bytes") as caught:
        to_sql(rs, {}, "postgres", attributes=True)
    assert caught.value.diagnostic.span.line == 4
    to_sql(rs, {}, "duckdb", attributes=True)


def test_renaming_tables_leaves_a_cte_of_the_same_name_alone(tmp_path):
    rs = ruleset(tmp_path, '''
ruleset c
input customers key id { id: string  x: int? }
related orders of customers by id { id: string  amount: number }
dimension d first { segment big when sum(orders.amount) > 10 and x > 1  otherwise o }
''')
    tree = build_query(build_plan(rs), {})
    renamed = with_tables(without_order_by(tree), {"customers": "crm_customers"})
    con = duckdb.connect()
    con.execute("CREATE TABLE crm_customers (id VARCHAR, x BIGINT)")
    con.execute("INSERT INTO crm_customers VALUES ('a', 2), ('b', 0)")
    con.execute("CREATE TABLE orders (id VARCHAR, amount DOUBLE)")
    con.execute("INSERT INTO orders VALUES ('a', 20), ('b', 30)")
    assert sorted(con.execute(render(renamed, "duckdb")).fetchall()) == [("a", "big"), ("b", "o")]
    assert '"customers" AS (' in render(renamed, "duckdb"), "the CTE keeps its name"
