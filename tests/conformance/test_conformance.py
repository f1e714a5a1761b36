"""Every conformance case on every engine, compared with the hand-computed
segments of the case file (LANGUAGE.md is the judge, the interpreter is one
engine among others here).

Spark runs in local mode on the engine's own session (one JVM per test
process); PostgreSQL on the throwaway server of tests/backends/conftest.py."""
from __future__ import annotations

import pytest

from segdsl.backends.sql import NotSupported
from tests.conformance import conftest as summary
from tests.conformance.cases import all_cases, build
from segdsl.engines import registry
from tests.engines.interpreter_engine import NAME as TOY_ENGINE
from tests.engines_under_test import ENGINES, first_conflict_only, through_contract_only, use_postgres

CASES = all_cases()


def _params():
    out = []
    for case in CASES:
        for engine in ENGINES:
            marks = []
            if engine in case.xfail:
                marks.append(pytest.mark.xfail(strict=True, reason=case.xfail[engine]))
            out.append(pytest.param(case, engine, id=f"{case.name}-{engine}", marks=marks))
    return out


def test_there_are_enough_cases():
    assert len(CASES) >= 40


def test_a_registered_engine_joins_the_suite():
    """The toy engine of tests/engines/interpreter_engine.py is registered (conftest.py) and
    nothing else: it is among the engines every case runs on, through its contract."""
    assert TOY_ENGINE in registry.names() and TOY_ENGINE in ENGINES and through_contract_only(TOY_ENGINE)
    assert sum(p.values[1] == TOY_ENGINE for p in _params()) == len(CASES)


def _available(engine: str, request) -> None:
    """Spark needs pyspark; PostgreSQL needs a server (the fixture skips, saying why, without one)."""
    if engine == "spark":
        pytest.importorskip("pyspark")
    elif engine == "postgres":
        use_postgres(request.getfixturevalue("postgres"))
    elif engine in registry.names() and engine not in registry.available():
        pytest.skip(f"engine {engine} is not available here")


@pytest.mark.parametrize("case,engine", _params())
def test_case(case, engine, request):
    _available(engine, request)
    built = build(case)
    summary.record("case", case.name)
    summary.record("run", f"{case.name}-{engine}")
    try:
        got = ENGINES[engine](built.ruleset, built.population, built.params)
    except NotSupported as exc:
        if case.must_run(engine):
            pytest.fail(f"{engine} must run {case.name} but says it is not supported: {exc}")
        summary.record("not_supported", f"{case.name}-{engine}")
        pytest.skip(f"not supported by {engine}: {exc}")
    got = {str(k): v for k, v in got.items()}
    expected = first_conflict_only(built.ruleset, built.expected) if through_contract_only(engine) else built.expected
    mismatches = {k: {"expected": expected.get(k), "got": got.get(k)}
                  for k in sorted(set(got) | set(expected)) if got.get(k) != expected.get(k)}
    assert not mismatches, f"{case.name} ({case.title}) on {engine}: {mismatches}"
