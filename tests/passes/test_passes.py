"""Each pass on its own, then the pipeline: what the plan says about a ruleset."""
from __future__ import annotations

import pytest

from segdsl import ir
from segdsl.passes import PASSES, build_plan, run_passes
from segdsl.passes.aggregates import hoist_aggregates
from segdsl.passes.fold import fold_constants
from segdsl.passes.liveness import live_definitions
from tests.helpers import RULE_FILES, ruleset
from segdsl.check.frontend import check_file

HEAD = """ruleset t
input customer key id {
  id: string
  spend: number?
  visits: int
  tier: enum { gold "G", silver "S" }
  region: enum { north "N", south "S" }
}
"""

ORDERS = """ruleset t
input customer key id {
  id: string
  spend: number?
}
related orders of customer by customer_id {
  customer_id: string
  amount: number
  status: string
}
"""


def plan_of(tmp_path, text: str, pinned=frozenset(), passes=PASSES):
    return run_passes(ruleset(tmp_path, text), frozenset(pinned), passes)


def conditions(plan, dimension: str) -> list[ir.Expr]:
    d = next(d for d in plan.ruleset.dimensions if d.name == dimension)
    return [s.condition for s in d.segments]


# ---- fold_constants ----

def test_arithmetic_on_constants_is_folded(tmp_path):
    plan = plan_of(tmp_path, HEAD + """
dimension v first {
  segment a when visits > 2 * 3 + 1
  segment b when spend >= -(4 - 1.5)
  otherwise c
}""", passes=(fold_constants,))
    a, b = conditions(plan, "v")
    assert isinstance(a.right, ir.Const) and a.right.value == 7 and not a.right.type.nullable
    assert isinstance(b.right, ir.Const) and b.right.value == -2.5


def test_folding_stops_where_a_value_would_overflow_or_divide(tmp_path):
    plan = plan_of(tmp_path, HEAD + """
dimension v first {
  segment a when visits > 9223372036854775807 + 1
  segment b when spend > 1e308 * 10
  segment c when spend > 1 / 0
  otherwise d
}""", passes=(fold_constants,))
    a, b, c = conditions(plan, "v")
    assert isinstance(a.right, ir.Arith) and isinstance(b.right, ir.Arith) and isinstance(c.right, ir.Arith)


def test_comparisons_and_not_of_constants_fold_to_truth_values(tmp_path):
    plan = plan_of(tmp_path, HEAD + """
dimension v first {
  segment a when 2 > 1 and visits > 0
  segment b when not (1 = 1)
  otherwise c
}""", passes=(fold_constants,))
    a, b = conditions(plan, "v")
    assert a.items[0] == ir.Const(a.items[0].type, a.items[0].span, True)
    assert isinstance(b, ir.Const) and b.value is False


def test_an_unchanged_ruleset_is_passed_through_as_is(tmp_path):
    rs = ruleset(tmp_path, HEAD + "dimension v first {\n  segment a when visits > 1\n  otherwise b\n}")
    assert run_passes(rs, frozenset(), (fold_constants,)).ruleset is rs


# ---- hoist_aggregates ----

def test_an_aggregate_read_three_times_is_hoisted_once(tmp_path):
    plan = plan_of(tmp_path, ORDERS + """
dimension v first {
  segment big when avg(orders.amount) >= 200
  segment mid when avg(orders.amount) >= 100 and spend > 0
  segment low when avg(orders.amount) < 100
  otherwise none
}""", passes=(hoist_aggregates,))
    assert [a.name for a in plan.aggregates] == ["agg_0"]
    nodes = [x for c in conditions(plan, "v") for x in ir.walk(c)]
    assert [x.name for x in nodes if isinstance(x, ir.AggregateRef)] == ["agg_0"] * 3
    assert not any(isinstance(x, ir.Aggregate) for x in nodes)


def test_aggregates_written_differently_are_distinct_and_named_in_order(tmp_path):
    plan = plan_of(tmp_path, ORDERS + """
let paid = sum(orders.amount where orders.status = "paid")
let all_ = sum(orders.amount)
dimension v first {
  segment a when paid > all_ / 2 and count(orders) > 3
  otherwise b
}""", passes=(hoist_aggregates,))
    assert [(a.name, a.node.func) for a in plan.aggregates] == [("agg_0", "sum"), ("agg_1", "sum"), ("agg_2", "count")]
    assert plan.aggregates[0].node.where is not None and plan.aggregates[1].node.where is None


