"""The lints over the checked IR: which warnings, in which order, and what counts as used."""
from __future__ import annotations

from segdsl.analysis import DIMENSION_LINTS, RULESET_LINTS, lint
from segdsl.analysis.uses import Uses
from segdsl.service.app import check
from tests.helpers import check_text


def warnings(tmp_path, text: str) -> list[tuple[str, str]]:
    p = tmp_path / "rules.seg"
    p.write_text(text, encoding="utf-8")
    r = check(p, analyse=True)
    assert r.ok, [(d.code, d.message) for d in r.diagnostics]
    return [(d.code, d.message.split("`")[1]) for d in r.diagnostics]


RULES = '''ruleset t
input customer key id { id: string  n: int  x: number? }
param p: int = 1
param q: int = 2
let unused_a = n + p
let unused_b = n * 2
dimension first_dim first {
  segment big when n > 10
  segment bigger when n > 20
}
dimension clean first { segment s when n > q otherwise o }
dimension second_dim first {
  segment has_x when x > 1
  segment same when x > 1
}
'''


def test_the_lints_then_each_dimension_s_findings_together(tmp_path):
    assert warnings(tmp_path, RULES) == [
        ("SEG403", "unused_a"), ("SEG403", "unused_b"),
        ("SEG404", "bigger"), ("SEG401", "first_dim"),
        ("SEG404", "same"), ("SEG401", "second_dim"),
    ]


def test_the_front_end_alone_runs_no_solver_analysis(tmp_path):
    r = check_text(tmp_path, RULES)
    assert [d.code for d in r.diagnostics] == ["SEG403", "SEG403"]


def test_a_param_read_only_by_an_unused_let_is_used(tmp_path):
    got = warnings(tmp_path, RULES.replace("param q: int = 2\n", "param q: int = 2\nparam r: int = 3\n"))
    assert ("SEG403", "r") in got and ("SEG403", "p") not in got


def test_a_let_over_related_rows_is_used_where_it_is_aggregated(tmp_path):
    # the let is inlined into the aggregate, so the IR keeps no trace of it: the checker's uses do
    got = warnings(tmp_path, '''ruleset t
input customer key id { id: string }
related orders of customer by cid { cid: string  qty: int  price: number }
let line_amount = orders.qty * orders.price
let unread = orders.qty + 1
dimension value first { segment big when sum(line_amount) > 100 otherwise small }
''')
    assert got == [("SEG403", "unread")]


def test_a_let_pinned_by_a_test_is_used(tmp_path):
    got = warnings(tmp_path, '''ruleset t
input customer key id { id: string  n: int }
let pinned = n * 2
dimension d first { segment big when n > 10 otherwise small }
test "pins" with pinned = 3 {
  given { id: "a", n: 11 }
  expect d = big
}
''')
    assert got == []


def test_lint_is_what_the_front_end_reports(tmp_path):
    r = check_text(tmp_path, RULES)
    uses = Uses((("unused_a", None), ("unused_b", None)), frozenset({"n", "p", "x", "q"}))
    assert [(d.code, d.message) for d in lint(r.ruleset, uses)] == [(d.code, d.message) for d in r.diagnostics]


def test_the_lints_run_from_two_tuples():
    assert [f.__name__ for f in DIMENSION_LINTS] == ["repeated_labels", "null_comparisons"]
    assert [f.__name__ for f in RULESET_LINTS] == ["unused_definitions"]


def test_an_import_whose_lets_and_params_nobody_reads_is_unused(tmp_path):
    (tmp_path / "lib.seg").write_text('param limit: number = 100\nlet doubled = 2\n', encoding="utf-8")
    (tmp_path / "dims.seg").write_text('dimension extra first { segment a when true }\n', encoding="utf-8")
    main = 'ruleset t\nimport "lib.seg"\nimport "dims.seg"\ninput customer key id { id: string  x: number }\n' \
           'dimension d first { segment hi when x > 1 otherwise lo }\n'
    got = warnings(tmp_path, main)
    assert ("SEG403", "lib.seg") in got and not [w for w in got if w[1] == "dims.seg"]
    assert ("SEG403", "lib.seg") not in warnings(tmp_path, main.replace("x > 1", "x > limit"))
