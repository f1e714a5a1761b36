"""The generated-Python engine against the reference interpreter, on random
populations of records for every example and shipped ruleset."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segdsl.backends.interp import Interpreter
from segdsl.backends.python import compile_program, compute_stats, evaluate_with_generated
from segdsl.check.frontend import check_file
from segdsl.passes import build_plan
from segdsl.service.params import resolve_params
from tests.helpers import RULE_FILES
from tests.strategies import customers

ROOT = Path(__file__).resolve().parents[2]
FILES = RULE_FILES


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_generated_python_equals_interpreter(path):
    result = check_file(path)
    assert result.ok, result.diagnostics
    rs = result.ruleset
    params = resolve_params(rs)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def check(data):
        population = data.draw(customers(rs))
        expected = Interpreter(rs, params).run(population)
        got = evaluate_with_generated(rs, population, params, {})
        for e, g in zip(expected, got):
            assert {d.name: e[d.name] for d in rs.dimensions} == g

    check()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_a_batch_of_columns_gives_each_records_segments(path):
    """The Python engine's form for a clean batch (`evaluate_columns`) against `evaluate` per
    record; rules that read related rows have no batch form."""
    rs = check_file(path).ruleset
    params = resolve_params(rs)
    program = compile_program(build_plan(rs))
    if rs.related:
        assert program.evaluate_columns is None
        return

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def check(data):
        population = data.draw(customers(rs))
        stats = compute_stats(program, population, params, {})
        columns = {f.name: [c.record[f.name] for c in population] for f in rs.customer.fields}
        want = [program.evaluate(c.record, {}, params, stats, {}) for c in population]
        assert program.evaluate_columns(columns, len(population), params, stats, {}) == want

    check()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_plans_rules_interpret_like_the_checkers(path):
    """The passes (folding, hoisting) change how the rules are written, never what they mean."""
    rs = check_file(path).ruleset
    params = resolve_params(rs)
    plan = build_plan(rs)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def check(data):
        population = data.draw(customers(rs))
        expected = Interpreter(rs, params).run(population)
        got = Interpreter.for_plan(plan, params).run(population)
        for e, g in zip(expected, got):
            assert {d.name: e[d.name] for d in rs.dimensions} == {d.name: g[d.name] for d in rs.dimensions}

    check()
