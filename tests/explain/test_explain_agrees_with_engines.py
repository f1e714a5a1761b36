"""The segment `explain` shows is the segment the engines assign: every customer of every
shipped ruleset's sample data, explained and compared with the engine's output row.
DuckDB (the default engine) in the fast lane; every engine in the full lane."""
from __future__ import annotations

from pathlib import Path

import pytest

from segdsl.engines import registry
from segdsl.engines.options import ApplyOptions
from segdsl.service import app as service
from segdsl.service.explain import Population
from segdsl.service.params import resolve_params

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "segdsl" / "samples"
SHIPPED = {
    "telco_churn.seg": ("customer", SAMPLES / "telco_customers.csv", None),
    "bank_marketing.seg": ("customer", SAMPLES / "bank_marketing.csv", ";"),
    "ecommerce_rfm.seg": ("orders", SAMPLES / "online_retail_orders.csv", None),
}


def explained_equals_applied(ruleset: str, engine: str) -> int:
    name, data, delimiter = SHIPPED[ruleset]
    rs = service.check(ROOT / "rulesets" / ruleset).ruleset
    opts = ApplyOptions(inputs={name: data}, params=resolve_params(rs), delimiter=delimiter)
    table, _ = service.apply_tables(rs, engine, {}, opts)
    applied = {row[rs.key]: row for row in table.to_pylist()}
    population = Population.load(rs, opts)
    assert len(population.customers) == len(applied)
    for c in population.customers:
        trace = population.explain(c)
        row = applied[c.key]
        assert trace.segments() == {d.name: row[d.name] for d in rs.dimensions}, c.key
        for d in trace.dimensions:       # the trace itself leads to the segment shown
            matched = [a.segment for a in d.trace if a.matched]
            want = list(d.segment) if isinstance(d.segment, tuple) else [d.segment] if d.segment else []
            assert matched == want, (c.key, d.name)
    return len(applied)


@pytest.mark.parametrize("ruleset", SHIPPED)
def test_explain_agrees_with_duckdb(ruleset):
    assert explained_equals_applied(ruleset, registry.DEFAULT) > 0


@pytest.mark.full
@pytest.mark.parametrize("engine", [e for e in registry.names() if e != registry.DEFAULT])
@pytest.mark.parametrize("ruleset", SHIPPED)
def test_explain_agrees_with_every_engine(ruleset, engine):
    if engine not in registry.available():
        pytest.skip(f"the {engine} engine is not available here")
    assert explained_equals_applied(ruleset, engine) > 0
