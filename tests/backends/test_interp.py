"""The reference interpreter reads a plan's rewritten IR (hoisted aggregates, folded
constants) to the same values as the checker's IR."""
from __future__ import annotations

from segdsl.backends.interp import Interpreter
from segdsl.passes import build_plan
from segdsl.runtime.customers import Customer
from tests.helpers import ruleset


def test_a_plans_ruleset_interprets_like_the_checkers(tmp_path):
    rs = ruleset(tmp_path, '''
ruleset shop
input customer key id { id: string  age: int? }
related orders of customer by id { id: string  amount: number?  status: string }
let paid = count(orders where orders.status = "paid")
dimension value first {
  segment big when avg(orders.amount) >= 2 * 100 and paid > 0
  segment some when sum(orders.amount) > 10 or max(orders.status) = "x"
  otherwise none
}
dimension rank first {
  segment top when percent_rank(coalesce(sum(orders.amount), 0)) >= 50%
  otherwise rest
}
''')
    order = lambda amount, status="paid": {"id": "k", "amount": amount, "status": status}  # noqa: E731
    customers = [Customer("a", {"id": "a", "age": 3}, {"orders": [order(300.0), order(None, "x")]}, 1),
                 Customer("b", {"id": "b", "age": None}, {"orders": [order(20.0, "open")]}, 2),
                 Customer("c", {"id": "c", "age": 9}, {}, 3)]
    plan = build_plan(rs)
    assert plan.aggregates
    direct = Interpreter(rs, {}).run(customers)
    planned = Interpreter.for_plan(plan, {}).run(customers)
    assert [(e["value"], e["rank"]) for e in direct] == [(e["value"], e["rank"]) for e in planned]
    assert [e["value"] for e in direct] == ["big", "some", "none"]
