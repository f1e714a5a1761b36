"""Random rule files on random populations: every engine equals the reference
interpreter.

Three comparisons, from the widest language to the widest set of engines:
* every engine but Spark (interpreter, generated Python, DuckDB over prepared
  tables, DuckDB over data-shaped tables; PostgreSQL in a test of its own,
  skipped without a server) on rule files without population functions and
  without the constructs of known SQL disagreements (see rulesets.Features).
  Spark takes about a second a query, so it runs the conformance cases only;
* interpreter and generated Python on the whole language but population
  functions, and the vector form (the Python engine's for a clean batch) on
  what it is for;
* interpreter, generated Python and DuckDB with population functions in
  conditions; interpreter and generated Python with them in lets too.

Every generated file must check without errors, which tests the checker as
much as the generator. The front end's fuzzing is in test_front_end_fuzz.py.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from segdsl.backends.sql import NotSupported
from segdsl.runtime.customers import Customer
from segdsl.check.frontend import check_file
from segdsl.service.params import resolve_params
from segdsl.engines import registry
from tests.engines_under_test import ENGINES, VECTOR_OUTCOMES, through_contract_only, use_postgres
from tests.property.conftest import count
from tests.property.rulesets import ALL_ENGINES, POPULATION, POPULATION_PYTHON_SIDE, PYTHON_SIDE, VECTOR, rulesets
from tests.strategies import customers

# generated Python that Python itself warns about (`(100 * 0.95) is not None`) fails the comparison
pytestmark = pytest.mark.filterwarnings("error::SyntaxWarning")

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# SEGDSL_RANDOM_SCALE=20 runs twenty times the CI's examples, for a longer hunt
SCALE = max(1, int(os.environ.get("SEGDSL_RANDOM_SCALE", "1")))


def examples(n: int) -> int:
    return n * SCALE


def checked(text: str):
    note(text)
    result = check_file("random.seg", text=text)
    errors = [f"{d.code} {d.span}: {d.message}" for d in result.diagnostics if d.is_error]
    assert not errors, errors
    return result.ruleset


@st.composite
def populations(draw, rs) -> list[Customer]:
    """2 to 32 customers: a few draws of tests.strategies.customers, keys renumbered."""
    out: list[Customer] = []
    for part in draw(st.lists(customers(rs), min_size=2, max_size=4)):
        for c in part:
            i = len(out)
            key = f"c{i}"
            record = dict(c.record)
            if rs.customer is not None and rs.customer.key:
                record[rs.customer.key] = key
            rows = {r.name: [{**row, r.key: key} for row in c.rows.get(r.name, [])] for r in rs.related}
            if rs.customer is None and not any(rows.values()):
                continue            # the customers are the keys of related rows: each has one
            out.append(Customer(key=key, record=record, rows=rows, row=i + 1))
    assume(out)
    return out


def compare(data, features, engines: list[str]) -> None:
    rs = checked(data.draw(rulesets(features), label="rule file"))
    assert features.population or not rs.population
    population = data.draw(populations(rs), label="population")
    if "postgres" in engines:
        # PostgreSQL's TEXT cannot hold NUL, and its doubles raise on underflow (conformance float_underflow)
        assume(not any("\x00" in v for c in population for v in _values(c) if isinstance(v, str)))
        assume(not any(isinstance(v, float) and 0 < abs(v) < 1e-100 for c in population for v in _values(c)))
    params = resolve_params(rs)
    expected = ENGINES["interp"](rs, population, params)
    ran = 1
    for name in engines:
        try:
            got = ENGINES[name](rs, population, params)
        except NotSupported:
            # the warehouse forms cannot compute population statistics; nothing else may be refused
            assert rs.population and name in ("duckdb_sql", "postgres"), name
            count("not_supported")
            continue
        ran += 1
        if name == "vector":
            count("vector_" + VECTOR_OUTCOMES[-1].replace(" ", "_"))
        diff = {k: (expected.get(k), got.get(k)) for k in expected.keys() | got.keys() if expected.get(k) != got.get(k)}
        assert not diff, f"{name} differs from the interpreter (expected, got): {diff}"
    count("rulesets")
    count("records", len(population) + sum(len(v) for c in population for v in c.rows.values()))
    count("engine_runs", ran)


def registered_engines() -> list[str]:
    """The registry's engines that run here on in-memory tables (tests/engines_under_test.py),
    Spark aside: a JVM round trip per example is its own suite's job (tests/engines/test_spark.py)."""
    return [n for n in registry.available() if n != "spark" and not through_contract_only(n)]


def _values(c: Customer):
    yield from c.record.values()
    for rows in c.rows.values():
        for row in rows:
            yield from row.values()


@settings(max_examples=examples(200), **SETTINGS)
@given(st.data())
def test_every_engine_equals_the_interpreter(data):
    compare(data, ALL_ENGINES, [*registered_engines(), "duckdb_sql"])


@settings(max_examples=examples(100), **SETTINGS)
@given(data=st.data())
def test_postgres_equals_the_interpreter(data, postgres):
    """Separate, so that without a PostgreSQL server only this test is skipped."""
    use_postgres(postgres)
    compare(data, ALL_ENGINES, ["postgres"])


@settings(max_examples=examples(150), **SETTINGS)
@given(st.data())
def test_generated_python_equals_the_interpreter(data):
    compare(data, PYTHON_SIDE, ["python", "vector"])


@settings(max_examples=examples(150), **SETTINGS)
@given(st.data())
def test_vector_form_equals_the_interpreter(data):
    """The rule files the Python engine's vector form is for (most of them have one)."""
    compare(data, VECTOR, ["vector"])


@settings(max_examples=examples(75), **SETTINGS)
@given(st.data())
def test_population_functions_equal_the_interpreter(data):
    compare(data, POPULATION, ["python", "duckdb", "polars"])


@settings(max_examples=examples(75), **SETTINGS)
@given(st.data())
def test_population_lets_generated_python_equals_the_interpreter(data):
    compare(data, POPULATION_PYTHON_SIDE, ["python"])


def test_import_of_a_path_with_a_nul_gives_a_diagnostic():
    result = check_file("fuzz.seg", text='ruleset t\nimport "a\x00b"\n')
    nul = [d for d in result.diagnostics if d.code == "SEG108"]
    assert nul and nul[0].span.line == 2 and "NUL" in nul[0].message


def test_a_main_file_path_with_a_nul_gives_a_diagnostic():
    result = check_file("a\x00b.seg")
    assert [d.code for d in result.diagnostics] == ["SEG008"]
