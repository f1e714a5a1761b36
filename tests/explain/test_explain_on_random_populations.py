"""Explain against the generated code (what the Python engine runs) on random populations of
records for every example and shipped ruleset: the segment explained is the segment
assigned, and the trace leads to it. Hypothesis-generated, so in the full lane."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segdsl.backends.python import compile_program, compute_stats, evaluate_with_generated
from segdsl.check.frontend import check_file
from segdsl.runtime.customers import UniqueConflict
from segdsl.service.explain import Population
from segdsl.service.params import resolve_params
from tests.helpers import RULE_FILES
from tests.strategies import customers


@pytest.mark.full
@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_explained_segments_are_assigned_segments(path):
    result = check_file(path)
    assert result.ok, result.diagnostics
    rs = result.ruleset
    params = resolve_params(rs)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def check(data):
        people = data.draw(customers(rs))
        built = compute_stats(compile_program(rs), people, params, {})
        population = Population(rs, people, params, {i: s for i, s in enumerate(built) if s is not None})
        assigned = evaluate_with_generated(rs, people, params, {})
        for customer, want in zip(people, assigned):
            if any(isinstance(v, UniqueConflict) for v in want.values()):
                continue            # bad input on every engine: no segment to compare
            e = population.explain(customer)
            assert {d.name: d.segment for d in e.dimensions} == want
            for d in e.dimensions:
                matched = tuple(a.segment for a in d.trace if a.matched)
                assert matched == (d.segment if isinstance(d.segment, tuple) else
                                   (d.segment,) if d.segment is not None else ())

    check()