# ---- live_definitions ----

def test_unread_and_pinned_away_lets_are_not_live(tmp_path):
    text = HEAD + """
let unused = visits * 2
let base = spend * 2
let score = base + 1
dimension v first {
  segment a when score > 10
  otherwise b
}"""
    plan = plan_of(tmp_path, text, passes=(live_definitions,))
    assert [d.name for d in plan.definitions] == ["base", "score", "v"]
    pinned = plan_of(tmp_path, text, pinned={"score"}, passes=(live_definitions,))
    assert [d.name for d in pinned.definitions] == ["score", "v"]


def test_every_dimension_is_live(tmp_path):
    plan = plan_of(tmp_path, HEAD + """
dimension a first {
  segment x when visits > 1
  otherwise y
}
dimension b first {
  segment x when a = x
  otherwise y
}""", passes=(live_definitions,))
    assert [d.name for d in plan.definitions] == ["a", "b"]


# ---- population_stages ----

def test_a_statistic_of_a_statistic_runs_in_a_later_stage(tmp_path):
    plan = plan_of(tmp_path, HEAD + """
let above = spend - mean(spend)
let rank = percent_rank(above)
dimension v first {
  segment top when rank >= 0.9
  otherwise rest
}""")
    mean = next(p.id for p in plan.ruleset.population if p.func == "mean")
    rank = next(p.id for p in plan.ruleset.population if p.func == "percent_rank")
    assert plan.stages == ((mean,), (rank,))
    assert [d.name for d in plan.stat_definitions[rank]] == ["above"]


def test_statistics_nobody_reads_are_not_computed(tmp_path):
    text = HEAD + """
let unused = ntile(spend, 4)
let tile = ntile(visits, 4)
dimension v first {
  segment top when tile = 4
  otherwise rest
}"""
    plan = plan_of(tmp_path, text)
    assert [plan.ruleset.population[i].arg.name for i in plan.live_stats] == ["visits"]
    assert plan_of(tmp_path, text, pinned={"tile"}).stages == ()


# ---- columns_used ----

def test_only_the_fields_the_rules_read_and_the_key_are_used(tmp_path):
    plan = plan_of(tmp_path, HEAD + """
dimension v first {
  segment a when tier = gold
  otherwise b
}""")
    assert dict(plan.columns) == {"customer": ("id", "tier")}


def test_related_fields_read_inside_aggregates_and_statistics_are_used(tmp_path):
    plan = plan_of(tmp_path, ORDERS + """
let paid = sum(orders.amount where orders.status = "paid")
let tile = ntile(paid, 4)
dimension v first {
  segment a when tile = 4
  otherwise b
}""")
    assert dict(plan.columns) == {"customer": ("id",), "orders": ("customer_id", "amount", "status")}


# ---- the pipeline ----

def test_a_plan_is_built_once_per_ruleset_and_pins(tmp_path):
    rs = ruleset(tmp_path, HEAD + "let s = spend * 2\ndimension v first {\n  segment a when s > 1\n  otherwise b\n}")
    assert build_plan(rs) is build_plan(rs)
    assert build_plan(rs, frozenset({"s"})) is not build_plan(rs)


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_every_real_ruleset_plans(path):
    checked = check_file(path)
    assert checked.ok, checked.diagnostics
    rs = checked.ruleset
    plan = build_plan(rs)
    live = {d.name for d in plan.definitions}
    assert {d.name for d in rs.dimensions} <= live
    assert sorted(plan.live_stats) == sorted(set(plan.live_stats))
    for name, fields in plan.columns.items():
        schema = rs.customer if rs.customer is not None and rs.customer.name == name else rs.related_input(name)
        assert set(fields) <= {f.name for f in schema.fields}


def test_the_aggregates_a_statement_reads_are_listed_once_in_order_of_use(tmp_path):
    from segdsl.passes.dependencies import aggregates_read
    rs = ruleset(tmp_path, '''
ruleset a
input customer key id { id: string }
related orders of customer by id { id: string  amount: number }
dimension d first {
  segment x when sum(orders.amount) > 1 and count(orders) > 2
  segment y when count(orders) > 5 or sum(orders.amount) < 0
  otherwise o
}
''')
    plan = build_plan(rs)
    d = plan.ruleset.dimension("d")
    assert aggregates_read([s.condition for s in d.segments]) == ["agg_0", "agg_1"]
    assert aggregates_read([d.segments[1].condition]) == ["agg_1", "agg_0"]
