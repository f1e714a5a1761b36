"""The SQL backend on a real DuckDB against the reference interpreter, on
random populations for every example and shipped ruleset: the query as the
DuckDB engine runs it (prepared tables, population statistics through the
engine's own two-pass code), labels and attributes included. The runner is
tests/engines_under_test.py's, shared with the conformance and random-ruleset
suites."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from segdsl.check.frontend import check_file
from segdsl.service.params import resolve_params
from tests import engines_under_test as engines
from tests.helpers import RULE_FILES
from tests.strategies import customers

ROOT = Path(__file__).resolve().parents[2]
FILES = RULE_FILES


def checked_rulesets():
    out = []
    for p in FILES:
        r = check_file(p)
        if r.ok:
            out.append(pytest.param(r.ruleset, id=p.name))
    return out


@pytest.mark.parametrize("rs", checked_rulesets())
def test_duckdb_equals_interpreter(rs):
    params = resolve_params(rs)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def check(data):
        population = data.draw(customers(rs))
        if rs.customer is None:      # without a customer input, a customer is a key with rows
            population = [c for c in population if any(c.rows.values())]
            assume(population)
        assert engines.duckdb(rs, population, params) == engines.interp(rs, population, params)

    check()
