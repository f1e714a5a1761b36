"""The vector form (backends/vector.py, a batch at a time with Arrow compute) against the
generated `evaluate` per record, on random populations of every example and shipped
ruleset: the same segments for every customer, or `Inexact` for the whole batch."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segdsl.backends.python import compile_program, compute_stats
from segdsl.backends.vector import Inexact, compile_vector, unsupported
from segdsl.check.frontend import check_file
from segdsl.passes import build_plan
from segdsl.service.params import resolve_params
from tests.helpers import RULE_FILES, arrow_columns
from tests.strategies import customers


def segments(program, vector, rs, population, params):
    """(what `evaluate` gives per record, what the vector form gives, or None when Inexact)."""
    stats = compute_stats(program, population, params, {})
    want = [program.evaluate(c.record, {}, params, stats, {}) for c in population]
    try:
        got = vector.evaluate(arrow_columns(rs, [c.record for c in population], vector.fields), len(population),
                              params)
    except Inexact:
        return want, None
    return want, [tuple(values) for values in zip(*got)] if got else [()] * len(population)


VECTOR_FILES = [p for p in RULE_FILES if compile_vector(build_plan(check_file(p).ruleset)) is not None]


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_every_rule_file_that_streams_has_a_vector_form(path):
    """Every shipped rule file that reads no related rows and no population statistic (what
    the Python engine streams) has one: the form covers what rule files are written with."""
    plan = build_plan(check_file(path).ruleset)
    streams = not plan.ruleset.related and not plan.live_stats
    assert (unsupported(plan) is None) == streams, unsupported(plan)


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: p.name)
def test_a_batch_in_arrow_gives_each_records_segments(path):
    rs = check_file(path).ruleset
    params = resolve_params(rs)
    plan = build_plan(rs)
    program, vector = compile_program(plan), compile_vector(plan)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def check(data):
        population = data.draw(customers(rs))
        want, got = segments(program, vector, rs, population, params)
        if got is not None:
            assert got == want

    check()
