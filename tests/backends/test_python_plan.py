"""Generated Python on the Plan: each hoisted aggregate is one loop per function, and
generation is pure (the same text every time, nothing emitted from an expression)."""
from __future__ import annotations

import re

from segdsl import ir
from segdsl.backends import python as backend
from segdsl.backends.interp import Interpreter
from segdsl.backends.python import compile_program, compute_stats, evaluate_with_generated, generate
from segdsl.passes import build_plan
from segdsl.runtime.customers import Customer
from tests.helpers import ruleset

ONE_AGGREGATE_THREE_TIMES = '''
ruleset shop
input customer key id { id: string  age: int? }
related orders of customer by id { id: string  amount: number?  status: string }
dimension value first {
  segment big when avg(orders.amount) >= 200
  segment mid when avg(orders.amount) >= 100 and age > 30
  segment low when avg(orders.amount) < 100
  otherwise none
}
'''


def _function(source: str, name: str) -> str:
    """The text of one generated function."""
    start = source.index(f"def {name}(")
    end = source.find("\ndef ", start + 1)
    return source[start:] if end < 0 else source[start:end]


def _loops_over_rows(code: str) -> int:
    return len([ln for ln in code.splitlines() if re.match(r"\s*for .* in rows\b", ln)])


def test_an_aggregate_in_three_conditions_is_one_loop_over_the_related_rows(tmp_path):
    rs = ruleset(tmp_path, ONE_AGGREGATE_THREE_TIMES)
    source, _ = generate(build_plan(rs))
    assert source.count("avg") == 0, "the aggregate is computed by a loop, not called"
    assert _loops_over_rows(_function(source, "evaluate")) == 1, source
    orders = [{"id": "c", "amount": 150.0, "status": "paid"}, {"id": "c", "amount": None, "status": "x"}]
    customers = [Customer("c", {"id": "c", "age": 40}, {"orders": orders}, 1),
                 Customer("d", {"id": "d", "age": None}, {}, 2)]
    got = evaluate_with_generated(rs, customers, {}, {})
    assert [g["value"] for g in got] == ["mid", "none"]
    assert got == [{"value": env["value"]} for env in Interpreter(rs, {}).run(customers)]


def test_two_aggregates_read_by_lets_and_conditions_are_one_loop_each(tmp_path):
    rs = ruleset(tmp_path, '''
ruleset shop
input customer key id { id: string }
related orders of customer by id { id: string  amount: number  status: string }
let paid = count(orders where orders.status = "paid")
let spend = sum(orders.amount)
dimension value first {
  segment big when sum(orders.amount) > 100 and paid > 1
  segment some when count(orders where orders.status = "paid") > 0 or spend > 10
  otherwise none
}
dimension rank first {
  segment top when percent_rank(sum(orders.amount)) >= 50%
  otherwise rest
}
''')
    plan = build_plan(rs)
    assert len(plan.aggregates) == 2
    source, _ = generate(plan)
    assert _loops_over_rows(_function(source, "evaluate")) == 2, source
    assert _loops_over_rows(_function(source, "pop_arg_0")) == 1, source
    rows = lambda *amounts: {"orders": [{"id": "x", "amount": a, "status": "paid"} for a in amounts]}  # noqa: E731
    customers = [Customer(k, {"id": k}, r, i) for i, (k, r) in enumerate(
        [("a", rows(60.0, 70.0)), ("b", rows(5.0)), ("c", {})])]
    program = compile_program(plan)
    stats = compute_stats(program, customers, {}, {})
    got = [program.evaluate(c.record, c.rows, {}, stats, {}) for c in customers]
    expected = Interpreter(rs, {}).run(customers)
    assert got == [(env["value"], env["rank"]) for env in expected]


def test_generating_twice_gives_the_same_text(tmp_path):
    rs = ruleset(tmp_path, ONE_AGGREGATE_THREE_TIMES)
    plan = build_plan(rs)
    first, first_map = generate(plan)
    second, second_map = generate(plan)
    assert first == second and first_map == second_map
    assert generate(plan, lenient=True) == generate(plan, lenient=True)


def test_expression_code_is_pure(tmp_path):
    """The code of an expression depends on the expression only: asking twice, or after
    other code was generated, gives the same text and emits nothing."""
    rs = ruleset(tmp_path, '''
ruleset pure
input customer key id { id: string  a: int?  b: number?  since: date? }
dimension d first {
  segment x when (a > 1 or b / a > 2) and not (a in [1, 2] and since > 2026-01-01)
  segment y when coalesce(a, 3) between 1 and 9 or b is null
  otherwise o
}
''')
    plan = build_plan(rs)
    names = backend._Names(plan)
    code = backend._Expressions(names, lenient=False)
    conditions = [s.condition for d in plan.definitions if isinstance(d, ir.Dimension) for s in d.segments]
    once = [(code.code(c), code.truth(c), code.falsity(c)) for c in conditions]
    twice = [(code.code(c), code.truth(c), code.falsity(c)) for c in reversed(conditions)][::-1]
    assert once == twice
    assert code.depth == 0
